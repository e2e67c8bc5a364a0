"""Pusat's safety net, driven through the admin as Pusat: a draft with a mistyped
template fails its labelled example and the what-if report flips verdicts; fixed,
its examples pass, the report says it changes nothing, and it is published."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from policy.choices import DirectiveStatus
from policy.models import Channel, Directive, DirectiveExample
from policy.seed import HPN_OPENING
from scoring.models import Score
from tests.factories import changeform_data
from tests.roles import PUSAT, role_user
from whatif.models import RunStatus, WhatIfRun

pytestmark = pytest.mark.django_db

REF = "SOP-PLN123-HPN-LIVECHAT"
MISTYPED = HPN_OPENING.replace("PLN 123 selamat", "PLN 132 selamat")
GOOD_OPENING = (
    "PLN 123 selamat Pagi, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, dengan Rina bisa dibantu"
)


@pytest.fixture
def scored(seeded, dev_data):
    """The dev transcripts uploaded and scored against the seeded SOP."""
    from common.users import system_user
    from scoring.services import chunks, ingest

    content = (dev_data / "dev-transcripts.jsonl").read_bytes()
    batch = ingest.batch_ingest(filename="dev.jsonl", content=content, user=system_user(), enqueue=False)
    return chunks.batch_score_inline(batch=batch)


@pytest.fixture
def pusat_client(client, scored, django_capture_on_commit_callbacks):
    client.force_login(role_user(PUSAT))
    # The what-if is queued after its transaction commits; the tests run tasks inline.
    client.on_commit = django_capture_on_commit_callbacks
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def add_draft(client, template_text: str):
    live_chat = Channel.objects.get(code="live_chat")
    url = reverse("admin:policy_directive_add")
    data = changeform_data(
        client.get(url),
        kind="directive",
        reference=REF,
        title="HPN 2023 on live chat, ahead of the other channels",
        valid_from_date="2023-09-04",
        valid_from_time="00:00:00",
        valid_until_date="2023-09-30",
        valid_until_time="23:59:59",
        priority="5",
        channels=[str(live_chat.pk)],
        public_owed_categories="Informasi",
        **{
            "templates-TOTAL_FORMS": "1",
            "templates-0-element": "opening",
            "templates-0-channel": "",
            "templates-0-text": template_text,
            "examples-TOTAL_FORMS": "1",
            "examples-0-channel": str(live_chat.pk),
            "examples-0-local_date": "2023-09-15",
            "examples-0-local_time": "09:00",
            "examples-0-timezone": "WIB",
            "examples-0-visibility": "private",
            "examples-0-category": "",
            "examples-0-first_contact": "on",
            "examples-0-cso_name": "Rina",
            "examples-0-opening": GOOD_OPENING,
            "examples-0-expected": "YES",
            "examples-0-note": "The memo's greeting, said right",
        },
    )
    return client.post(url, data, follow=True)


def run_whatif(client, directive) -> str:
    """Start the what-if from the publish page (the tests run tasks inline) and read
    the page again, as Pusat's browser does while it refreshes."""
    publish_url = reverse("admin:policy_directive_publish", args=[directive.pk])
    with client.on_commit(execute=True):
        client.post(reverse("admin:policy_directive_whatif", args=[directive.pk]))
    return client.get(publish_url).content.decode()


