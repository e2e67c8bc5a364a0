"""QA's overrides: a justification is required, the export shows them, a rescore to the same result keeps them."""

import pytest
from django.core.exceptions import ValidationError

from scoring.exports import COLUMNS, render_scores
from scoring.models import Score
from scoring.selectors import current_scores
from scoring.services.chunks import batch_score_inline
from scoring.services.ingest import batch_rescore
from scoring.services.overrides import score_override
from tests.scoring.uploads import jsonl, line, upload_and_score


def test_override_needs_a_justification_and_shows_in_the_export(seeded, user):
    upload_and_score(jsonl(line("A")), user)
    score = Score.objects.get()
    with pytest.raises(ValidationError):
        score_override(score=score, result="NO", justification="  ", user=user)
    score_override(score=score, result="NO", justification="customer had already been greeted", user=user)
    score = current_scores().get()
    assert score.result == "YES" and score.final_result == "NO"
    text = render_scores(current_scores(), "csv").decode()
    header, row = text.splitlines()[:2]
    assert header.split(",")[: len(COLUMNS)] == COLUMNS
    assert ",NO," in row and ",yes," in row and "customer had already been greeted" in row


def test_an_override_survives_a_rescore_to_the_same_result_only(seeded, user):
    """GIVEN QA overrode a score
    WHEN the transcript is scored again to the same automatic result on the same content
    THEN the override is carried to the new score; when the result changes, it is not."""
    first = upload_and_score(jsonl(line("A"), line("B")), user)
    score_a, score_b = Score.objects.order_by("transcript__external_id")
    score_override(score=score_a, result="NO", justification="greeted in a call before", user=user)
    score_override(score=score_b, result="NO", justification="wrong queue", user=user)
    # B is uploaded again with another greeting: its automatic result changes.
    upload_and_score(jsonl(line("B", text="Halo")), user, name="b-again.jsonl")
    batch_score_inline(batch=batch_rescore(source=first, user=user, enqueue=False))
    current = {s.transcript.external_id: s for s in current_scores()}
    assert current["A"].final_result == "NO"
    assert current["A"].current_override.carried_from is not None
    assert current["A"].current_override.justification == "greeted in a call before"
    assert current["B"].result == "NO" and current["B"].current_override is None
