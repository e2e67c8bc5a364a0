"""The scoring job: claims, dead workers, the sweeper, failures, resuming, a lost broker."""

import datetime as dt

from django.utils import timezone

from rules import engine
from scoring.choices import BatchStatus, ChunkStatus
from scoring.models import Score, ScoringChunk, Transcript, UploadBatch
from scoring.services.chunks import (
    MAX_ATTEMPTS,
    batch_enqueue,
    batch_resume,
    chunk_claim,
    chunk_fail,
    chunk_run,
    chunk_score,
    chunks_sweep,
)
from scoring.services.ingest import batch_ingest
from tests.scoring.uploads import jsonl, line, queued_batch


def test_a_chunk_is_claimed_once(seeded, user, settings):
    batch = queued_batch(user)
    chunk = batch.chunks.get()
    token = chunk_claim(chunk_id=chunk.pk, worker="w1")
    assert token
    assert chunk_claim(chunk_id=chunk.pk, worker="w2") is None
    assert chunk_score(chunk_id=chunk.pk, token=token)
    # A redelivered message for a done chunk scores nothing again.
    assert chunk_run(chunk_id=chunk.pk, worker="w2") is False
    assert Score.objects.count() == 3


def test_a_dead_workers_claim_is_taken_over_and_its_late_write_is_refused(seeded, user, settings):
    settings.SCORING_CLAIM_TIMEOUT_SECONDS = 60
    batch = queued_batch(user)
    chunk = batch.chunks.get()
    old_token = chunk_claim(chunk_id=chunk.pk, worker="dead")
    ScoringChunk.objects.filter(pk=chunk.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=61))
    new_token = chunk_claim(chunk_id=chunk.pk, worker="alive")
    assert new_token and new_token != old_token
    assert chunk_score(chunk_id=chunk.pk, token=old_token) is False
    assert Score.objects.count() == 0
    assert chunk_score(chunk_id=chunk.pk, token=new_token) is True
    assert Score.objects.filter(is_current=True).count() == 3
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.scored_count == 3


def test_the_sweeper_requeues_lost_and_abandoned_chunks(seeded, user, settings, django_capture_on_commit_callbacks):
    """GIVEN chunks whose message was lost and whose worker died
    WHEN the sweeper runs (tasks run eagerly in tests)
    THEN both are scored and the batch completes with one current score each."""
    settings.SCORING_CHUNK_SIZE = 2
    settings.SCORING_CLAIM_TIMEOUT_SECONDS = 60
    batch = queued_batch(user, n=4)
    lost, abandoned = batch.chunks.order_by("index")
    chunk_claim(chunk_id=abandoned.pk, worker="dead")
    ScoringChunk.objects.filter(pk=abandoned.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=61))
    assert chunks_sweep(lost_after_seconds=0) == {"abandoned": 1, "lost": 1}
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert batch.scored_count == 4
    assert Score.objects.filter(is_current=True).count() == 4
    assert set(batch.chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}


def test_resume_puts_failed_chunks_back(seeded, user):
    batch = queued_batch(user)
    chunk = batch.chunks.get()
    ScoringChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.FAILED, last_error="database gone")
    UploadBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.STALLED)
    assert batch_resume(batch=batch) == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


def test_a_chunk_that_keeps_killing_workers_stalls_the_batch_and_resumes(seeded, user, settings):
    settings.SCORING_CLAIM_TIMEOUT_SECONDS = 60
    batch = queued_batch(user)
    chunk = batch.chunks.get()
    chunk_claim(chunk_id=chunk.pk, worker="dead")
    ScoringChunk.objects.filter(pk=chunk.pk).update(
        attempts=MAX_ATTEMPTS, claimed_at=timezone.now() - dt.timedelta(seconds=61)
    )
    assert chunks_sweep(lost_after_seconds=0) == {"abandoned": 0, "lost": 0}
    batch.refresh_from_db()
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.FAILED
    assert batch.status == BatchStatus.STALLED
    assert "stopped 5 times" in batch.errors[0]["error"]
    batch_resume(batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.scored_count == 3


def test_an_unexpected_error_in_a_task_stalls_the_batch_with_the_error(seeded, user, monkeypatch):
    from rules import engine
    from scoring.tasks import score_chunk

    batch = queued_batch(user)
    chunk = batch.chunks.get()

    def broken(policy, transcript):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(engine, "score_transcript", broken)
    score_chunk.delay(chunk.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.STALLED
    assert "RuntimeError: engine exploded" in batch.errors[0]["error"]
    assert Score.objects.count() == 0
    monkeypatch.undo()
    batch_resume(batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


def test_a_stalled_batch_stays_stalled_while_its_other_chunks_finish(seeded, user, settings):
    settings.SCORING_CHUNK_SIZE = 1
    batch = queued_batch(user, n=3)
    first, *others = batch.chunks.order_by("index")
    token = chunk_claim(chunk_id=first.pk, worker="w")
    chunk_fail(chunk_id=first.pk, token=token, error="disk on fire")
    for chunk in others:
        chunk_run(chunk_id=chunk.pk, worker="w")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.STALLED
    assert batch.errors == [{"transcript": "chunk 0", "error": "disk on fire"}]
    assert batch.scored_count == 2


def test_a_transcript_uploaded_again_while_its_chunk_was_scored_is_left_to_the_newer_batch(seeded, user, monkeypatch):
    batch = queued_batch(user, n=2)
    chunk = batch.chunks.get()
    real = engine.score_transcript

    def reupload_midway(policy, transcript):
        # Another process stores a new version of T-0 while this chunk is scoring.
        Transcript.objects.filter(external_id="T-0").update(content_hash="newer")
        return real(policy, transcript)

    monkeypatch.setattr(engine, "score_transcript", reupload_midway)
    assert chunk_run(chunk_id=chunk.pk, worker="w")
    assert list(Score.objects.values_list("transcript__external_id", flat=True)) == ["T-1"]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


def test_an_upload_while_the_broker_is_down_is_stored_and_swept_up_later(seeded, user, monkeypatch):
    from scoring.tasks import score_chunk

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(score_chunk, "delay", down)
    content = jsonl(line("A"))
    batch = batch_ingest(filename="a.jsonl", content=content, user=user, enqueue=False)
    assert batch_enqueue(batch_id=batch.pk) == 0
    assert batch.chunks.get().enqueued_at is None
    monkeypatch.undo()
    assert chunks_sweep() == {"abandoned": 0, "lost": 1}
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


def test_the_services_queue_by_the_name_the_task_registers():
    """The services send ``scoring.tasks.score_chunk`` by name (scoring.queue); the app
    registry knows it in every process, not only in a worker (ScoringConfig.ready)."""
    from celery import current_app

    from scoring.queue import SCORE_CHUNK
    from scoring.tasks import score_chunk

    assert score_chunk.name == SCORE_CHUNK
    assert current_app.tasks[SCORE_CHUNK] is score_chunk._get_current_object()