def test_pusat_fixes_a_mistyped_draft_before_publishing(pusat_client):
    """GIVEN the SOP and scored dev transcripts
    WHEN Pusat adds a live-chat draft whose template says "PLN 132"
    THEN its labelled example fails on save, publication is refused naming the
    example and the engine's reason, and the what-if shows YES verdicts turning NO;
    WHEN Pusat fixes the template
    THEN the example passes, the what-if says it changes nothing, and it publishes."""
    before_scores = list(Score.objects.order_by("pk").values_list("pk", "result", "is_current"))
    saved = add_draft(pusat_client, MISTYPED)
    draft = Directive.objects.get(reference=REF)
    assert DirectiveExample.objects.filter(directive=draft).count() == 1
    example = draft.examples.get()
    assert example.history.get().history_user.username == "role-pusat"
    assert any("Labelled example failed" in m and "expects YES, got NO" in m for m in messages_of(saved))

    page = run_whatif(pusat_client, draft)
    run = WhatIfRun.objects.get(directive=draft)
    assert run.status == RunStatus.DONE and run.transcript_count > 0 and run.done_count == run.transcript_count
    assert run.changed_count > 0
    assert "YES &rarr; NO" in page and 'id="whatif-examples"' in page
    assert 'class="example-fail"' in page and "1 example fails" in page
    # Nothing of the what-if is a score.
    assert list(Score.objects.order_by("pk").values_list("pk", "result", "is_current")) == before_scores

    publish_url = reverse("admin:policy_directive_publish", args=[draft.pk])
    refused = pusat_client.post(publish_url, {"reason": "", "confirm_changes": "on"}, follow=True)
    draft.refresh_from_db()
    assert draft.status == DirectiveStatus.DRAFT
    text = " ".join(messages_of(refused))
    assert "was not published" in text and f"Example {example.pk}" in text and "expects YES, got NO" in text

    # The fix: the memo's greeting as written.
    change_url = reverse("admin:policy_directive_change", args=[draft.pk])
    data = changeform_data(pusat_client.get(change_url), **{"templates-0-text": HPN_OPENING})
    fixed = pusat_client.post(change_url, data, follow=True)
    assert any("All 1 labelled examples" in m for m in messages_of(fixed))
    draft.refresh_from_db()
    # The old report was of the old version: the page no longer shows it.
    assert "YES &rarr; NO" not in pusat_client.get(publish_url).content.decode()

    page = run_whatif(pusat_client, draft)
    latest = WhatIfRun.objects.filter(directive=draft).first()
    assert latest.directive_version == draft.version and latest.changed_count == 0
    assert "This draft changes nothing" in page
    assert 'name="confirm_changes"' not in page

    pusat_client.post(publish_url, {"reason": "HPN memo on live chat"})
    draft.refresh_from_db()
    assert draft.status == DirectiveStatus.PUBLISHED
    assert list(Score.objects.order_by("pk").values_list("pk", "result", "is_current")) == before_scores


def test_a_draft_that_flips_verdicts_needs_confirmation(pusat_client):
    """GIVEN a draft without examples whose what-if flips verdicts
    WHEN Pusat publishes without ticking the box THEN it stays a draft; ticked, it publishes."""
    add_draft(pusat_client, MISTYPED)
    draft = Directive.objects.get(reference=REF)
    draft.examples.all().delete()
    run_whatif(pusat_client, draft)
    publish_url = reverse("admin:policy_directive_publish", args=[draft.pk])
    refused = pusat_client.post(publish_url, {"reason": "go"})
    assert "tick the box to confirm" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == DirectiveStatus.DRAFT
    pusat_client.post(publish_url, {"reason": "go", "confirm_changes": "on"})
    draft.refresh_from_db()
    assert draft.status == DirectiveStatus.PUBLISHED


def test_draft_preview_answers_as_if_published(pusat_client):
    """The greeting preview with a draft chosen answers with it, labelled as a draft."""
    add_draft(pusat_client, MISTYPED)
    draft = Directive.objects.get(reference=REF)
    url = reverse("admin:policy_directive_preview")
    query = {
        "channel": "live_chat",
        "date": "2023-09-15",
        "time": "09:00",
        "timezone": "WIB",
        "visibility": "private",
        "category": "",
        "first_contact": "on",
        "element": "opening",
        "cso_name": "Rina",
    }
    published = pusat_client.get(url, query).content.decode()
    assert "SOP-PLN123-HPN2023 v" in published and "Draft, not in force" not in published
    page = pusat_client.get(url, {**query, "draft": str(draft.pk)}).content.decode()
    assert "Draft, not in force" in page
    assert f"{REF} v{draft.version}" in page
    assert "PLN 132 selamat Pagi" in page
