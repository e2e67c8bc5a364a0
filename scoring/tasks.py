"""Celery tasks: thin. They carry ids, call a service, and exit quietly when the
work is gone or someone else's. The database, not the broker, records the work.

The tasks import the services, never the other way round: the services queue a chunk
by the task's name (:mod:`scoring.queue`)."""

from __future__ import annotations

import logging
import os
import socket

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError

from scoring.services import chunks, ingest

logger = logging.getLogger(__name__)


def _worker_name(task) -> str:
    return f"{task.request.hostname or socket.gethostname()}:{os.getpid()}"


# The lease keeps a live worker's chunk its own however long it scores; a chunk still
# running after this is stuck, and is stopped and marked failed for QA to resume.
_SOFT_LIMIT = settings.SCORING_CHUNK_TIME_LIMIT_SECONDS


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_SOFT_LIMIT + 20,
)
def score_chunk(self, chunk_id: int) -> None:
    """Claim and score one chunk of a batch, then take over any chunk whose worker
    died (its lease ran out): here and now, not queued behind the rest of the batch."""
    worker = _worker_name(self)
    token = chunks.chunk_claim(chunk_id=chunk_id, worker=worker)
    if token is not None:
        try:
            _score(chunk_id, token)
        except OperationalError as exc:
            # A locked or restarting database: give the chunk back and try again later.
            chunks.chunk_release(chunk_id=chunk_id, token=token, error=str(exc))
            raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 60)) from None
    for expired_id, token in chunks.chunks_take_over(worker=worker):
        try:
            _score(expired_id, token)
        except OperationalError as exc:
            chunks.chunk_release(chunk_id=expired_id, token=token, error=str(exc))  # the sweeper queues it


def _score(chunk_id: int, token: str) -> None:
    try:
        chunks.chunk_score(chunk_id=chunk_id, token=token)
    except OperationalError:
        raise
    except SoftTimeLimitExceeded:
        logger.error("chunk %s took longer than %ss", chunk_id, _SOFT_LIMIT)
        chunks.chunk_fail(chunk_id=chunk_id, token=token, error=f"scoring took longer than {_SOFT_LIMIT}s")
    except Exception as exc:
        # Anything else will fail again: stop, and say so on the batch for QA to resume.
        logger.exception("chunk %s failed", chunk_id)
        chunks.chunk_fail(chunk_id=chunk_id, token=token, error=f"{type(exc).__name__}: {exc}")


@shared_task(acks_late=True, reject_on_worker_lost=True)
def ingest_batch(batch_id: int) -> None:
    """Check a received upload's file and store its transcripts; its chunks are queued
    as they are stored. Quietly nothing when the batch is gone or already taken."""
    ingest.batch_process(batch_id=batch_id)


@shared_task
def sweep_chunks() -> dict:
    """Queue again the chunks whose worker died or whose message was lost."""
    return chunks.chunks_sweep()
