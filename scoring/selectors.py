"""Reads for scoring: what uploads may contain, the scores to show or export, and a
stored transcript as the engine reads it."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone as djtz

from policy.models import Channel, TimeZoneAlias
from policy.selectors import policy_snapshot
from rules import engine
from rules.evidence import Evidence, greeting_evidence
from rules.resolver import PolicyError, resolve_zone
from rules.transcript import MessageIn, TranscriptIn
from scoring.choices import ChunkStatus
from scoring.models import Message, Score, Transcript, UploadBatch


def upload_vocabulary() -> dict:
    """The channels (code -> public allowed) and zone aliases uploads are checked against."""
    return {
        "channels": {c.code: c.allows_public for c in Channel.objects.all()},
        "zone_aliases": {z.code.upper(): z.iana_name for z in TimeZoneAlias.objects.all()},
        "default_zone": settings.TIME_ZONE,
    }


def current_scores(*, batch: UploadBatch | None = None) -> QuerySet[Score]:
    """The latest score of every transcript and parameter (of one batch's transcripts)."""
    qs = Score.objects.current()
    if batch is not None:
        qs = qs.filter(transcript__in=Transcript.objects.filter(chunks__batch=batch))
    return (
        qs.select_related("transcript", "transcript__channel", "parameter", "directive")
        .with_latest_override()
        .order_by("transcript__external_id", "parameter__code")
    )


# --- for the QA admin pages ------------------------------------------------------------


def batch_chunk_summary(batch: UploadBatch) -> dict[str, int]:
    """How many of the batch's chunks are pending, claimed, done and failed."""
    counts = dict(batch.chunks.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in ChunkStatus.values}


def zone_named(label: str):
    """The zone a transcript's ``timezone`` or a score's ``zone_label`` names (WITA,
    Asia/Jayapura, blank for the site default); the site zone when it no longer resolves."""
    aliases = {code.upper(): iana for code, iana in TimeZoneAlias.objects.values_list("code", "iana_name")}
    try:
        return resolve_zone(label, zone_aliases=aliases, default=settings.TIME_ZONE)
    except LookupError:
        return djtz.get_current_timezone()


def transcript_first_cso_turn(transcript: Transcript) -> str:
    """The CSO's first turn (rule S2) joined exactly as the engine joins it, so a
    score's ``passage_start``/``passage_end`` index into this text."""
    zone = zone_named(transcript.timezone)
    turns = engine.cso_turns(engine.ordered_messages(transcript_to_input(transcript), zone))
    return "\n".join(message.text for _, message in turns[0]) if turns else ""


def transcript_to_input(transcript: Transcript) -> TranscriptIn:
    """A stored transcript as the engine reads it (messages in stored order)."""
    return TranscriptIn(
        external_id=transcript.external_id,
        channel=transcript.channel.code,
        cso_name=transcript.cso_name,
        messages=tuple(MessageIn(m.sent_at, m.sender, m.text, m.sent_at_raw) for m in transcript.messages.all()),
        platform=transcript.platform,
        visibility=transcript.visibility,
        category=transcript.category,
        timezone=transcript.timezone,
        cso_id=transcript.cso_id,
        first_contact=transcript.first_contact,
    )


# The transcript columns the engine reads, in TranscriptIn's order after the id and hash.
_INPUT_COLUMNS = (
    "pk",
    "content_hash",
    "external_id",
    "channel__code",
    "cso_name",
    "platform",
    "visibility",
    "category",
    "timezone",
    "cso_id",
    "first_contact",
)


def chunk_transcript_inputs(chunk_id: int) -> list[tuple[int, str, TranscriptIn]]:
    """A chunk's transcripts as the engine reads them, with their id and content hash,
    in id order: two queries for the whole chunk (transcripts, then all their messages
    in stored order), no model instances. The same inputs as ``transcript_to_input``."""
    rows = Transcript.objects.filter(chunks=chunk_id).order_by("pk").values_list(*_INPUT_COLUMNS)
    messages: dict[int, list[MessageIn]] = {}
    for transcript_id, sent_at, sender, text, raw in (
        Message.objects.filter(transcript__chunks=chunk_id)
        .order_by("transcript_id", "position")
        .values_list("transcript_id", "sent_at", "sender", "text", "sent_at_raw")
    ):
        messages.setdefault(transcript_id, []).append(MessageIn(sent_at, sender, text, raw))
    inputs = []
    for pk, digest, external_id, channel, cso_name, platform, visibility, category, zone, cso_id, first in rows:
        transcript = TranscriptIn(
            external_id=external_id,
            channel=channel,
            cso_name=cso_name,
            messages=tuple(messages.get(pk, ())),
            platform=platform,
            visibility=visibility,
            category=category,
            timezone=zone,
            cso_id=cso_id,
            first_contact=first,
        )
        inputs.append((pk, digest, transcript))
    return inputs


def score_evidence(score: Score) -> Evidence | None:
    """The owed greeting and the CSO's first turn aligned (rules.evidence), read with the
    policy as it stood when the score was made (the current one when the history does not
    reach back that far). None when the transcript's content changed since, or nothing
    was owed."""
    transcript = score.transcript
    if score.content_hash and score.content_hash != transcript.content_hash:
        return None
    try:
        policy = policy_snapshot(as_of=score.scored_at)
    except PolicyError:
        policy = policy_snapshot()
    return greeting_evidence(policy, transcript_to_input(transcript))
