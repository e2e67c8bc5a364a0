"""Pages that lead somewhere: the home page puts the role's tasks first, a refused
page is styled and offers a way back, a past version looks and is read-only, the
users list shows each user's groups, the directive timeline shows overlaps and gaps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from policy.models import Channel, Directive
from policy.services import directive_publish
from tests.factories import DirectiveFactory, GreetingTemplateFactory
from tests.roles import AUDITOR, PUSAT, QA, role_user

pytestmark = pytest.mark.django_db


def task_labels(response) -> list[str]:
    return [str(task["label"]) for task in response.context["role_tasks"]]


@pytest.mark.parametrize(
    ("role", "first"),
    [(QA, "Upload transcripts"), (PUSAT, "Compliance dashboard"), (AUDITOR, "Scores")],
)
def test_the_home_page_lists_the_tasks_of_the_role_first(client, seeded, role, first):
    """GIVEN a user of a role WHEN they open the home page
    THEN the tasks of their role come first (marked), then the others they may do, none they may not."""
    client.force_login(role_user(role))
    response = client.get(reverse("admin:index"))
    labels = task_labels(response)
    assert labels[0] == first
    tasks = response.context["role_tasks"]
    mine = [t["mine"] for t in tasks]
    assert mine == sorted(mine, reverse=True) and mine[0]
    if role != QA:
        assert "Upload transcripts" not in labels
    if role == PUSAT:
        assert "New directive" in labels and "Directive timeline" in labels
    page = response.content.decode()
    assert 'class="home-tasks"' in page


def test_a_refused_page_is_styled_and_offers_a_way_back(client, seeded):
    """GIVEN an Auditor coming from the score list
    WHEN they open the upload page (QA's)
    THEN the answer is 403 in the admin's frame, saying why, with a link back and home."""
    client.force_login(role_user(AUDITOR))
    back = "http://testserver" + reverse("admin:scoring_score_changelist")
    response = client.get(reverse("admin:scoring_uploadbatch_upload"), HTTP_REFERER=back)
    assert response.status_code == 403
    page = response.content.decode()
    assert 'id="refused-back"' in page and back in page
    assert 'id="refused-home"' in page and 'id="site-name"' in page


def test_a_refused_page_ignores_a_referer_from_another_site(client, seeded):
    client.force_login(role_user(AUDITOR))
    response = client.get(reverse("admin:scoring_uploadbatch_upload"), HTTP_REFERER="https://evil.example/")
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


def test_a_past_version_is_shown_read_only_to_who_may_not_revert(client, seeded):
    """GIVEN the baseline's history WHEN QA opens a version of it
    THEN its fields are in a disabled fieldset under an "as it stood" banner, with no Revert button."""
    client.force_login(role_user(QA))
    baseline = Directive.objects.get(kind="baseline")
    record = baseline.history.latest()
    response = client.get(reverse("admin:policy_directive_simple_history", args=[baseline.pk, record.history_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="snapshot-read-only"' in page
    assert '<fieldset class="as-it-stood" disabled>' in page
    assert 'name="_save"' not in page


def test_the_users_list_shows_groups(client, seeded):
    auditor = role_user(AUDITOR)
    role_user(QA)
    client.force_login(auditor)
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 200
    assert "group_names" in response.context["cl"].list_display
    page = response.content.decode()
    assert ">QA<" in page and ">Auditor<" in page


def test_the_timeline_shows_overlaps_with_the_winner_and_gaps(client, seeded, admin_user):
    """GIVEN two published directives on email whose windows overlap, the second of higher priority
    WHEN Pusat opens the timeline over their period
    THEN the email row has both bars, the overlap names the higher priority one as deciding,
    and outside both the baseline decides (a gap)."""
    email = Channel.objects.get(code="email")
    first = DirectiveFactory(
        reference="SOP-T-ONE",
        channels=[email],
        valid_from_date=dt.date(2024, 3, 1),
        valid_until_date=dt.date(2024, 3, 10),
    )
    second = DirectiveFactory(
        reference="SOP-T-TWO",
        channels=[email],
        priority=5,
        valid_from_date=dt.date(2024, 3, 5),
        valid_until_date=dt.date(2024, 3, 20),
    )
    for directive in (first, second):
        GreetingTemplateFactory(directive=directive, text="PLN 123 Selamat {waktu}, dengan {nama_cso}")
        directive_publish(directive=directive, user=admin_user, reason="timeline test")
    client.force_login(role_user(PUSAT))
    response = client.get(reverse("admin:policy_directive_timeline"), {"start": "2024-02-25", "end": "2024-03-25"})
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r["channel"].code == "email")
    assert [b["reference"] for b in row["bars"]] == ["SOP-T-ONE", "SOP-T-TWO"]
    stretches = [(s["start"].date(), s["winner"], s["losers"], s["gap"]) for s in row["stretches"]]
    baseline = Directive.objects.get(kind="baseline").reference
    assert stretches == [
        (dt.date(2024, 2, 25), baseline, [], True),
        (dt.date(2024, 3, 1), "SOP-T-ONE", [], False),
        (dt.date(2024, 3, 5), "SOP-T-TWO", ["SOP-T-ONE"], False),
        (dt.date(2024, 3, 11), "SOP-T-TWO", [], False),
        (dt.date(2024, 3, 21), baseline, [], True),
    ]
    assert "SOP-T-TWO decides over SOP-T-ONE" in response.content.decode()
    live_chat = next(r for r in response.context["rows"] if r["channel"].code == "live_chat")
    assert live_chat["bars"] == [] and all(s["gap"] for s in live_chat["stretches"])
    assert Group.objects.filter(name=PUSAT).exists()
