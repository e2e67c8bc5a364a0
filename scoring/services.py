"""Writes for scoring: ingesting uploads, claiming and scoring chunks, rescoring,
sweeping up after dead workers and lost messages, and overrides.

The batch and chunk rows are the record of the work. A task only carries a chunk
id; whoever claims the chunk in the database scores it, in one transaction that
also marks it done, so a redelivered message or a second worker never scores a
chunk twice, and a chunk whose worker died is claimed again after its lease.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.utils import timezone

from policy.models import CSO, Channel, ScoredParameter, TimeZoneAlias
from policy.selectors import policy_snapshot
from rules import engine
from rules.resolver import PolicyError, resolve_zone
from rules.snapshot import Policy
from rules.transcript import MessageIn, TranscriptIn
from scoring.choices import BatchKind, BatchStatus, ChunkStatus, Result
from scoring.models import Message, Score, ScoreOverride, ScoringChunk, Transcript, UploadBatch
from scoring.parsers import parse_upload
from scoring.selectors import upload_vocabulary
from scoring.types import UploadInvalid

logger = logging.getLogger(__name__)

_BULK = 500
# Claims of one chunk before the sweeper stops queuing it and stalls its batch.
MAX_ATTEMPTS = 5


def _hash_transcript(t: TranscriptIn) -> str:
    digest = hashlib.sha256()
    for value in (t.external_id, t.channel, t.platform, t.visibility, t.category, t.timezone, t.cso_id, t.cso_name):
        digest.update(value.encode() + b"\0")
    digest.update(b"1" if t.first_contact else b"0")
    for m in t.messages:
        digest.update(f"{m.sent_at.isoformat()}\0{m.sender}\0{m.text}\0".encode())
    return digest.hexdigest()


# --- ingest ------------------------------------------------------------------------------


def batch_validate(*, filename: str, content: bytes) -> list[TranscriptIn]:
    """Parse and check a whole file; raises UploadInvalid listing every bad row."""
    return parse_upload(filename, content, **upload_vocabulary())


def batch_ingest(*, filename: str, content: bytes, user, enqueue: bool = True) -> UploadBatch:
    """Validate a file, store its transcripts (the same id again updates that
    transcript) and queue them for scoring. Nothing is stored from a bad file."""
    transcripts = batch_validate(filename=filename, content=content)
    sha = hashlib.sha256(content).hexdigest()
    name = os.path.basename(filename)
    with transaction.atomic():
        duplicate = UploadBatch.objects.filter(kind=BatchKind.UPLOAD, sha256=sha).order_by("pk").first()
        batch = UploadBatch.objects.create(
            kind=BatchKind.UPLOAD,
            original_name=name,
            sha256=sha,
            duplicate_of=duplicate,
            uploaded_by=user,
            transcript_count=len(transcripts),
            note=(
                f"Same content as batch {duplicate.pk} ({duplicate.original_name}, "
                f"{timezone.localtime(duplicate.created_at):%Y-%m-%d %H:%M}): its transcripts are scored again."
                if duplicate
                else ""
            ),
        )
        batch.file.save(f"batch-{batch.pk}-{name}", ContentFile(content), save=True)
        try:
            stored = _store_transcripts(transcripts, batch)
            _make_chunks(batch, stored)
        except Exception:
            batch.file.delete(save=False)
            raise
        if enqueue:
            transaction.on_commit(lambda: batch_enqueue(batch_id=batch.pk))
    return batch


def _store_transcripts(transcripts: list[TranscriptIn], batch: UploadBatch) -> list[int]:
    channels = {c.code: c for c in Channel.objects.all()}
    ids = [t.external_id for t in transcripts]
    existing: dict[str, Transcript] = {}
    for start in range(0, len(ids), _BULK):
        for row in Transcript.objects.filter(external_id__in=ids[start : start + _BULK]):
            existing[row.external_id] = row
    cso_ids = {t.cso_id for t in transcripts if t.cso_id}
    registered = {c.cso_id: c for c in CSO.objects.filter(cso_id__in=cso_ids)}

    policy_zones = {z.code.upper(): z.iana_name for z in TimeZoneAlias.objects.all()}
    to_create, to_update = [], []
    for t in transcripts:
        zone = _zone(t.timezone, policy_zones)
        fields = {
            "channel": channels[t.channel],
            "platform": t.platform,
            "visibility": t.visibility,
            "category": t.category,
            "timezone": t.timezone,
            "cso_id": t.cso_id,
            "cso_name": t.cso_name,
            "registered_cso": registered.get(t.cso_id),
            "first_contact": t.first_contact,
            "started_at": _aware(t.messages[0].sent_at, zone) if t.messages else None,
            "content_hash": _hash_transcript(t),
            "last_batch": batch,
        }
        row = existing.get(t.external_id)
        if row is None:
            to_create.append(Transcript(external_id=t.external_id, **fields))
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            to_update.append(row)
    Transcript.objects.bulk_create(to_create, batch_size=_BULK)
    if to_update:
        Transcript.objects.bulk_update(to_update, list(fields.keys()) + ["updated_at"], batch_size=_BULK)
        for start in range(0, len(to_update), _BULK):
            Message.objects.filter(transcript__in=to_update[start : start + _BULK]).delete()
    rows = {r.external_id: r for r in to_create + to_update}
    if any(r.pk is None for r in to_create):  # backends that do not return ids
        for start in range(0, len(ids), _BULK):
            for row in Transcript.objects.filter(external_id__in=ids[start : start + _BULK]):
                rows[row.external_id] = row
    messages = []
    for t in transcripts:
        zone = _zone(t.timezone, policy_zones)
        row = rows[t.external_id]
        for position, m in enumerate(t.messages):
            messages.append(
                Message(
                    transcript=row,
                    position=position,
                    sent_at=_aware(m.sent_at, zone),
                    sent_at_raw=m.raw_sent_at or m.sent_at.isoformat(),
                    sender=m.sender,
                    text=m.text,
                )
            )
    Message.objects.bulk_create(messages, batch_size=_BULK)
    return [rows[i].pk for i in ids]


def _zone(name: str, aliases: dict[str, str]):
    return resolve_zone(name, zone_aliases=aliases, default=settings.TIME_ZONE)


def _aware(moment: dt.datetime, zone) -> dt.datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _make_chunks(batch: UploadBatch, transcript_ids: list[int]) -> None:
    size = settings.SCORING_CHUNK_SIZE
    through = ScoringChunk.transcripts.through
    links = []
    count = 0
    for index, start in enumerate(range(0, len(transcript_ids), size)):
        chunk = ScoringChunk.objects.create(batch=batch, index=index)
        links.extend(through(scoringchunk_id=chunk.pk, transcript_id=t) for t in transcript_ids[start : start + size])
        count += 1
    through.objects.bulk_create(links, batch_size=_BULK)
    UploadBatch.objects.filter(pk=batch.pk).update(chunk_count=count)
    batch.chunk_count = count
    if count == 0:
        batch_finish_if_done(batch_id=batch.pk)


def batch_rescore(
    *, transcripts: Iterable[Transcript] | None = None, source: UploadBatch | None = None, user, enqueue: bool = True
) -> UploadBatch:
    """Score transcripts again against the policy as it stands now. New scores are
    added and made current; the old ones stay."""
    if source is not None:
        ids = list(Transcript.objects.filter(chunks__batch=source).distinct().values_list("pk", flat=True))
        label = f"rescore of batch {source.pk}"
    else:
        ids = sorted({t.pk for t in transcripts or []})
        label = f"rescore of {len(ids)} transcript(s)"
    if not ids:
        raise ValidationError("There is nothing to rescore.")
    with transaction.atomic():
        batch = UploadBatch.objects.create(
            kind=BatchKind.RESCORE, original_name=label, uploaded_by=user, transcript_count=len(ids)
        )
        _make_chunks(batch, ids)
        if enqueue:
            transaction.on_commit(lambda: batch_enqueue(batch_id=batch.pk))
    return batch


# --- queueing ----------------------------------------------------------------------------


def batch_enqueue(*, batch_id: int) -> int:
    """Send a message for every pending chunk of the batch; returns how many."""
    from scoring.tasks import score_chunk

    chunk_ids = list(
        ScoringChunk.objects.filter(batch_id=batch_id, status=ChunkStatus.PENDING).values_list("pk", flat=True)
    )
    queued = 0
    for chunk_id in chunk_ids:
        try:
            score_chunk.delay(chunk_id)
        except Exception:  # the broker is down: the sweeper queues it once it is back
            logger.warning("could not queue chunk %s; the sweeper will", chunk_id, exc_info=True)
            continue
        ScoringChunk.objects.filter(pk=chunk_id).update(enqueued_at=timezone.now())
        queued += 1
    return queued


# --- claiming and scoring -------------------------------------------------------------------


def chunk_claim(*, chunk_id: int, worker: str) -> str | None:
    """Take a chunk for scoring. Returns a claim token, or None when it is done,
    failed, or held by a live worker (its claim younger than the claim timeout)."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.SCORING_CLAIM_TIMEOUT_SECONDS)
    token = uuid.uuid4().hex
    claimed = (
        ScoringChunk.objects.filter(pk=chunk_id)
        .filter(Q(status=ChunkStatus.PENDING) | Q(status=ChunkStatus.CLAIMED, claimed_at__lt=stale))
        .update(
            status=ChunkStatus.CLAIMED,
            claim_token=token,
            claimed_by=worker[:200],
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    )
    if claimed != 1:
        return None
    batch_id = ScoringChunk.objects.filter(pk=chunk_id).values_list("batch_id", flat=True).first()
    UploadBatch.objects.filter(pk=batch_id, started_at__isnull=True).update(started_at=now)
    # A stalled batch stays stalled until QA resumes it, even while its other chunks run.
    UploadBatch.objects.filter(pk=batch_id, status=BatchStatus.QUEUED).update(status=BatchStatus.SCORING)
    return token


def transcript_to_input(transcript: Transcript) -> TranscriptIn:
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


def chunk_score(*, chunk_id: int, token: str, policy: Policy | None = None) -> bool:
    """Score a claimed chunk and mark it done, all in one transaction. Returns False
    (and writes nothing) when the claim was lost to another worker meanwhile."""
    chunk = ScoringChunk.objects.get(pk=chunk_id)
    transcripts = list(chunk.transcripts.select_related("channel").prefetch_related("messages").order_by("pk"))
    judged = {t.pk: t.content_hash for t in transcripts}
    try:
        policy = policy or policy_snapshot()
    except PolicyError as exc:
        return chunk_fail(chunk_id=chunk_id, token=token, error=str(exc))
    parameters = {(p.code, p.channel.code): p.pk for p in ScoredParameter.objects.select_related("channel")}
    new_scores, errors = [], []
    for transcript in transcripts:
        try:
            verdicts = engine.score_transcript(policy, transcript_to_input(transcript))
        except PolicyError as exc:
            errors.append({"transcript": transcript.external_id, "error": str(exc)})
            continue
        if not verdicts:
            errors.append(
                {"transcript": transcript.external_id, "error": f"no scored parameter for {transcript.channel.code}"}
            )
            continue
        for verdict in verdicts:
            new_scores.append(_score_row(transcript, verdict, parameters, chunk))
    now = timezone.now()
    with transaction.atomic():
        fenced = ScoringChunk.objects.filter(pk=chunk_id, status=ChunkStatus.CLAIMED, claim_token=token).update(
            status=ChunkStatus.DONE,
            finished_at=now,
            last_error="\n".join(f"{e['transcript']}: {e['error']}" for e in errors),
        )
        if fenced != 1:
            return False
        # Lock the transcripts so two batches scoring the same one take turns; one
        # uploaded again since it was read here is the newer batch's to score.
        now_hashes = dict(
            Transcript.objects.select_for_update()
            .filter(pk__in=list(judged))
            .order_by("pk")
            .values_list("pk", "content_hash")
        )
        ids = [pk for pk, digest in judged.items() if now_hashes.get(pk) == digest]
        new_scores = [score for score in new_scores if score.transcript_id in ids]
        previous = list(
            Score.objects.filter(transcript_id__in=ids, is_current=True).prefetch_related(
                Prefetch("overrides", queryset=ScoreOverride.objects.order_by("-created_at", "-pk"))
            )
        )
        Score.objects.filter(pk__in=[score.pk for score in previous]).update(is_current=False)
        Score.objects.bulk_create(new_scores, batch_size=_BULK)
        _carry_overrides(previous, new_scores)
        scored = len({s.transcript_id for s in new_scores}) + (len(judged) - len(ids))
        UploadBatch.objects.filter(pk=chunk.batch_id).update(
            scored_count=F("scored_count") + scored,
            failed_count=F("failed_count") + len(errors),
            chunks_done=F("chunks_done") + 1,
        )
        batch_finish_if_done(batch_id=chunk.batch_id)
    return True


def _carry_overrides(previous: list[Score], new_scores: list[Score]) -> None:
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


def _score_row(transcript: Transcript, verdict: engine.Verdict, parameters: dict, chunk: ScoringChunk) -> Score:
    document = verdict.directive
    span = verdict.passage_span or (None, None)
    return Score(
        transcript=transcript,
        parameter_id=parameters[(verdict.parameter.code, verdict.parameter.channel)],
        result=verdict.result,
        directive_id=document.id if document else None,
        directive_version=document.version if document else None,
        directive_history_id=document.history_id if document else None,
        expected_greeting=verdict.expected_greeting,
        matched_passage=verdict.matched_passage,
        passage_start=span[0],
        passage_end=span[1],
        reason=verdict.reason,
        flags=list(verdict.flags),
        local_time=verdict.local,
        zone_label=verdict.zone_label,
        scorer_version=engine.SCORER_VERSION,
        content_hash=transcript.content_hash,
        is_current=True,
        batch_id=chunk.batch_id,
        chunk=chunk,
    )


def chunk_fail(*, chunk_id: int, token: str | None, error: str) -> bool:
    """Mark a chunk failed (held with ``token``, or abandoned when None) and its batch
    stalled, saying why; QA resumes it from the admin once the cause is fixed."""
    with transaction.atomic():
        held = ScoringChunk.objects.filter(pk=chunk_id, status=ChunkStatus.CLAIMED)
        if token is not None:
            held = held.filter(claim_token=token)
        failed = held.update(status=ChunkStatus.FAILED, finished_at=timezone.now(), last_error=error[:2000])
        if failed:
            batch_id = ScoringChunk.objects.filter(pk=chunk_id).values_list("batch_id", flat=True).first()
            failed_chunks = ScoringChunk.objects.filter(batch_id=batch_id, status=ChunkStatus.FAILED).order_by("index")
            UploadBatch.objects.filter(pk=batch_id).update(
                status=BatchStatus.STALLED,
                errors=[{"transcript": f"chunk {c.index}", "error": c.last_error} for c in failed_chunks],
            )
    return False


def chunk_run(*, chunk_id: int, worker: str, policy: Policy | None = None) -> bool:
    """Claim and score one chunk; quietly does nothing when it is not ours to score."""
    if not ScoringChunk.objects.filter(pk=chunk_id).exists():
        return False
    token = chunk_claim(chunk_id=chunk_id, worker=worker)
    if token is None:
        return False
    return chunk_score(chunk_id=chunk_id, token=token, policy=policy)


def chunk_release(*, chunk_id: int, token: str, error: str) -> None:
    """Give a claimed chunk back after a transient error, for another attempt."""
    ScoringChunk.objects.filter(pk=chunk_id, status=ChunkStatus.CLAIMED, claim_token=token).update(
        status=ChunkStatus.PENDING, claim_token="", claimed_at=None, last_error=error[:2000]
    )


def batch_finish_if_done(*, batch_id: int) -> None:
    """Close the batch once its last chunk is done; collect the chunk errors."""
    done = (
        UploadBatch.objects.filter(pk=batch_id, chunks_done__gte=F("chunk_count"))
        .exclude(status__in=[BatchStatus.DONE, BatchStatus.INCOMPLETE])
        .update(
            status=Case(When(failed_count__gt=0, then=Value(BatchStatus.INCOMPLETE)), default=Value(BatchStatus.DONE)),
            finished_at=timezone.now(),
        )
    )
    if done:
        errors = []
        for text in (
            ScoringChunk.objects.filter(batch_id=batch_id).exclude(last_error="").values_list("last_error", flat=True)
        ):
            for line in text.splitlines():
                transcript, _, error = line.partition(": ")
                errors.append({"transcript": transcript, "error": error})
        if errors:
            UploadBatch.objects.filter(pk=batch_id).update(errors=errors)


def batch_score_inline(*, batch: UploadBatch, worker: str = "inline") -> UploadBatch:
    """Score every pending chunk of the batch in this process (``--inline``)."""
    policy = policy_snapshot()
    for chunk_id in ScoringChunk.objects.filter(batch=batch, status=ChunkStatus.PENDING).values_list("pk", flat=True):
        chunk_run(chunk_id=chunk_id, worker=worker, policy=policy)
    batch.refresh_from_db()
    return batch


def batch_resume(*, batch: UploadBatch) -> int:
    """Put failed and abandoned chunks back in the queue; returns how many were queued."""
    stale = timezone.now() - dt.timedelta(seconds=settings.SCORING_CLAIM_TIMEOUT_SECONDS)
    with transaction.atomic():
        ScoringChunk.objects.filter(batch=batch).filter(
            Q(status=ChunkStatus.FAILED) | Q(status=ChunkStatus.CLAIMED, claimed_at__lt=stale)
        ).update(status=ChunkStatus.PENDING, claim_token="", claimed_at=None, attempts=0)
        UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.STALLED).update(
            status=BatchStatus.SCORING, errors=[]
        )
    return batch_enqueue(batch_id=batch.pk)


