"""directive_content_save, the one write of a directive's content: one version per
change, the scope checked before anything is written, user and reason in the history;
and the audience categories, which are data with no default."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from policy.choices import DirectiveStatus, Element
from policy.models import Channel, Directive, GreetingTemplate
from policy.resources import DirectiveResource
from policy.selectors import policy_snapshot
from policy.services import directive_content_save, directive_publish
from rules.resolver import expected_greeting
from tests.factories import SuperUserFactory

pytestmark = pytest.mark.django_db

HPN = "SOP-PLN123-HPN2023"
NEW_TEXT = "PLN 123 Selamat {waktu}, Selamat HPN, dengan {nama_cso} bisa dibantu"


@pytest.fixture
def pusat(seeded):
    return SuperUserFactory(username="pusat")


def hpn() -> Directive:
    return Directive.objects.get(reference=HPN)


def channels(*codes: str) -> list[Channel]:
    return list(Channel.objects.filter(code__in=codes))


def history_rows() -> int:
    return Directive.history.count() + GreetingTemplate.history.count()


def test_fields_channels_and_templates_changed_together_are_one_version(pusat):
    """GIVEN the published HPN directive at version 1
    WHEN one call changes its title, its channels and its template
    THEN it is version 2, with exactly one new history row of the directive, carrying
    the user, the reason and the new channels; the template's row has them too."""
    directive = hpn()
    rows_before = directive.history.count()
    template = directive.templates.get()
    template.text = NEW_TEXT
    directive_content_save(
        directive=directive,
        fields={"title": "HPN 2023 (revised)"},
        channels=channels("live_chat", "email"),
        templates=[template],
        user=pusat,
        reason="Memo revised",
    )
    assert (directive.version, directive.title) == (2, "HPN 2023 (revised)")
    assert directive.history.count() == rows_before + 1
    latest = directive.history.latest()
    assert (latest.version, latest.history_user, latest.history_change_reason) == (2, pusat, "Memo revised")
    assert sorted(row.channel.code for row in latest.channels.all()) == ["email", "live_chat"]
    stored = directive.templates.get()
    assert stored.text == NEW_TEXT
    assert (stored.history.latest().history_user, stored.history.latest().history_change_reason) == (
        pusat,
        "Memo revised",
    )


def test_nothing_changed_writes_nothing(pusat):
    directive = hpn()
    rows_before = history_rows()
    directive_content_save(
        directive=directive,
        fields={"title": directive.title},
        channels=list(directive.channels.all()),
        templates=list(directive.templates.all()),
        user=pusat,
        reason="Saved again",
    )
    assert hpn().version == 1 and history_rows() == rows_before


def test_scope_error_on_a_published_directive_stores_nothing(pusat):
    """GIVEN the published HPN directive
    WHEN a change adds a voice template while HPN does not cover voice, with a new title
    THEN a ValidationError names the problem, and neither the title, the template, the
    version nor any history row is stored."""
    directive = hpn()
    rows_before = history_rows()
    voice = GreetingTemplate(element=Element.OPENING, channel=Channel.objects.get(code="voice"), text=NEW_TEXT)
    with pytest.raises(ValidationError, match="is for voice, which SOP-PLN123-HPN2023 does not cover"):
        directive_content_save(
            directive=directive,
            fields={"title": "Half written?"},
            templates=[*directive.templates.all(), voice],
            user=pusat,
            reason="Voice too",
        )
    stored = hpn()
    assert (stored.version, stored.title) != (2, "Half written?")
    assert stored.templates.count() == 1
    assert history_rows() == rows_before


def test_removing_the_last_template_of_a_published_directive_is_refused(pusat):
    with pytest.raises(ValidationError, match="has no greeting template"):
        directive_content_save(directive=hpn(), fields={}, templates=[], user=pusat, reason="Empty it")
    assert hpn().templates.count() == 1


