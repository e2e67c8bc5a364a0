"""Import and export of the policy: natural keys, CSV/XLSX/JSON, history with the
importing user and file, imported directives as drafts, row-numbered errors."""

from __future__ import annotations

import datetime as dt

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.formats.base_formats import CSV, JSON, XLSX

from policy.choices import DirectiveStatus
from policy.models import CSO, Channel, Directive, GreetingTemplate, ScoredParameter
from policy.resources import (
    CSOResource,
    DirectiveResource,
    GreetingTemplateResource,
    ScoredParameterResource,
)
from policy.selectors import policy_snapshot
from policy.services import directive_publish
from rules.resolver import expected_greeting
from tests.factories import CSOFactory, SuperUserFactory

pytestmark = pytest.mark.django_db

FORMATS = {"csv": (0, CSV), "xlsx": (1, XLSX), "json": (2, JSON)}
NATAL = "SOP-PLN123-NATAL2023"
NATAL_OPENING = "PLN 123 Selamat {waktu}, Selamat Hari Natal 2023, dengan {nama_cso} bisa dibantu"
RESOURCES = {
    "directive": DirectiveResource,
    "greetingtemplate": GreetingTemplateResource,
    "scoredparameter": ScoredParameterResource,
    "cso": CSOResource,
}


@pytest.fixture
def pusat(seeded):
    CSOFactory(cso_id="CSO0001", full_name="Rina Marlina", aliases="Rin")
    CSOFactory(cso_id="CSO0002", full_name="Budi Santoso")
    return SuperUserFactory(username="pusat")


@pytest.fixture
def admin_client(client, pusat):
    client.force_login(pusat)
    return client


def natal_directive_rows() -> tablib.Dataset:
    headers = [
        "reference",
        "kind",
        "title",
        "issuing_unit",
        "status",
        "priority",
        "valid_from_date",
        "valid_from_time",
        "valid_until_date",
        "valid_until_time",
        "channels",
        "first_contact_only",
        "public_owed_categories",
        "typo_ratio",
        "typo_min_length",
        "forms_of_address",
        "memo_text",
    ]
    row = [
        NATAL,
        "directive",
        "Salam pembuka Natal 2023 (layanan digital)",
        "Divisi Pelayanan Pelanggan & Retail PLN Pusat",
        "published",  # ignored: imported directives arrive as drafts
        "0",
        "2023-12-20",
        "00:00:00",
        "2023-12-26",
        "23:59:59",
        "live_chat, email",
        "1",
        "Informasi",
        "0.10",
        "10",
        "",
        "Memo Natal 2023",
    ]
    return tablib.Dataset(row, headers=headers)


def natal_template_rows(text: str = NATAL_OPENING, channel: str = "") -> tablib.Dataset:
    return tablib.Dataset([NATAL, "opening", channel, text], headers=["directive", "element", "channel", "text"])


def as_file(dataset: tablib.Dataset, fmt: str, name: str) -> SimpleUploadedFile:
    content = dataset.export(fmt)
    if isinstance(content, str):
        content = content.encode()
    return SimpleUploadedFile(name, content)


def admin_import(client, model_name: str, upload: SimpleUploadedFile, fmt: str):
    """The two-step admin import: upload (a dry run) then confirm. Returns both responses."""
    url = reverse(f"admin:policy_{model_name}_import")
    first = client.post(url, {"resource": "0", "format": str(FORMATS[fmt][0]), "import_file": upload})
    assert first.status_code == 200
    confirm = first.context.get("confirm_form")
    if confirm is None:
        return first, None
    second = client.post(reverse(f"admin:policy_{model_name}_process_import"), dict(confirm.initial))
    return first, second


def assert_natal_in_force():
    policy = policy_snapshot()
    at = dt.datetime(2023, 12, 24, 9, 0)
    answer = expected_greeting(policy, channel="live_chat", at=at, timezone="WIB")
    assert answer.directive.reference == NATAL
    assert answer.greeting == "PLN 123 Selamat Pagi, Selamat Hari Natal 2023, dengan {nama_cso} bisa dibantu"
    voice = expected_greeting(policy, channel="voice", at=at, timezone="WIB")
    assert voice.directive.reference == "SOP-PLN123-STD"
    assert voice.greeting == "PLN 123 Selamat Pagi, dengan {nama_cso} Bisa Dibantu"
    after = expected_greeting(policy, channel="live_chat", at=dt.datetime(2023, 12, 27, 9, 0), timezone="WIB")
    assert after.directive.reference == "SOP-PLN123-STD"


