"""Bad policy import files, through the admin's two-step import as Pusat: each is
refused at the first step with the row and the column named, in words, and nothing
is stored (no row, no history)."""

from __future__ import annotations

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from policy.models import CSO, GreetingTemplate
from tests.roles import PUSAT, fingerprint, role_user

pytestmark = pytest.mark.django_db

CSO_HEADERS = ["cso_id", "full_name", "aliases", "active"]
FORMATS = {"csv": "0", "xlsx": "1", "json": "2"}


@pytest.fixture
def pusat(seeded) -> Client:
    client = Client()
    client.force_login(role_user(PUSAT))
    CSO.objects.create(cso_id="CSO0001", full_name="Rina Marlina")
    return client


def first_step(client: Client, model_name: str, content: bytes, fmt: str, name: str = "file"):
    """The upload (dry run) of the admin import; the page it answers with."""
    response = client.post(
        reverse(f"admin:policy_{model_name}_import"),
        {"resource": "0", "format": FORMATS[fmt], "import_file": SimpleUploadedFile(f"{name}.{fmt}", content)},
    )
    assert response.status_code == 200
    return response


def as_bytes(dataset: tablib.Dataset, fmt: str) -> bytes:
    content = dataset.export(fmt)
    return content.encode() if isinstance(content, str) else content


def refused(response) -> dict[int, dict[str, list[str]]]:
    """The rows the page refuses, by number, with their errors by field; asserts that
    nothing can be confirmed and that no traceback or server path is shown."""
    assert response.context.get("confirm_form") is None, "a bad file must not be offered for confirmation"
    body = response.content.decode()
    assert "Traceback" not in body and 'File "/' not in body and ".py" not in body
    result = response.context["result"]
    return {row.number: dict(row.field_specific_errors) for row in result.invalid_rows}


def messages_of(errors: dict) -> str:
    return " ".join(" ".join(str(m) for m in v) for v in errors.values())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_same_cso_id_twice_is_refused_naming_both_rows(pusat, fmt):
    """GIVEN a CSO file with CSO0005 on rows 1 and 3
    WHEN Pusat uploads it
    THEN both rows are refused, each saying the id is on rows 1 and 3; nothing is stored."""
    before = fingerprint()
    rows = tablib.Dataset(
        ["CSO0005", "Sari Dewi", "", "1"],
        ["CSO0006", "Budi Santoso", "", "1"],
        ["CSO0005", "Sari Dewi Lestari", "", "1"],
        headers=CSO_HEADERS,
    )
    bad = refused(first_step(pusat, "cso", as_bytes(rows, fmt), fmt))
    assert set(bad) == {1, 3}
    for errors in bad.values():
        assert "cso_id 'CSO0005' is on rows 1 and 3" in messages_of(errors)
    assert fingerprint() == before


def test_a_template_key_twice_is_refused(pusat):
    rows = tablib.Dataset(headers=["directive", "element", "channel", "text"])
    rows.append(["SOP-PLN123-HPN2023", "opening", "", "PLN 123 Selamat {waktu}, dengan {nama_cso}"])
    rows.append(["SOP-PLN123-HPN2023", "opening", "", "PLN 123 Halo, dengan {nama_cso}"])
    before = GreetingTemplate.history.count()
    bad = refused(first_step(pusat, "greetingtemplate", as_bytes(rows, "csv"), "csv"))
    assert set(bad) == {1, 2}
    assert "directive 'SOP-PLN123-HPN2023', element 'opening', channel empty is on rows 1 and 2" in messages_of(bad[1])
    assert GreetingTemplate.history.count() == before


@pytest.mark.parametrize("word", ["maybe", "", "2", "ya"])
def test_a_boolean_that_is_not_one_is_refused(pusat, word):
    rows = tablib.Dataset(["CSO0007", "Sari Dewi", "", word], headers=CSO_HEADERS)
    bad = refused(first_step(pusat, "cso", as_bytes(rows, "csv"), "csv"))
    assert list(bad) == [1]
    assert "write 1 or 0 (or true/false, yes/no)" in " ".join(bad[1]["active"])
    assert not CSO.objects.filter(cso_id="CSO0007").exists()


@pytest.mark.parametrize("word,expected", [("1", True), ("0", False), ("TRUE", True), ("no", False), ("Yes", True)])
def test_the_usual_booleans_import(pusat, word, expected):
    rows = tablib.Dataset(["CSO0008", "Sari Dewi", "", word], headers=CSO_HEADERS)
    response = first_step(pusat, "cso", as_bytes(rows, "csv"), "csv")
    confirm = response.context["confirm_form"]
    assert confirm is not None
    done = pusat.post(reverse("admin:policy_cso_process_import"), dict(confirm.initial))
    assert done.status_code == 302
    assert CSO.objects.get(cso_id="CSO0008").active is expected


def test_values_longer_than_their_field_are_refused_with_the_row(pusat):
    rows = tablib.Dataset(
        ["CSO0009", "Sari Dewi", "", "1"],
        ["C" * 303, "N" * 5000, "A" * 301, "1"],
        headers=CSO_HEADERS,
    )
    bad = refused(first_step(pusat, "cso", as_bytes(rows, "csv"), "csv"))
    assert list(bad) == [2]
    assert "at most 32 characters (it has 303)" in " ".join(bad[2]["cso_id"])
    assert "at most 200 characters (it has 5000)" in " ".join(bad[2]["full_name"])
    assert "at most 300 characters (it has 301)" in " ".join(bad[2]["aliases"])
    assert not CSO.objects.filter(cso_id="CSO0009").exists()


def test_a_control_character_is_refused_with_its_position(pusat):
    rows = tablib.Dataset(["CSO0010", "Sari\x07 Dewi", "", "1"], headers=CSO_HEADERS)
    bad = refused(first_step(pusat, "cso", as_bytes(rows, "csv"), "csv"))
    assert "invisible control character (U+0007) at position 5" in " ".join(bad[1]["full_name"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_a_file_without_its_key_column_says_so_without_a_traceback(pusat, fmt):
    """GIVEN a CSO file whose header lacks cso_id
    WHEN Pusat uploads it
    THEN the page says the column is missing and which columns a file needs, with no
    Python traceback or server path, and nothing is stored."""
    before = fingerprint()
    rows = tablib.Dataset(["Sari Dewi", "", "1"], headers=["full_name", "aliases", "active"])
    response = first_step(pusat, "cso", as_bytes(rows, fmt), fmt)
    assert response.context.get("confirm_form") is None
    body = response.content.decode()
    assert "The file has no cso_id column" in body
    assert "(cso_id, full_name, aliases, active)" in body
    assert "Traceback" not in body and "import_id_fields" not in body and ".py" not in body
    assert fingerprint() == before


def test_a_file_that_is_not_the_chosen_format_says_what_to_do(pusat):
    response = first_step(pusat, "cso", b"PK\x03\x04 not really a workbook", "xlsx")
    body = response.content.decode()
    assert "could not be read as XLSX: it is not an Excel workbook (.xlsx), or it is damaged" in body
    assert "BadZipFile" not in body and "encountered" not in body
    latin1 = first_step(pusat, "cso", "cso_id,full_name\nCSO0011,Séka\n".encode("latin-1"), "csv")
    assert "it is not UTF-8 text" in latin1.content.decode()
