"""A worker's lease on the chunk it scores, kept alive while it works.

A claim lasts ``SCORING_CLAIM_TIMEOUT_SECONDS`` from ``claimed_at``. While a worker
reads and scores its chunk, a heartbeat thread moves ``claimed_at`` forward every
third of that, so the lease can be short (seconds, not the longest chunk): a worker
killed with SIGKILL stops renewing, and its chunk is free to claim again one lease
later. The renewal is conditional on the claim token, like the final write, so a
worker that lost its chunk to another (it stalled past its lease) renews nothing and
its write is refused (fencing).
"""

from __future__ import annotations

import contextlib
import logging
import threading

from django.conf import settings
from django.db import connections
from django.utils import timezone

from scoring.choices import ChunkStatus
from scoring.models import ScoringChunk

logger = logging.getLogger(__name__)


def lease_renew(*, chunk_id: int, token: str) -> bool:
    """Extend the lease on a chunk this token holds; False when it is no longer held."""
    return (
        ScoringChunk.objects.filter(pk=chunk_id, status=ChunkStatus.CLAIMED, claim_token=token).update(
            claimed_at=timezone.now()
        )
        == 1
    )


def renew_interval() -> float:
    """Seconds between two renewals: a third of the lease, so two may fail in a row
    (a database busy for a moment) before the lease runs out."""
    return settings.SCORING_CLAIM_TIMEOUT_SECONDS / 3


@contextlib.contextmanager
def lease_kept(*, chunk_id: int, token: str):
    """Renew the lease on a chunk in a background thread while the block runs.

    The thread sleeps first, so a chunk scored within a third of the lease never
    touches the database from it; it has its own connection (Django's are per
    thread), closed when it stops."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(renew_interval()):
                try:
                    if not lease_renew(chunk_id=chunk_id, token=token):
                        logger.warning("lost the lease on chunk %s; its write will be refused", chunk_id)
                        return
                except Exception:  # a busy or restarting database: try again next beat
                    logger.warning("could not renew the lease on chunk %s", chunk_id, exc_info=True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"lease-chunk-{chunk_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=renew_interval())
