"""Reads for scoring: what uploads may contain, and the scores to show or export."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from policy.models import Channel, TimeZoneAlias
from scoring.models import Score, ScoreOverride, Transcript, UploadBatch


def upload_vocabulary() -> dict:
    """The channels (code -> public allowed) and zone aliases uploads are checked against."""
    return {
        "channels": {c.code: c.allows_public for c in Channel.objects.all()},
        "zone_aliases": {z.code.upper(): z.iana_name for z in TimeZoneAlias.objects.all()},
        "default_zone": settings.TIME_ZONE,
    }


def current_scores(*, batch: UploadBatch | None = None) -> QuerySet[Score]:
    """The latest score of every transcript and parameter (of one batch's transcripts)."""
    qs = Score.objects.filter(is_current=True)
    if batch is not None:
        qs = qs.filter(transcript__in=Transcript.objects.filter(chunks__batch=batch))
    return (
        qs.select_related("transcript", "transcript__channel", "parameter", "directive")
        .prefetch_related(Prefetch("overrides", queryset=ScoreOverride.objects.order_by("-created_at", "-pk")))
        .order_by("transcript__external_id", "parameter__code")
    )


def batch_transcripts(batch: UploadBatch) -> QuerySet[Transcript]:
    return Transcript.objects.filter(chunks__batch=batch).distinct()
