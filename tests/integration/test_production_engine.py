"""The production engine with real processes: PostgreSQL, Redis or RabbitMQ, several
workers, and no transcript lost when a worker dies or the queued messages vanish.

These run in the PostgreSQL pass of ``python3 dev.py test`` (the SQLite pass skips
them, saying so); under PLN123_REQUIRE_SERVICES=1 a missing service fails them."""

import os
import signal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count

from scoring import synthetic
from scoring.choices import BatchStatus, ChunkStatus
from scoring.models import Score, ScoringChunk, Transcript, UploadBatch
from scoring.services import ingest
from tests.services import rabbitmq_url, redis_url
from tests.workers import real_broker, start_beat, start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.django_db(transaction=True)]

FAST_RECOVERY = {
    # A claim older than this is a dead worker's; a chunk queued longer ago than
    # this without being claimed lost its message; the sweeper looks this often.
    "PLN123_CLAIM_TIMEOUT": "10",
    "PLN123_REQUEUE_AFTER": "15",
    "PLN123_SWEEP_INTERVAL": "2",
}


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of `python3 dev.py test` (DATABASE_URL=postgres://...)")


@pytest.fixture
def redis_broker():
    """A Redis database of its own, emptied, for the broker: one of 1-15 by process, so
    that two test runs on one machine (two checkouts) rarely share one."""
    import redis

    base = redis_url().rsplit("/", 1)[0]
    url = f"{base}/{1 + os.getpid() % 15}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


def many_transcripts(count: int, fmt: str = "jsonl") -> bytes:
    """An upload of ``count`` generated transcripts (scoring.synthetic), every case of the rules."""
    return synthetic.upload_bytes(synthetic.transcripts_of(synthetic.generate(count, seed=123)), fmt)


def assert_complete(batch_id: int, count: int) -> UploadBatch:
    batch = UploadBatch.objects.get(pk=batch_id)
    assert batch.status == BatchStatus.DONE, batch.errors
    assert batch.scored_count == count
    assert batch.failed_count == 0
    assert set(batch.chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}
    assert Transcript.objects.count() == count
    # Exactly one current score per transcript, none missing, none scored twice.
    assert Score.objects.filter(is_current=True).count() == count
    assert Score.objects.count() == count
    per_transcript = Score.objects.filter(is_current=True).values("transcript").annotate(n=Count("id"))
    assert {row["n"] for row in per_transcript} == {1}
    return batch


def finished(batch_id):
    def check():
        batch = UploadBatch.objects.get(pk=batch_id)
        return batch if batch.is_finished else None

    return check


def chunks_done(batch_id, at_least):
    return lambda: UploadBatch.objects.get(pk=batch_id).chunks_done >= at_least


def test_two_workers_one_killed_mid_batch(seeded, tmp_path, redis_broker, settings):
    """GIVEN two worker processes on PostgreSQL and Redis, and the sweeper
    WHEN a batch of 5,000 transcripts is uploaded and one worker is SIGKILLed mid-batch
    THEN the batch completes, each transcript with exactly one current score."""
    settings.SCORING_CHUNK_SIZE = 100
    user = get_user_model().objects.create_user("qa", password="x")
    var = tmp_path / "var"
    var.mkdir()
    log = tmp_path / "processes.log"
    w1 = start_worker(name="w1", broker_url=redis_broker, var_dir=var, log=log, extra_env=FAST_RECOVERY)
    w2 = start_worker(name="w2", broker_url=redis_broker, var_dir=var, log=log, extra_env=FAST_RECOVERY)
    beat = start_beat(broker_url=redis_broker, var_dir=var, log=log, extra_env=FAST_RECOVERY)
    try:
        with real_broker(redis_broker):
            batch = ingest.batch_ingest(filename="big.jsonl", content=many_transcripts(5000), user=user)
        assert batch.chunk_count == 50
        wait_for(chunks_done(batch.pk, 8), timeout=180, what="the first chunks", log=log)
        os.killpg(w1.pid, signal.SIGKILL)
        w1.wait(timeout=10)
        # Listed once it is dead: a chunk listed before the kill could still be finished by w1.
        held = list(
            ScoringChunk.objects.filter(status=ChunkStatus.CLAIMED, claimed_by__startswith="w1@").values_list(
                "pk", flat=True
            )
        )
        wait_for(finished(batch.pk), timeout=400, what="the batch to finish after the kill", log=log)
    finally:
        for process in (beat, w1, w2):
            stop_worker(process)
    assert_complete(batch.pk, 5000)
    # What the dead worker held was scored by the survivor.
    for chunk in ScoringChunk.objects.filter(pk__in=held):
        assert chunk.claimed_by.startswith("w2@")
        assert chunk.attempts >= 2


def test_a_killed_workers_chunk_is_rescored_by_another_after_its_lease(seeded, tmp_path, redis_broker, settings):
    """GIVEN two single-process workers on PostgreSQL and Redis, a lease of 10 s, and the sweeper
    WHEN one worker is SIGKILLed while it holds a chunk
    THEN the other takes that chunk over once its lease ran out (not before: no chunk
    scored twice) and scores it; the batch completes with one current score each."""
    import time

    lease = int(FAST_RECOVERY["PLN123_CLAIM_TIMEOUT"])
    settings.SCORING_CHUNK_SIZE = 100
    user = get_user_model().objects.create_user("qa", password="x")
    var = tmp_path / "var"
    var.mkdir()
    log = tmp_path / "processes.log"
    w1 = start_worker(name="w1", broker_url=redis_broker, var_dir=var, log=log, concurrency=1, extra_env=FAST_RECOVERY)
    w2 = start_worker(name="w2", broker_url=redis_broker, var_dir=var, log=log, concurrency=1, extra_env=FAST_RECOVERY)
    beat = start_beat(broker_url=redis_broker, var_dir=var, log=log, extra_env=FAST_RECOVERY)
    try:
        with real_broker(redis_broker):
            batch = ingest.batch_ingest(filename="big.jsonl", content=many_transcripts(3000), user=user)

        def w1_holds_a_chunk():
            done = UploadBatch.objects.get(pk=batch.pk).chunks_done >= 2
            return (
                done and ScoringChunk.objects.filter(status=ChunkStatus.CLAIMED, claimed_by__startswith="w1@").exists()
            )

        # A chunk of 100 takes w1 a fraction of a second: between seeing it hold one and
        # the kill, it may finish it. So w1 is frozen first (SIGSTOP stops it between
        # two instructions), and killed only if it still holds a chunk; else it goes on
        # and the next chunk it claims is tried.
        for _attempt in range(20):
            wait_for(w1_holds_a_chunk, timeout=180, interval=0.05, what="w1 to hold a chunk", log=log)
            os.killpg(w1.pid, signal.SIGSTOP)
            if ScoringChunk.objects.filter(status=ChunkStatus.CLAIMED, claimed_by__startswith="w1@").exists():
                break
            os.killpg(w1.pid, signal.SIGCONT)
        os.killpg(w1.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        w1.wait(timeout=10)
        # Listed once it is dead, with its last renewal: the lease runs from there.
        held = dict(
            ScoringChunk.objects.filter(status=ChunkStatus.CLAIMED, claimed_by__startswith="w1@").values_list(
                "pk", "claimed_at"
            )
        )
        assert held, "w1 finished its chunk before it was killed"

        def rescored():
            return not ScoringChunk.objects.filter(pk__in=held).exclude(status=ChunkStatus.DONE).exists()

        wait_for(rescored, timeout=300, interval=0.2, what="the killed worker's chunk to be rescored", log=log)
        recovered_after = time.monotonic() - killed_at
        wait_for(finished(batch.pk), timeout=400, what="the batch to finish after the kill", log=log)
    finally:
        for process in (beat, w1, w2):
            stop_worker(process)
    assert_complete(batch.pk, 3000)
    for chunk in ScoringChunk.objects.filter(pk__in=held):
        assert chunk.claimed_by.startswith("w2@")
        assert chunk.attempts == 2
        # Taken back only after its lease ran out: the claim needs a lease older than that.
        assert (chunk.finished_at - held[chunk.pk]).total_seconds() >= lease
    print(f"\nkilled worker's chunk(s) {sorted(held)}: rescored by w2 {recovered_after:.1f} s after the kill")
    print(f"(lease {lease} s, sweeper every {FAST_RECOVERY['PLN123_SWEEP_INTERVAL']} s)")


def test_queued_messages_dropped_and_connections_killed_mid_batch(seeded, tmp_path, redis_broker, settings):
    """GIVEN two workers scoring a batch of 5,000 transcripts
    WHEN every queued message is purged and Redis drops every client connection mid-batch
    THEN the sweeper queues the lost chunks again and the batch completes, each
    transcript with exactly one current score."""
    import redis

    settings.SCORING_CHUNK_SIZE = 100
    user = get_user_model().objects.create_user("qa", password="x")
    var = tmp_path / "var"
    var.mkdir()
    log = tmp_path / "processes.log"
    processes = [
        start_worker(name="w1", broker_url=redis_broker, var_dir=var, log=log, extra_env=FAST_RECOVERY),
        start_worker(name="w2", broker_url=redis_broker, var_dir=var, log=log, extra_env=FAST_RECOVERY),
        start_beat(broker_url=redis_broker, var_dir=var, log=log, extra_env=FAST_RECOVERY),
    ]
    try:
        with real_broker(redis_broker) as app:
            batch = ingest.batch_ingest(filename="big.jsonl", content=many_transcripts(5000), user=user)
            wait_for(chunks_done(batch.pk, 5), timeout=180, what="the first chunks", log=log)
            purged = app.control.purge()
            redis.Redis.from_url(redis_broker).client_kill_filter(_type="normal", skipme=True)
        assert purged > 0, "the queue was already empty: nothing was lost"
        wait_for(finished(batch.pk), timeout=400, what="the batch to finish after the purge", log=log)
    finally:
        for process in processes:
            stop_worker(process)
    assert_complete(batch.pk, 5000)
    assert ScoringChunk.objects.filter(batch_id=batch.pk, attempts__gte=1).count() == 50


def test_rabbitmq_smoke(seeded, tmp_path):
    """The same upload, through RabbitMQ, scored by a worker."""
    url = rabbitmq_url()
    user = get_user_model().objects.create_user("qa", password="x")
    var = tmp_path / "var"
    var.mkdir()
    log = tmp_path / "worker.log"
    with real_broker(url) as app:
        app.control.purge()
        worker = start_worker(name="rabbit", broker_url=url, var_dir=var, log=log)
        try:
            content = many_transcripts(240, "csv")
            batch = ingest.batch_ingest(filename="synthetic.csv", content=content, user=user)
            wait_for(finished(batch.pk), timeout=180, what="the batch to finish on RabbitMQ", log=log)
        finally:
            stop_worker(worker)
    assert_complete(batch.pk, 240)