# --- export ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("model_name", RESOURCES)
def test_admin_export(admin_client, model_name, fmt):
    index, format_class = FORMATS[fmt]
    resource = RESOURCES[model_name]
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    url = reverse(f"admin:policy_{model_name}_export")
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"resource": "0", "format": str(index), **fields})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.content if format_class().is_binary() else response.content.decode("utf-8-sig")
    dataset = format_class().create_dataset(data)
    assert len(dataset) == resource().get_queryset().count() > 0
    if model_name == "directive":
        hpn = next(row for row in dataset.dict if row["reference"] == "SOP-PLN123-HPN2023")
        assert hpn["channels"] == "email,live_chat,social_media"
        assert hpn["status"] == "published"
    if model_name == "greetingtemplate":
        assert {row["directive"] for row in dataset.dict} == {"SOP-PLN123-STD", "SOP-PLN123-HPN2023"}
    if model_name == "scoredparameter":
        assert {row["channel"] for row in dataset.dict} == {"voice", "live_chat", "email", "social_media"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_of_unchanged_data_changes_nothing(pusat, fmt):
    """GIVEN the seeded policy exported as CSV, XLSX or JSON
    WHEN the same file is imported again
    THEN every row is skipped: no new version, no history row."""
    _, format_class = FORMATS[fmt]
    history_before = {name: r._meta.model.history.count() for name, r in RESOURCES.items()}
    for resource_class in RESOURCES.values():
        exported = format_class().export_data(resource_class().export())
        dataset = format_class().create_dataset(exported)
        result = resource_class().import_data(dataset, dry_run=False, user=pusat, file_name=f"same.{fmt}")
        assert not result.has_errors() and not result.has_validation_errors()
        assert result.totals["skip"] == len(dataset)
    assert {name: r._meta.model.history.count() for name, r in RESOURCES.items()} == history_before
    assert Directive.objects.get(reference="SOP-PLN123-HPN2023").version == 1


def test_import_page_explains_that_imports_arrive_as_drafts(admin_client):
    response = admin_client.get(reverse("admin:policy_directive_import"))
    assert response.status_code == 200
    assert "Imported directives arrive as drafts" in response.content.decode()


# --- import of a new directive ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_admin_import_of_a_new_directive_then_publish(admin_client, pusat, fmt):
    """GIVEN the seeded SOP
    WHEN Pusat imports the Natal directive and then its opening template through the
    admin's two-step import, and publishes the directive
    THEN both arrive as a draft with history rows "Imported from <file>" by Pusat, and
    once published the resolver gives the Natal greeting on live chat on 24 December,
    the baseline on voice, and the baseline again on 27 December."""
    first, done = admin_import(admin_client, "directive", as_file(natal_directive_rows(), fmt, f"natal.{fmt}"), fmt)
    assert done is not None, first.content.decode()
    assert done.status_code == 302
    natal = Directive.objects.get(reference=NATAL)
    assert natal.status == DirectiveStatus.DRAFT  # the file said published: imports arrive as drafts
    assert sorted(c.code for c in natal.channels.all()) == ["email", "live_chat"]
    rows = list(natal.history.all())
    assert rows and all(r.history_user == pusat for r in rows)
    assert all(r.history_change_reason == f"Imported from natal.{fmt}" for r in rows)

    _, done = admin_import(admin_client, "greetingtemplate", as_file(natal_template_rows(), fmt, f"t.{fmt}"), fmt)
    assert done.status_code == 302
    template = GreetingTemplate.objects.get(directive__reference=NATAL)
    created = template.history.get()
    assert (created.history_user, created.history_change_reason) == (pusat, f"Imported from t.{fmt}")

    directive_publish(directive=Directive.objects.get(reference=NATAL), user=pusat)
    assert_natal_in_force()


def test_resource_api_import_writes_history_with_user_and_file(pusat):
    directive_data = JSON().create_dataset(natal_directive_rows().export("json"))
    result = DirectiveResource().import_data(directive_data, dry_run=False, user=pusat, file_name="natal.json")
    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows
    template_data = XLSX().create_dataset(natal_template_rows().export("xlsx"))
    result = GreetingTemplateResource().import_data(template_data, dry_run=False, user=pusat, file_name="t.xlsx")
    assert not result.has_errors() and not result.has_validation_errors()

    natal = Directive.objects.get(reference=NATAL)
    assert natal.history.filter(history_user=pusat, history_change_reason="Imported from natal.json").exists()
    template = natal.templates.get()
    assert template.history.filter(history_user=pusat, history_change_reason="Imported from t.xlsx").exists()
    # a template imported into an existing directive is a new version of it
    assert natal.version == 2
    assert natal.history.latest().history_change_reason == "Imported from t.xlsx"

    directive_publish(directive=natal, user=pusat)
    assert_natal_in_force()


def test_import_changing_an_existing_directive_is_one_new_version(pusat):
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    rows_before = hpn.history.count()
    dataset = DirectiveResource().export(queryset=Directive.objects.filter(pk=hpn.pk))
    dataset.dict = [{**dataset.dict[0], "priority": "7", "channels": "live_chat,email"}]
    result = DirectiveResource().import_data(dataset, dry_run=False, user=pusat, file_name="hpn.csv")
    assert not result.has_errors() and not result.has_validation_errors()
    hpn.refresh_from_db()
    assert (hpn.priority, hpn.version, hpn.status) == (7, 2, DirectiveStatus.PUBLISHED)
    assert hpn.history.count() == rows_before + 1
    latest = hpn.history.latest()
    assert (latest.version, latest.history_user, latest.history_change_reason) == (2, pusat, "Imported from hpn.csv")
    assert sorted(row.channel.code for row in latest.channels.all()) == ["email", "live_chat"]


def test_import_of_scored_parameters_and_csos(pusat):
    parameters = tablib.Dataset(["1.2", "live_chat", "Menggunakan Salam Penutup", "closing", "1"])
    parameters.headers = ["code", "channel", "name", "element", "active"]
    ScoredParameterResource().import_data(parameters, dry_run=False, user=pusat, file_name="p.csv")
    parameter = ScoredParameter.objects.get(code="1.2", channel__code="live_chat")
    assert parameter.history.get().history_change_reason == "Imported from p.csv"

    csos = tablib.Dataset(["CSO0001", "Rina Marlina", "Rin, Ina", "1"], ["CSO0099", "Sari Dewi", "", "1"])
    csos.headers = ["cso_id", "full_name", "aliases", "active"]
    result = CSOResource().import_data(csos, dry_run=False, user=pusat, file_name="cso.csv")
    assert (result.totals["update"], result.totals["new"]) == (1, 1)
    assert CSO.objects.get(cso_id="CSO0001").history.latest().history_change_reason == "Imported from cso.csv"
    assert CSO.objects.get(cso_id="CSO0099").history.get().history_user == pusat


# --- bad files --------------------------------------------------------------------------------


def test_bad_template_file_shows_row_numbered_errors_and_stores_nothing(admin_client, pusat):
    DirectiveResource().import_data(natal_directive_rows(), dry_run=False, user=pusat, file_name="natal.csv")
    natal = Directive.objects.get(reference=NATAL)
    history_before = GreetingTemplate.history.count()
    bad = tablib.Dataset(headers=["directive", "element", "channel", "text"])
    bad.append([NATAL, "opening", "", NATAL_OPENING])  # row 1 is fine
    bad.append([NATAL, "opening", "fax", NATAL_OPENING])  # row 2: no such channel
    bad.append([NATAL, "closing", "email", "Terima kasih {nama}"])  # row 3: no such slot
    first, done = admin_import(admin_client, "greetingtemplate", as_file(bad, "csv", "bad.csv"), "csv")
    assert done is None, "a file with errors must not be offered for confirmation"
    body = first.content.decode()
    assert "Some rows failed to validate" in body
    invalid = {row.number: row for row in first.context["result"].invalid_rows}
    assert set(invalid) == {2, 3}
    assert "unknown channel code &#x27;fax&#x27;" in body or "unknown channel code 'fax'" in body
    assert "The slot {nama} does not exist" in body
    assert not natal.templates.exists()
    assert GreetingTemplate.history.count() == history_before


def test_bad_directive_file_via_resource_api_stores_nothing(pusat):
    rows = natal_directive_rows()
    rows.append(["SOP-PLN123-BAD", "directive", "Bad", "", "", "0", "2023-12-20", "00:00:00", "2023-12-10",
                 "23:59:59", "live_chat, fax", "1", "", "0.10", "10", "", ""])  # fmt: skip
    result = DirectiveResource().import_data(
        rows, dry_run=False, user=pusat, file_name="bad.csv", rollback_on_validation_errors=True
    )
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.number == 2
    errors = invalid.field_specific_errors
    assert "unknown channel code fax" in " ".join(errors["channels"])
    assert "before it starts" in " ".join(errors["valid_until_date"])
    assert not Directive.objects.filter(reference__in=[NATAL, "SOP-PLN123-BAD"]).exists()


def test_a_template_file_is_one_new_version_per_directive(pusat):
    """GIVEN the published HPN directive at version 1
    WHEN one file changes its opening template and adds a closing one for email
    THEN HPN is at version 2 (not 3), with one history row "Imported from <file>"."""
    for channel in Channel.objects.filter(code__in=["live_chat", "email", "social_media"]):
        ScoredParameter.objects.create(code="1.2", name="Salam penutup", channel=channel, element="closing")
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    rows_before = hpn.history.count()
    rows = tablib.Dataset(headers=["directive", "element", "channel", "text"])
    rows.append([hpn.reference, "opening", "", NATAL_OPENING])
    rows.append([hpn.reference, "closing", "email", "Terima kasih, {nama_cso}"])
    result = GreetingTemplateResource().import_data(rows, dry_run=False, user=pusat, file_name="t.csv")
    assert not result.has_errors() and not result.has_validation_errors(), result.base_errors
    hpn.refresh_from_db()
    assert hpn.version == 2 and hpn.history.count() == rows_before + 1
    assert hpn.history.latest().history_change_reason == "Imported from t.csv"
    assert sorted(hpn.templates.values_list("element", flat=True)) == ["closing", "opening"]


def test_a_template_file_breaking_the_scope_of_a_published_directive_stores_nothing(pusat):
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    rows = tablib.Dataset(
        [hpn.reference, "opening", "voice", NATAL_OPENING], headers=["directive", "element", "channel", "text"]
    )
    result = GreetingTemplateResource().import_data(rows, dry_run=False, user=pusat, file_name="t.csv")
    assert result.has_errors()
    assert "is for voice, which SOP-PLN123-HPN2023 does not cover" in str(result.base_errors[0].error)
    hpn.refresh_from_db()
    assert hpn.version == 1 and hpn.templates.count() == 1
