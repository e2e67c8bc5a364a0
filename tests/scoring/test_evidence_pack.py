"""The evidence pack, as the auditor uses it: downloaded from the score page (one
self-contained HTML file) and, for a filtered list, as one ZIP of packs."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.urls import reverse

from policy.models import Directive
from policy.services import directive_content_save
from scoring.models import Score
from scoring.services.overrides import score_override
from tests.roles import AUDITOR, QA, role_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(seeded, dev_data):
    from common.users import system_user
    from scoring.services import chunks, ingest

    uploader = role_user(QA)
    content = (dev_data / "dev-transcripts.jsonl").read_bytes()
    batch = ingest.batch_ingest(filename="dev.jsonl", content=content, user=uploader, enqueue=False)
    chunks.batch_score_inline(batch=batch)
    return system_user()


@pytest.fixture
def auditor_client(client, scored):
    client.force_login(role_user(AUDITOR))
    return client


def test_auditor_downloads_an_evidence_pack_and_reads_it_back(auditor_client, scored):
    """GIVEN a scored HPN transcript that QA overrode, and a later edit of HPN
    WHEN the auditor downloads its evidence pack from the score page
    THEN it is one HTML file with no external link, holding the transcript in local
    time, the owed greeting, the reason, the directive as it stood (its version
    then), the uploader, the override and its justification, the edit since, and the
    owed greeting aligned with the CSO's words, each element marked, with a legend."""
    score = Score.objects.current().filter(directive__reference="SOP-PLN123-HPN2023").order_by("pk").first()
    version_then = score.directive_version
    qa = score.transcript.last_batch.uploaded_by  # the QA user who uploaded it
    score_override(score=score, result="NA", justification="Customer hung up before the greeting", user=qa)
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    directive_content_save(directive=hpn, fields={"priority": 3}, user=scored, reason="Raised above the baseline")

    page = auditor_client.get(reverse("admin:scoring_score_change", args=[score.pk])).content.decode()
    url = reverse("admin:scoring_score_evidence", args=[score.pk])
    assert url in page
    response = auditor_client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"] and ".html" in response["Content-Disposition"]
    html = response.content.decode()
    assert not re.search(r'(href|src)="(https?:)?//', html) and "<link" not in html and "<script" not in html
    assert score.transcript.external_id in html
    assert score.expected_greeting in html
    assert score.reason.replace("'", "&#x27;").replace('"', "&quot;")[:60] in html
    assert f"SOP-PLN123-HPN2023 v{version_then}" in html
    assert "Customer hung up before the greeting" in html and "role-qa" in html
    assert "Raised above the baseline" in html and f"v{version_then + 1}" in html
    first = score.transcript.messages.order_by("position").first()
    assert first.sent_at_raw in html
    assert 'id="evidence-table"' in html and 'id="evidence-legend"' in html
    assert re.search(r'class="ev-mark ev-(found|typo|missing|wrong)"', html)  # a marked element, not the CSS


def test_auditor_downloads_a_zip_of_packs_from_a_filtered_list(auditor_client):
    """The admin action on a filtered score list streams one pack per score."""
    chosen = list(Score.objects.current().filter(transcript__channel__code="email").order_by("pk")[:4])
    url = reverse("admin:scoring_score_changelist") + "?current=yes"
    response = auditor_client.post(
        url, {"action": "evidence_zip", "_selected_action": [str(s.pk) for s in chosen], "index": "0"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert len(names) == len(chosen)
    for score in chosen:
        (name,) = [n for n in names if n.endswith(f"-{score.pk}.html")]
        text = archive.read(name).decode()
        assert score.transcript.external_id in text and score.reason[:30].replace("'", "&#x27;") in text
