"""The score page shows the difference: the owed greeting beside what the CSO wrote,
element by element, with a legend, and the reason in words before its rule codes."""

import pytest
from django.urls import reverse

from scoring.models import Score
from tests.roles import QA, role_user
from tests.scoring.uploads import jsonl, line, upload_and_score

pytestmark = pytest.mark.django_db


def test_a_no_shows_what_is_missing_and_wrong_with_a_legend(client, seeded, user):
    """GIVEN a live chat at 08:15 WIB greeted "Selamat Siang" and without "Bisa Dibantu"
    WHEN QA opens its score
    THEN the evidence table marks "Siang" as a wrong time-of-day word owed "Pagi" and
    "Bisa Dibantu" missing, the turn marks the wrong word, a legend explains the marks,
    and the reason reads in words first with the rule and its title after."""
    upload_and_score(jsonl(line("A", text="PLN 123 Selamat Siang, dengan Rina")), user)
    score = Score.objects.get(transcript__external_id="A")
    assert score.result == "NO"
    client.force_login(role_user(QA))
    response = client.get(reverse("admin:scoring_score_change", args=[score.pk]))
    assert response.status_code == 200
    rows = {(r["piece"].owed, r["piece"].said, str(r["label"])) for r in response.context["evidence_rows"]}
    assert ("Pagi", "Siang", "wrong time-of-day word") in rows
    assert ("Bisa Dibantu", "", "missing") in rows
    page = response.content.decode()
    assert '<span class="ev-wrong">Siang</span>' in page
    assert 'id="evidence-legend"' in page and "tolerated typo" in page
    clauses = response.context["reason_clauses"]
    assert any(c["rules"] and c["rules"][0]["code"] == "S8" for c in clauses)
    assert "rule S6: the time-of-day word" in page
    assert not any(c["text"].endswith(")") and "(S" in c["text"] for c in clauses)


def test_a_yes_shows_every_element_found(client, seeded, user):
    upload_and_score(jsonl(line("A")), user)
    score = Score.objects.get(transcript__external_id="A")
    client.force_login(role_user(QA))
    response = client.get(reverse("admin:scoring_score_change", args=[score.pk]))
    assert {str(r["label"]) for r in response.context["evidence_rows"]} == {"found"}


def test_no_evidence_when_nothing_was_owed(client, seeded, user):
    upload_and_score(jsonl(line("A", first_contact=False)), user)
    score = Score.objects.get(transcript__external_id="A")
    assert score.result == "NA"
    client.force_login(role_user(QA))
    response = client.get(reverse("admin:scoring_score_change", args=[score.pk]))
    assert response.context["evidence"] is None
    assert 'id="evidence-table"' not in response.content.decode()