def chunks_sweep(*, lost_after_seconds: int | None = None) -> dict:
    """Find work a dead worker or a lost message left behind and queue it again.

    - a chunk claimed longer ago than the claim timeout: its worker died;
    - a chunk pending since it was last queued longer ago than ``lost_after``:
      its message was lost (a broker restart, a purged queue).
    Queuing twice is harmless: the claim decides who scores.
    """
    now = timezone.now()
    lease = dt.timedelta(seconds=settings.SCORING_CLAIM_TIMEOUT_SECONDS)
    lost = dt.timedelta(
        seconds=lost_after_seconds if lost_after_seconds is not None else settings.SCORING_REQUEUE_AFTER_SECONDS
    )
    from scoring.tasks import score_chunk

    abandoned = ScoringChunk.objects.filter(status=ChunkStatus.CLAIMED, claimed_at__lt=now - lease)
    # A chunk that took its workers down again and again is not tried forever.
    for chunk_id, attempts in abandoned.filter(attempts__gte=MAX_ATTEMPTS).values_list("pk", "attempts"):
        chunk_fail(chunk_id=chunk_id, token=None, error=f"its worker stopped {attempts} times while scoring it")
    stale = list(abandoned.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True))
    lost_ids = list(
        ScoringChunk.objects.filter(status=ChunkStatus.PENDING)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - lost))
        .values_list("pk", flat=True)
    )
    for chunk_id in stale + lost_ids:
        ScoringChunk.objects.filter(pk=chunk_id).update(enqueued_at=now)
        score_chunk.delay(chunk_id)
    for batch_id in (
        UploadBatch.objects.filter(chunks_done__gte=F("chunk_count"))
        .exclude(status__in=[BatchStatus.DONE, BatchStatus.INCOMPLETE])
        .values_list("pk", flat=True)
    ):
        batch_finish_if_done(batch_id=batch_id)
    if stale or lost_ids:
        logger.info("sweeper queued %d abandoned and %d lost chunk(s)", len(stale), len(lost_ids))
    return {"abandoned": len(stale), "lost": len(lost_ids)}


# --- overrides ---------------------------------------------------------------------------


def score_override(*, score: Score, result: str, justification: str, user) -> ScoreOverride:
    """QA sets a different result with a written justification; the automatic
    verdict stays on the score beside it."""
    if result not in Result.values:
        raise ValidationError({"result": f"{result!r} is not one of {', '.join(Result.values)}."})
    if not (justification or "").strip():
        raise ValidationError({"justification": "Write why the automatic result is overridden."})
    override = ScoreOverride(score=score, result=result, justification=justification.strip(), created_by=user)
    override.full_clean()
    override.save()
    return override


__all__ = [
    "UploadInvalid",
    "batch_enqueue",
    "batch_ingest",
    "batch_rescore",
    "batch_resume",
    "batch_score_inline",
    "batch_validate",
    "chunk_claim",
    "chunk_run",
    "chunk_score",
    "chunks_sweep",
    "score_override",
]
