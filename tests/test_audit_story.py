"""The audit story of the roles issue, told through the admin as the three roles
would tell it, and the auditor's question answered from the admin alone."""

import csv
import datetime as dt
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from policy.choices import DirectiveStatus, Element
from policy.models import Channel, Directive, GreetingTemplate
from policy.services import object_create
from scoring.models import Score, UploadBatch
from tests.factories import changeform_data

NATAL = "PLN 123 Selamat {waktu}, Selamat Natal 2023, dengan {nama_cso} bisa dibantu"
NATAL_FIXED = "PLN 123 Selamat {waktu}, Selamat Natal dan Tahun Baru 2024, dengan {nama_cso} bisa dibantu"


def member(role: str, username: str):
    user = get_user_model().objects.create_user(username, password="not-used-here-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def as_user(client, user):
    client.force_login(user)
    return client


def natal_transcripts() -> bytes:
    greeting = "PLN 123 Selamat Pagi, Selamat Natal dan Tahun Baru 2024, dengan Rina bisa dibantu"
    lines = []
    for n in range(3):
        lines.append(
            json.dumps(
                {
                    "id": f"LC-NATAL-{n}",
                    "channel": "live_chat",
                    "timezone": "WIB",
                    "cso_name": "Rina Marlina",
                    "messages": [
                        {"sent_at": "2023-12-24T08:00:00", "sender": "customer", "text": "Selamat pagi"},
                        {"sent_at": "2023-12-24T08:01:00", "sender": "cso", "text": greeting},
                    ],
                }
            )
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.django_db
def test_publish_score_correct_rescore_and_audit(seeded, client, django_capture_on_commit_callbacks):
    """GIVEN Pusat, QA and an Auditor
    WHEN Pusat publishes a directive, QA scores transcripts, Pusat corrects the
         template with a reason and QA rescores
    THEN the auditor sees the old and the new scores, each pointing at the version it
         used, and the difference between the versions with who and why."""
    pusat, qa, auditor = member("Pusat", "pusat"), member("QA", "qa"), member("Auditor", "auditor")

    # Pusat drafts and publishes the Christmas directive.
    natal = object_create(
        model=Directive,
        user=pusat,
        reason="Drafted for Christmas",
        reference="SOP-PLN123-NATAL2023",
        title="Salam Natal",
        valid_from_date=dt.date(2023, 12, 20),
        valid_until_date=dt.date(2023, 12, 26),
    )
    natal.channels.set([Channel.objects.get(code="live_chat")])
    object_create(
        model=GreetingTemplate, user=pusat, reason="Drafted", directive=natal, element=Element.OPENING, text=NATAL
    )
    response = as_user(client, pusat).post(
        reverse("admin:policy_directive_publish", args=[natal.pk]), {"reason": "Approved by the division head"}
    )
    assert response.status_code == 302
    natal.refresh_from_db()
    assert natal.status == DirectiveStatus.PUBLISHED and natal.version == 1

    # QA uploads transcripts; the workers (eager in tests) score them against version 1.
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(client, qa).post(
            reverse("admin:scoring_uploadbatch_upload"),
            {"file": SimpleUploadedFile("natal.jsonl", natal_transcripts())},
        )
    assert response.status_code == 302
    batch = UploadBatch.objects.get()
    old_scores = list(Score.objects.filter(batch=batch))
    assert len(old_scores) == 3
    assert {(s.result, s.directive.reference, s.directive_version) for s in old_scores} == {
        ("NO", "SOP-PLN123-NATAL2023", 1)
    }

    # Pusat corrects the template: a published directive needs a reason; a new version.
    change_url = reverse("admin:policy_directive_change", args=[natal.pk])
    as_user(client, pusat)
    form = client.get(change_url)
    data = changeform_data(form, **{"templates-0-text": NATAL_FIXED})
    refused = client.post(change_url, {**data, "change_reason": ""})
    assert refused.status_code == 200 and "Say why you change a published directive" in refused.content.decode()
    response = client.post(change_url, {**data, "change_reason": "Memo 12/2023 says 'Tahun Baru 2024'"})
    assert response.status_code == 302, response.content.decode()[:2000]
    natal.refresh_from_db()
    assert natal.version == 2

    # QA rescores the batch: new scores against version 2, the old ones stay.
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(client, qa).post(reverse("admin:scoring_uploadbatch_rescore", args=[batch.pk]))
    assert response.status_code == 302
    new_scores = list(Score.objects.filter(is_current=True))
    assert {(s.result, s.directive_version) for s in new_scores} == {("YES", 2)}
    assert Score.objects.filter(is_current=False).count() == 3

    # The auditor sees both scores, each pointing at the version it used.
    as_user(client, auditor)
    for score, version in ((old_scores[0], 1), (new_scores[0], 2)):
        page = client.get(reverse("admin:scoring_score_change", args=[score.pk])).content.decode()
        assert f"v{version}" in page or f"version {version}" in page
        history_url = reverse("admin:policy_directive_simple_history", args=[natal.pk, score.directive_history_id])
        assert history_url in page
        assert client.get(history_url).status_code == 200
    assert old_scores[0].directive_history.version == 1
    assert new_scores[0].directive_history.version == 2

    # ... and the difference between the versions, with who and why.
    history = client.get(reverse("admin:policy_directive_history", args=[natal.pk])).content.decode()
    assert "Tahun Baru 2024" in history and "Selamat Natal 2023" in history
    assert "Memo 12/2023 says" in history
    assert "pusat" in history
    today = timezone.localdate().isoformat()
    trail = client.get(reverse("audit:trail"), {"start": today, "end": today, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(trail.content.decode())))
    template_change = [r for r in rows if r["object_type"] == "greeting template" and r["action"] == "changed"]
    assert template_change and template_change[0]["user"] == "pusat"
    assert "Selamat Natal 2023" in template_change[0]["changes"] and "Tahun Baru 2024" in template_change[0]["changes"]
    assert any(r["action"] == "rescore" and r["user"] == "qa" for r in rows)

    # And nothing the auditor posts changes anything.
    before = Score.objects.count(), Directive.objects.get(pk=natal.pk).version
    assert client.post(change_url, {**data, "change_reason": "auditor tries"}).status_code == 403
    assert client.post(reverse("admin:scoring_uploadbatch_rescore", args=[batch.pk])).status_code == 403
    assert (Score.objects.count(), Directive.objects.get(pk=natal.pk).version) == before


@pytest.mark.django_db
def test_auditor_answers_which_greeting_was_owed_then_and_who_changed_it_since(seeded, client):
    """ "Which greeting was owed on live chat on 2023-09-15 at 10:00 WITA, as the directive
    stood that day, and who has changed it since?" - from the admin alone."""
    # The SOP went into the site in August 2023 ...
    august = dt.datetime(2023, 8, 1, tzinfo=dt.UTC)
    for model in (Directive, GreetingTemplate, Channel):
        model.history.all().update(history_date=august)
    from policy.models import CSO, ScoredParameter, TimeBand, TimeZoneAlias

    for model in (ScoredParameter, TimeBand, TimeZoneAlias, CSO):
        model.history.all().update(history_date=august)
    # ... and Pusat changed the HPN greeting afterwards, with a reason.
    pusat, auditor = member("Pusat", "pusat"), member("Auditor", "auditor")
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    change_url = reverse("admin:policy_directive_change", args=[hpn.pk])
    as_user(client, pusat)
    data = changeform_data(
        client.get(change_url),
        **{"templates-0-text": "PLN 123 selamat {waktu}, Selamat HPN, dengan {nama_cso} bisa dibantu"},
    )
    assert client.post(change_url, {**data, "change_reason": "Shorter greeting from 2024"}).status_code == 302

    as_user(client, auditor)
    question = {
        "channel": "live_chat",
        "date": "2023-09-15",
        "time": "10:00",
        "timezone": "WITA",
        "visibility": "private",
        "first_contact": "on",
        "element": "opening",
        "cso_name": "Rina",
        "as_it_stood": "on",
    }
    page = client.get(reverse("admin:policy_directive_preview"), question).content.decode()
    assert (
        "PLN 123 selamat Pagi, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, dengan Rina bisa dibantu"
        in page
    )
    assert "SOP-PLN123-HPN2023 v1" in page
    assert "as it stood at 2023-09-15 10:00" in page
    assert "Shorter greeting from 2024" in page and "pusat" in page  # who changed it since, and why
    now = client.get(reverse("admin:policy_directive_preview"), {**question, "as_it_stood": ""}).content.decode()
    assert "Selamat HPN, dengan Rina" in now and "SOP-PLN123-HPN2023 v2" in now
