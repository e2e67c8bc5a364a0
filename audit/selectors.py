"""Reads for the audit trail: the policy's history entries with the score overrides and
uploads of the same range, one list in time order."""

from __future__ import annotations

import datetime as dt

from policy.history import TRACKED, Entry, history_entries
from scoring.models import ScoreOverride, UploadBatch


def audit_trail(start: dt.datetime, end: dt.datetime) -> list[Entry]:
    """Every change to the policy, every score override and every upload from start to end, inclusive."""
    entries: list[Entry] = []
    for model in TRACKED:
        entries += history_entries(model, model.history.filter(history_date__gte=start, history_date__lte=end))
    for override in ScoreOverride.objects.filter(created_at__gte=start, created_at__lte=end).select_related(
        "created_by", "score__transcript", "score__parameter"
    ):
        entries.append(
            Entry(
                when=override.created_at,
                user=override.created_by.get_username(),
                object_type="score",
                object=f"{override.score.transcript.external_id} {override.score.parameter.code}",
                object_id=override.score_id,
                action="overridden",
                version=None,
                changes=[("result", override.score.result, override.result)],
                reason=override.justification,
            )
        )
    for batch in UploadBatch.objects.filter(created_at__gte=start, created_at__lte=end).select_related("uploaded_by"):
        entries.append(
            Entry(
                when=batch.created_at,
                user=batch.uploaded_by.get_username() if batch.uploaded_by else "",
                object_type="upload batch",
                object=str(batch),
                object_id=batch.pk,
                action=batch.get_kind_display().lower(),
                version=None,
                changes=[],
                reason=batch.note,
            )
        )
    entries.sort(key=lambda e: (e.when, e.history_id or 0))
    return entries
