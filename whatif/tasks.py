"""Celery task of the what-if: thin. It carries a chunk id and calls the service;
the run and chunk rows record the work."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from whatif import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def whatif_chunk(self, chunk_id: int) -> None:
    """Claim one chunk of a what-if run and score it as if the draft were published."""
    token = services.whatif_chunk_claim(chunk_id=chunk_id)
    if token is None:
        return
    try:
        services.whatif_chunk_score(chunk_id=chunk_id, token=token)
    except OperationalError as exc:
        # A locked or restarting database: give the chunk back and try again later.
        services.WhatIfChunk.objects.filter(pk=chunk_id, claim_token=token).update(
            status=services.ChunkStatus.PENDING, claim_token="", claimed_at=None
        )
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 60)) from None
    except Exception as exc:
        logger.exception("what-if chunk %s failed", chunk_id)
        services.whatif_chunk_fail(chunk_id=chunk_id, token=token, error=f"{type(exc).__name__}: {exc}")