def test_a_bad_template_stores_nothing(pusat):
    directive = hpn()
    rows_before = history_rows()
    template = directive.templates.get()
    template.text = "PLN 123 {nama}"
    with pytest.raises(ValidationError, match="The slot {nama} does not exist"):
        directive_content_save(
            directive=directive,
            fields={"priority": 9},
            channels=channels("live_chat", "email"),
            templates=[template],
            user=pusat,
            reason="Typo",
        )
    stored = hpn()
    assert (stored.priority, stored.version, history_rows()) == (0, 1, rows_before)
    assert sorted(c.code for c in stored.channels.all()) == ["email", "live_chat", "social_media"]


def test_a_blank_reason_is_refused(pusat):
    with pytest.raises(ValidationError, match="Say why"):
        directive_content_save(directive=hpn(), fields={"title": "x"}, user=pusat, reason="  ")
    assert hpn().version == 1


def test_status_is_not_content(pusat):
    with pytest.raises(ValueError, match="status"):
        directive_content_save(directive=hpn(), fields={"status": "draft"}, user=pusat, reason="Sneaky")


def new_directive(*, reference: str, channel: str, user, status=DirectiveStatus.DRAFT, **fields) -> Directive:
    """A directive over Christmas week with one opening template, created by the service."""
    return directive_content_save(
        directive=Directive(status=status),
        fields={
            "reference": reference,
            "title": reference,
            "valid_from_date": dt.date(2023, 12, 20),
            "valid_until_date": dt.date(2023, 12, 26),
            **fields,
        },
        channels=channels(channel),
        templates=[GreetingTemplate(element=Element.OPENING, text=NEW_TEXT)],
        user=user,
        reason="Drafted",
    )


def test_a_new_directive_is_a_draft_at_version_1_with_user_and_reason(pusat):
    # The status asked for is ignored: the service creates a draft.
    new_directive(reference="SOP-PLN123-NEW", channel="live_chat", user=pusat, status=DirectiveStatus.PUBLISHED)
    stored = Directive.objects.get(reference="SOP-PLN123-NEW")
    assert (stored.status, stored.version) == (DirectiveStatus.DRAFT, 1)
    assert [c.code for c in stored.channels.all()] == ["live_chat"]
    assert stored.templates.get().text == NEW_TEXT
    assert {(r.history_user, r.history_change_reason) for r in stored.history.all()} == {(pusat, "Drafted")}
    assert sorted(row.channel.code for row in stored.history.latest().channels.all()) == ["live_chat"]


# --- audience categories: data, no default -----------------------------------------------------


def test_a_directive_created_without_categories_never_owes_the_greeting_on_public_posts(pusat):
    """GIVEN a directive on social media created without audience categories, published
    WHEN a public post on social media in its window is asked about
    THEN no greeting is owed, whatever the category; a private message still owes it."""
    directive = new_directive(reference="SOP-PLN123-NOCAT", channel="social_media", user=pusat, priority=5)
    assert directive.public_owed_categories == ""
    directive_publish(directive=directive, user=pusat)
    policy = policy_snapshot()
    moment = dt.datetime(2023, 12, 22, 9, 0)
    for category in ("Informasi", "Keluhan", None):
        answer = expected_greeting(
            policy, channel="social_media", at=moment, timezone="WIB", visibility="public", category=category
        )
        assert answer.directive.reference == "SOP-PLN123-NOCAT"
        assert answer.owed is False, category
    assert expected_greeting(policy, channel="social_media", at=moment, timezone="WIB").owed is True


def test_import_without_categories_leaves_them_empty(pusat):
    dataset = DirectiveResource().export(queryset=Directive.objects.filter(reference=HPN))
    row = {**dataset.dict[0], "reference": "SOP-PLN123-IMPORTED"}
    del row["public_owed_categories"]
    dataset.dict = [row]
    result = DirectiveResource().import_data(dataset, dry_run=False, user=pusat, file_name="x.csv")
    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows
    assert Directive.objects.get(reference="SOP-PLN123-IMPORTED").public_owed_categories == ""


def test_admin_add_form_does_not_fill_categories_and_says_what_empty_means(client, pusat):
    client.force_login(pusat)
    response = client.get(reverse("admin:policy_directive_add"))
    form = response.context["adminform"].form
    assert not form["public_owed_categories"].value()
    assert "Left empty, a public post never owes the greeting." in response.content.decode()
