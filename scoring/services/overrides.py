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


def score_overrides_in_force(*, transcript_ids: list[int]) -> list[dict]:
    """The override in force on each current score of these transcripts, with what
    that score judged (result, content); read before a rescore supersedes them. One
    query; only the scores QA overrode come back."""
    if not transcript_ids:
        return []
    in_force = ScoreOverride.objects.filter(
        score__is_current=True, score__transcript_id__in=transcript_ids
    ).in_force_by_score(
        "pk",
        "result",
        "justification",
        "created_by_id",
        "score__transcript_id",
        "score__parameter_id",
        "score__result",
        "score__content_hash",
    )
    return list(in_force.values())


def score_overrides_carry(*, in_force: list[dict], chunk_id: int) -> None:
    """A QA override stays in force when the transcript is scored again to the same
    automatic result on the same content: it is copied to the new score (the chunk's
    current one for that transcript and parameter), saying so. ``in_force`` is what
    :func:`score_overrides_in_force` read before the old scores were superseded."""
    if not in_force:
        return
    fresh = {
        (transcript_id, parameter_id): (pk, result, digest)
        for pk, transcript_id, parameter_id, result, digest in Score.objects.filter(
            chunk_id=chunk_id, is_current=True, transcript_id__in={o["score__transcript_id"] for o in in_force}
        ).values_list("pk", "transcript_id", "parameter_id", "result", "content_hash")
    }
    copies = []
    for old in in_force:
        new = fresh.get((old["score__transcript_id"], old["score__parameter_id"]))
        if new is None:
            continue
        pk, result, digest = new
        if result == old["score__result"] and digest == old["score__content_hash"]:
            copies.append(
                ScoreOverride(
                    score_id=pk,
                    result=old["result"],
                    justification=old["justification"],
                    carried_from_id=old["pk"],
                    created_by_id=old["created_by_id"],
                )
            )
    ScoreOverride.objects.bulk_create(copies, batch_size=_BULK)
