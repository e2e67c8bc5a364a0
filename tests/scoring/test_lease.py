"""The lease on a chunk: renewed while its worker scores, taken over once it runs out."""

import datetime as dt
import time

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from rules import engine
from scoring.choices import BatchStatus, ChunkStatus
from scoring.models import Score, ScoringChunk
from scoring.services.chunks import chunk_claim, chunk_run, chunk_score, chunks_take_over
from scoring.services.lease import lease_renew
from tests.scoring.uploads import queued_batch


def test_only_the_holder_renews_a_lease(seeded, user):
    batch = queued_batch(user)
    chunk = batch.chunks.get()
    token = chunk_claim(chunk_id=chunk.pk, worker="w1")
    ScoringChunk.objects.filter(pk=chunk.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=20))
    assert lease_renew(chunk_id=chunk.pk, token="someone-else") is False
    assert lease_renew(chunk_id=chunk.pk, token=token) is True
    chunk.refresh_from_db()
    assert timezone.now() - chunk.claimed_at < dt.timedelta(seconds=20)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_chunk_scored_longer_than_its_lease_stays_its_workers(seeded, settings, monkeypatch):
    """GIVEN a lease of 3 s, renewed every second while the worker scores
    WHEN scoring the chunk takes longer than the lease (a slow engine)
    THEN another worker cannot claim it meanwhile, and the first one's write is kept."""
    settings.SCORING_CLAIM_TIMEOUT_SECONDS = 3
    user = get_user_model().objects.create_user("qa", password="x")
    batch = queued_batch(user, n=2)
    chunk = batch.chunks.get()
    token = chunk_claim(chunk_id=chunk.pk, worker="slow")
    real = engine.score_transcript
    seen = []

    def slow(policy, transcript):
        if not seen:
            # Longer than the lease since the claim: only the renewals keep it.
            time.sleep(4.5)
            seen.append(chunk_claim(chunk_id=chunk.pk, worker="thief"))
        return real(policy, transcript)

    monkeypatch.setattr(engine, "score_transcript", slow)
    assert chunk_score(chunk_id=chunk.pk, token=token) is True
    assert seen == [None]
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.DONE and chunk.claimed_by == "slow" and chunk.attempts == 1
    assert Score.objects.filter(is_current=True).count() == 2


def test_a_worker_takes_over_a_chunk_whose_lease_ran_out(seeded, user, settings):
    """GIVEN a chunk claimed by a worker that stopped renewing (its lease ran out)
    WHEN another worker finishes a chunk of its own (the task, run eagerly)
    THEN it claims the expired chunk with a new token and scores it; the dead
    worker's late write is refused."""
    from scoring.tasks import score_chunk

    settings.SCORING_CHUNK_SIZE = 2
    settings.SCORING_CLAIM_TIMEOUT_SECONDS = 30
    batch = queued_batch(user, n=4)
    mine, abandoned = batch.chunks.order_by("index")
    dead_token = chunk_claim(chunk_id=abandoned.pk, worker="dead")
    ScoringChunk.objects.filter(pk=abandoned.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=31))
    score_chunk.delay(mine.pk)
    abandoned.refresh_from_db()
    assert abandoned.status == ChunkStatus.DONE
    assert abandoned.claimed_by != "dead" and abandoned.attempts == 2
    assert chunk_score(chunk_id=abandoned.pk, token=dead_token) is False
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.scored_count == 4
    assert Score.objects.filter(is_current=True).count() == 4


def test_a_live_lease_is_not_taken_over(seeded, user, settings):
    settings.SCORING_CLAIM_TIMEOUT_SECONDS = 30
    batch = queued_batch(user)
    chunk = batch.chunks.get()
    chunk_claim(chunk_id=chunk.pk, worker="alive")
    ScoringChunk.objects.filter(pk=chunk.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=29))
    assert chunks_take_over(worker="other") == []
    assert chunk_run(chunk_id=chunk.pk, worker="other") is False
    chunk.refresh_from_db()
    assert chunk.claimed_by == "alive" and chunk.status == ChunkStatus.CLAIMED
