"""Writes of QA's corrections: an override with its justification, and carrying the
override in force over to the new score of a rescore that changed nothing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from scoring.choices import Result
from scoring.models import Score, ScoreOverride

_BULK = 500  # rows per bulk statement


def score_override(*, score: Score, result: str, justification: str, user) -> ScoreOverride:
    """QA sets a different result with a written justification; the automatic
    verdict stays on the score beside it."""
    if result not in Result.values:
        raise ValidationError(
            {
                "result": _("%(result)s is not one of %(choices)s.")
                % {"result": repr(result), "choices": ", ".join(Result.values)}
            }
        )
    if not (justification or "").strip():
        raise ValidationError({"justification": _("Write why the automatic result is overridden.")})
    override = ScoreOverride(score=score, result=result, justification=justification.strip(), created_by=user)
    override.full_clean()
    override.save()
    return override


def score_overrides_carry(*, previous: list[Score], new_scores: list[Score]) -> None:
    """A QA override stays in force when the transcript is scored again to the same
    automatic result on the same content: it is copied to the new score, saying so."""
    fresh = {(s.transcript_id, s.parameter_id): s for s in new_scores}
    copies = []
    for old in previous:
        override = old.current_override
        new = fresh.get((old.transcript_id, old.parameter_id))
        if override is None or new is None:
            continue
        if new.result == old.result and new.content_hash == old.content_hash:
            copies.append(
                ScoreOverride(
                    score=new,
                    result=override.result,
                    justification=override.justification,
                    carried_from=override,
                    created_by=override.created_by,
                )
            )
    ScoreOverride.objects.bulk_create(copies, batch_size=_BULK)
