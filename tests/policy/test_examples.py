"""Labelled examples of a directive: imported and exported with the policy (history
with the importer and the file), scored by the pure engine as if published, and a
failing one stops publication with the engine's reason."""

from __future__ import annotations

import datetime as dt

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.urls import reverse

from policy.examples import directive_examples_check
from policy.models import Channel, DirectiveExample
from policy.resources import DirectiveExampleResource
from policy.services import directive_publish
from tests.factories import DirectiveFactory, GreetingTemplateFactory, SuperUserFactory

pytestmark = pytest.mark.django_db
MORNING = "PLN 123 Selamat Pagi, Selamat Natal, dengan Rina"
EVENING = "PLN 123 Selamat Malam, Selamat Natal, dengan Rina"
HEADERS = ["directive", "channel", "local_date", "local_time", "timezone", "cso_name", "opening", "expected"]


@pytest.fixture
def natal(seeded):
    directive = DirectiveFactory(
        reference="SOP-PLN123-NATAL",
        channels=[Channel.objects.get(code="live_chat")],
        valid_from_date=dt.date(2023, 12, 20),
        valid_until_date=dt.date(2023, 12, 26),
    )
    GreetingTemplateFactory(directive=directive, text="PLN 123 Selamat {waktu}, Selamat Natal, dengan {nama_cso}")
    return directive


def rows(*examples) -> tablib.Dataset:
    return tablib.Dataset(*examples, headers=HEADERS)


def test_examples_import_with_history_and_gate_publication(natal):
    """GIVEN a draft and a file of two examples, one expecting the wrong result
    WHEN they are imported THEN each has a history row naming the importer and the file;
    publication is refused naming the failing example and the engine's reason;
    WHEN the bad row is corrected THEN it publishes."""
    pusat = SuperUserFactory(username="pusat")
    data = rows(
        [natal.reference, "live_chat", "2023-12-24", "09:00", "WIB", "Rina", MORNING, "YES"],
        [natal.reference, "live_chat", "2023-12-24", "19:00", "WIB", "Rina", MORNING, "YES"],
    )
    result = DirectiveExampleResource().import_data(data, dry_run=False, user=pusat, file_name="examples.csv")
    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows
    assert natal.examples.count() == 2
    for example in natal.examples.all():
        assert example.history.get().history_change_reason == "Imported from examples.csv"
    results = directive_examples_check(natal)
    assert [r.passed for r in results] == [True, False]
    with pytest.raises(ValidationError) as refused:
        directive_publish(directive=natal, user=pusat)
    evening = natal.examples.get(local_time=dt.time(19, 0))
    text = " ".join(refused.value.messages)
    assert f"Example {evening.pk}" in text and "expects YES, got NO" in text and "Malam" in text

    fixed = rows([natal.reference, "live_chat", "2023-12-24", "19:00", "WIB", "Rina", EVENING, "YES"])
    result = DirectiveExampleResource().import_data(fixed, dry_run=False, user=pusat, file_name="fix.csv")
    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows
    assert natal.examples.count() == 2  # the same situation: the row was updated
    directive_publish(directive=natal, user=pusat)


def test_examples_export_and_a_bad_row_names_the_row(natal, client):
    """The export carries every example; an unknown directive is a row error, nothing stored."""
    DirectiveExample.objects.create(
        directive=natal,
        channel=Channel.objects.get(code="live_chat"),
        local_date=dt.date(2023, 12, 24),
        local_time=dt.time(9, 0),
        cso_name="Rina",
        opening="Halo",
        expected="NO",
    )
    exported = DirectiveExampleResource().export()
    assert exported.dict[0]["directive"] == natal.reference and exported.dict[0]["expected"] == "NO"
    bad = rows(["SOP-NOPE", "live_chat", "2023-12-24", "09:00", "WIB", "Rina", "Halo", "NO"])
    result = DirectiveExampleResource().import_data(bad, dry_run=False, user=None, file_name="bad.csv")
    assert result.has_validation_errors()
    assert "SOP-NOPE" in str(result.invalid_rows[0].error_dict)
    assert natal.examples.count() == 1
    client.force_login(SuperUserFactory(username="boss"))
    assert client.get(reverse("admin:policy_directiveexample_changelist")).status_code == 200
