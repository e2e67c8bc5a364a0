"""Writes of the scoring job: queue a batch's chunks, claim one, score it, fail or
release it, close the batch, resume it, and sweep up after dead workers and lost
messages.

The batch and chunk rows are the record of the work. A task only carries a chunk
id; whoever claims the chunk in the database scores it, in one transaction that
also marks it done, so a redelivered message or a second worker never scores a
chunk twice, and a chunk whose worker died is claimed again after its lease.

Queuing goes through :mod:`scoring.queue`, which sends the task by name: the tasks
import these services, and these services never import the tasks back.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from policy.models import ScoredParameter
from policy.selectors import policy_snapshot
from rules import engine
from rules.messages import reason_json
from rules.resolver import PolicyError
from rules.snapshot import Policy
from scoring.choices import BATCH_NOT_CUT, BatchStatus, ChunkStatus
from scoring.models import Score, ScoringChunk, Transcript, UploadBatch
from scoring.queue import send_score_chunk
from scoring.selectors import chunk_transcript_inputs
from scoring.services.bulk import rows_insert
from scoring.services.lease import lease_kept
from scoring.services.overrides import score_overrides_carry, score_overrides_in_force
from scoring.services.tallies import GROUP, score_groups, tallies_move

logger = logging.getLogger(__name__)

# Claims of one chunk before the sweeper stops queuing it and stalls its batch.
MAX_ATTEMPTS = 5


def batch_enqueue(*, batch_id: int) -> int:
    """Send a message for every pending chunk of the batch; returns how many."""
    chunk_ids = list(
        ScoringChunk.objects.filter(batch_id=batch_id, status=ChunkStatus.PENDING).values_list("pk", flat=True)
    )
    queued = 0
    for chunk_id in chunk_ids:
        try:
            send_score_chunk(chunk_id)
        except Exception:  # the broker is down: the sweeper queues it once it is back
            logger.warning("could not queue chunk %s; the sweeper will", chunk_id, exc_info=True)
            continue
        ScoringChunk.objects.filter(pk=chunk_id).update(enqueued_at=timezone.now())
        queued += 1
    return queued


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


def chunk_score(*, chunk_id: int, token: str, policy: Policy | None = None) -> bool:
    """Score a claimed chunk and mark it done, all in one transaction. Returns False
    (and writes nothing) when the claim was lost to another worker meanwhile.

    A fixed number of queries whatever the chunk's size: its transcripts and their
    messages in two reads, the engine on plain data, then one short write transaction
    (the claim checked and closed, the old scores superseded in one UPDATE, the new
    ones inserted in bulk, carried overrides in bulk, the batch's counters). While it
    reads and scores, the worker keeps renewing its lease (:mod:`.lease`), so the
    lease can be short and a dead worker's chunk is taken back soon."""
    batch_id = ScoringChunk.objects.filter(pk=chunk_id).values_list("batch_id", flat=True).first()
    if batch_id is None:
        return False
    with lease_kept(chunk_id=chunk_id, token=token):
        try:
            policy = policy or policy_snapshot()
        except PolicyError as exc:
            return chunk_fail(chunk_id=chunk_id, token=token, error=str(exc))
        judged, new_rows, errors = _score_inputs(policy, chunk_transcript_inputs(chunk_id))
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
        # The same read brings what the dashboard groups by, copied onto each score.
        locked = {
            pk: (digest, dashboard_columns(channel_id, cso_name, started_at))
            for pk, digest, channel_id, cso_name, started_at in Transcript.objects.select_for_update()
            .filter(pk__in=list(judged))
            .order_by("pk")
            .values_list("pk", "content_hash", "channel_id", "cso_name", "started_at")
        }
        ids = [pk for pk, digest in judged.items() if pk in locked and locked[pk][0] == digest]
        keep = set(ids)
        new_rows = [row for row in new_rows if row[0] in keep]
        carried = score_overrides_in_force(transcript_ids=ids)
        superseded = Score.objects.filter(is_current=True, transcript_id__in=ids)
        removed = score_groups(superseded)
        superseded.update(is_current=False)
        rows = [(*row, *locked[row[0]][1], now, True, batch_id, chunk_id) for row in new_rows]
        tallies_move(removed=removed, added=(_group(row) for row in rows))
        rows_insert(
            Score,
            _SCORE_FIELDS,
            rows,
        )
        score_overrides_carry(in_force=carried, chunk_id=chunk_id)
        scored = len({row[0] for row in new_rows}) + (len(judged) - len(ids))
        # The batch row last: every chunk of the batch updates it, so its lock is
        # held only from here to the commit.
        UploadBatch.objects.filter(pk=batch_id).update(
            scored_count=F("scored_count") + scored,
            failed_count=F("failed_count") + len(errors),
            chunks_done=F("chunks_done") + 1,
        )
        batch_finish_if_done(batch_id=batch_id)
    return True


# The columns of a new score, in the order of the rows _score_inputs makes, then the
# transcript's dashboard columns, then the four every score of the chunk shares
# (scored_at, is_current, batch, chunk).
_SCORE_FIELDS = (
    "transcript_id",
    "parameter_id",
    "result",
    "directive_id",
    "directive_version",
    "directive_history_id",
    "expected_greeting",
    "matched_passage",
    "passage_start",
    "passage_end",
    "reason",
    "reason_parts",
    "flags",
    "local_time",
    "zone_label",
    "scorer_version",
    "content_hash",
    "channel_id",
    "cso_name",
    "started_on",
    "scored_at",
    "is_current",
    "batch_id",
    "chunk_id",
)


_GROUP_AT = [_SCORE_FIELDS.index(name) for name in GROUP]


def _group(row: tuple) -> tuple:
    return tuple(row[at] for at in _GROUP_AT)


def dashboard_columns(channel_id: int, cso_name: str, started_at: dt.datetime | None) -> tuple:
    """The transcript's values a score keeps for the dashboard: its channel, its CSO and
    the day it started in the site's zone (as the score list's date filter reads it)."""
    day = started_at.astimezone(timezone.get_default_timezone()).date() if started_at else None
    return channel_id, cso_name, day


def _score_inputs(policy: Policy, inputs) -> tuple[dict[int, str], list[tuple], list[dict]]:
    """Run the engine over a chunk's inputs: the content hash judged per transcript,
    the new score rows, and the transcripts that could not be scored, and why."""
    parameters = {(p.code, p.channel.code): p.pk for p in ScoredParameter.objects.select_related("channel")}
    judged, rows, errors = {}, [], []
    for pk, digest, transcript in inputs:
        judged[pk] = digest
        try:
            verdicts = engine.score_transcript(policy, transcript)
        except PolicyError as exc:
            errors.append({"transcript": transcript.external_id, "error": str(exc)})
            continue
        if not verdicts:
            errors.append(
                {"transcript": transcript.external_id, "error": f"no scored parameter for {transcript.channel}"}
            )
            continue
        for verdict in verdicts:
            document = verdict.directive
            span = verdict.passage_span or (None, None)
            rows.append(
                (
                    pk,
                    parameters[(verdict.parameter.code, verdict.parameter.channel)],
                    verdict.result,
                    document.id if document else None,
                    document.version if document else None,
                    document.history_id if document else None,
                    verdict.expected_greeting,
                    verdict.matched_passage,
                    span[0],
                    span[1],
                    verdict.reason,
                    reason_json(verdict.reason_parts),
                    list(verdict.flags),
                    verdict.local,
                    verdict.zone_label,
                    engine.SCORER_VERSION,
                    digest,
                )
            )
    return judged, rows, errors


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


def chunks_take_over(*, worker: str, limit: int = 1) -> list[tuple[int, str]]:
    """Claim up to ``limit`` chunks whose lease ran out (their worker died) for this
    worker, oldest lease first; returns (chunk id, token) of each one it now holds.

    A worker calls it between two chunks, so a dead worker's chunk is back in work one
    lease after its last renewal even when the sweeper's message waits behind a long
    queue. A chunk that took its workers down too often is left to the sweeper, which
    fails it. The claim is the same conditional update as any other: two workers
    taking over at once get one chunk each, never the same one."""
    stale = timezone.now() - dt.timedelta(seconds=settings.SCORING_CLAIM_TIMEOUT_SECONDS)
    expired = (
        ScoringChunk.objects.filter(status=ChunkStatus.CLAIMED, claimed_at__lt=stale, attempts__lt=MAX_ATTEMPTS)
        .order_by("claimed_at")
        .values_list("pk", "claimed_by", "claimed_at")[: limit * 2]
    )
    taken = []
    for chunk_id, dead, renewed in expired:
        if len(taken) == limit:
            break
        token = chunk_claim(chunk_id=chunk_id, worker=worker)
        if token is not None:
            logger.info("took over chunk %s from %s (last renewed %s)", chunk_id, dead, renewed.isoformat())
            taken.append((chunk_id, token))
    return taken


def chunk_release(*, chunk_id: int, token: str, error: str) -> None:
    """Give a claimed chunk back after a transient error, for another attempt."""
    ScoringChunk.objects.filter(pk=chunk_id, status=ChunkStatus.CLAIMED, claim_token=token).update(
        status=ChunkStatus.PENDING, claim_token="", claimed_at=None, last_error=error[:2000]
    )


def batch_finish_if_done(*, batch_id: int) -> None:
    """Close the batch once its last chunk is done; collect the chunk errors."""
    done = (
        UploadBatch.objects.filter(pk=batch_id, chunks_done__gte=F("chunk_count"))
        .exclude(status__in=[BatchStatus.DONE, BatchStatus.INCOMPLETE, *BATCH_NOT_CUT])
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
        send_score_chunk(chunk_id)
    for batch_id in (
        UploadBatch.objects.filter(chunks_done__gte=F("chunk_count"))
        .exclude(status__in=[BatchStatus.DONE, BatchStatus.INCOMPLETE])
        .values_list("pk", flat=True)
    ):
        batch_finish_if_done(batch_id=batch_id)
    if stale or lost_ids:
        logger.info("sweeper queued %d abandoned and %d lost chunk(s)", len(stale), len(lost_ids))
    return {"abandoned": len(stale), "lost": len(lost_ids)}
