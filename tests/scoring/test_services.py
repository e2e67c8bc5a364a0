"""Ingest, claims, rescoring, sweeping and overrides: the services behind the admin,
the commands and the workers."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from scoring import services
from scoring.choices import BatchStatus, ChunkStatus
from scoring.exports import COLUMNS, render_scores
from scoring.models import Message, Score, ScoringChunk, Transcript, UploadBatch
from scoring.selectors import current_scores
from scoring.types import UploadInvalid


def line(tid="LC-1", text="PLN 123 Selamat Pagi, dengan Rina Bisa Dibantu", when="2023-10-10T08:15:00", **extra):
    record = {
        "id": tid,
        "channel": "live_chat",
        "timezone": "WIB",
        "cso_name": "Rina Marlina",
        "messages": [
            {"sent_at": "2023-10-10T08:14:00", "sender": "customer", "text": "halo"},
            {"sent_at": when, "sender": "cso", "text": text},
        ],
    }
    record.update(extra)
    return json.dumps(record)


def jsonl(*lines):
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("qa", password="x")


def ingest(content, user, name="upload.jsonl"):
    batch = services.batch_ingest(filename=name, content=content, user=user, enqueue=False)
    return services.batch_score_inline(batch=batch)


def test_bad_file_stores_nothing_and_the_fixed_file_imports(seeded, user):
    bad = jsonl(line("A"), line("B", channel="fax"), line("C", when="2023-13-45T99:00"))
    with pytest.raises(UploadInvalid) as caught:
        services.batch_ingest(filename="bad.jsonl", content=bad, user=user)
    messages = [str(e) for e in caught.value.errors]
    assert any(m.startswith("line 2, column channel") and "'fax'" in m for m in messages)
    assert any(m.startswith("line 3") and "sent_at" in m for m in messages)
    assert Transcript.objects.count() == 0
    assert UploadBatch.objects.count() == 0
    assert Message.objects.count() == 0

    fixed = jsonl(line("A"), line("B"), line("C"))
    batch = ingest(fixed, user)
    assert batch.status == BatchStatus.DONE
    assert batch.scored_count == 3
    assert Score.objects.filter(is_current=True, result="YES").count() == 3


def test_same_id_again_updates_the_transcript_and_rescores(seeded, user):
    ingest(jsonl(line("A")), user)
    first = Score.objects.get(is_current=True)
    assert first.result == "YES"
    ingest(jsonl(line("A", text="Halo, ada yang bisa dibantu?")), user, name="second.jsonl")
    assert Transcript.objects.count() == 1
    assert list(Transcript.objects.get().messages.values_list("text", flat=True))[-1] == "Halo, ada yang bisa dibantu?"
    current = Score.objects.get(is_current=True)
    assert current.result == "NO"
    first.refresh_from_db()
    assert first.is_current is False  # the old score stays


def test_the_same_file_twice_is_recognised(seeded, user):
    content = jsonl(line("A"))
    first = ingest(content, user)
    second = ingest(content, user, name="again.jsonl")
    assert second.duplicate_of == first
    assert f"batch {first.pk}" in second.note


def test_scores_record_the_directive_version_and_history_row(seeded, user):
    ingest(jsonl(line("A", text="PLN 123 selamat Pagi", when="2023-09-10T08:15:00")), user)
    score = Score.objects.get()
    assert score.result == "NO"
    assert score.directive.reference == "SOP-PLN123-HPN2023"
    assert score.directive_version == 1
    assert score.directive_history.reference == "SOP-PLN123-HPN2023"
    assert score.directive_history.version == 1
    assert score.local_time == dt.datetime(2023, 9, 10, 1, 15, tzinfo=dt.UTC)
    assert score.zone_label == "WIB"


def queued_batch(user, n=3):
    content = jsonl(*(line(f"T-{i}") for i in range(n)))
    return services.batch_ingest(filename="q.jsonl", content=content, user=user, enqueue=False)


def test_a_chunk_is_claimed_once(seeded, user, settings):
    batch = queued_batch(user)
    chunk = batch.chunks.get()
    token = services.chunk_claim(chunk_id=chunk.pk, worker="w1")
    assert token
    assert services.chunk_claim(chunk_id=chunk.pk, worker="w2") is None
    assert services.chunk_score(chunk_id=chunk.pk, token=token)
    # A redelivered message for a done chunk scores nothing again.
    assert services.chunk_run(chunk_id=chunk.pk, worker="w2") is False
    assert Score.objects.count() == 3


def test_a_dead_workers_claim_is_taken_over_and_its_late_write_is_refused(seeded, user, settings):
    settings.SCORING_CLAIM_TIMEOUT_SECONDS = 60
    batch = queued_batch(user)
    chunk = batch.chunks.get()
    old_token = services.chunk_claim(chunk_id=chunk.pk, worker="dead")
    ScoringChunk.objects.filter(pk=chunk.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=61))
    new_token = services.chunk_claim(chunk_id=chunk.pk, worker="alive")
    assert new_token and new_token != old_token
    assert services.chunk_score(chunk_id=chunk.pk, token=old_token) is False
    assert Score.objects.count() == 0
    assert services.chunk_score(chunk_id=chunk.pk, token=new_token) is True
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
    services.chunk_claim(chunk_id=abandoned.pk, worker="dead")
    ScoringChunk.objects.filter(pk=abandoned.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=61))
    assert services.chunks_sweep(lost_after_seconds=0) == {"abandoned": 1, "lost": 1}
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
    assert services.batch_resume(batch=batch) == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


def test_rescore_adds_scores_and_keeps_the_old(seeded, user):
    first = ingest(jsonl(line("A"), line("B")), user)
    again = services.batch_rescore(source=first, user=user, enqueue=False)
    services.batch_score_inline(batch=again)
    assert Score.objects.count() == 4
    assert Score.objects.filter(is_current=True).count() == 2
    assert set(Score.objects.filter(is_current=True).values_list("batch", flat=True)) == {again.pk}
    with pytest.raises(ValidationError):
        services.batch_rescore(transcripts=[], user=user)


def test_override_needs_a_justification_and_shows_in_the_export(seeded, user):
    ingest(jsonl(line("A")), user)
    score = Score.objects.get()
    with pytest.raises(ValidationError):
        services.score_override(score=score, result="NO", justification="  ", user=user)
    services.score_override(score=score, result="NO", justification="customer had already been greeted", user=user)
    score = current_scores().get()
    assert score.result == "YES" and score.final_result == "NO"
    text = render_scores(current_scores(), "csv").decode()
    header, row = text.splitlines()[:2]
    assert header.split(",")[: len(COLUMNS)] == COLUMNS
    assert ",NO," in row and ",yes," in row and "customer had already been greeted" in row


def test_export_neutralises_formulas(seeded, user):
    ingest(jsonl(line("A", cso_name='=HYPERLINK("http://x")')), user)
    text = render_scores(current_scores(), "csv").decode()
    assert "'=HYPERLINK" in text
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(render_scores(current_scores(), "xlsx"))).active
    rows = list(sheet.values)
    assert list(rows[0][: len(COLUMNS)]) == COLUMNS
    assert rows[1][2].startswith("'=")


def test_a_chunk_that_keeps_killing_workers_stalls_the_batch_and_resumes(seeded, user, settings):
    settings.SCORING_CLAIM_TIMEOUT_SECONDS = 60
    batch = queued_batch(user)
    chunk = batch.chunks.get()
    services.chunk_claim(chunk_id=chunk.pk, worker="dead")
    ScoringChunk.objects.filter(pk=chunk.pk).update(
        attempts=services.MAX_ATTEMPTS, claimed_at=timezone.now() - dt.timedelta(seconds=61)
    )
    assert services.chunks_sweep(lost_after_seconds=0) == {"abandoned": 0, "lost": 0}
    batch.refresh_from_db()
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.FAILED
    assert batch.status == BatchStatus.STALLED
    assert "stopped 5 times" in batch.errors[0]["error"]
    services.batch_resume(batch=batch)
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
    services.batch_resume(batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


def test_a_stalled_batch_stays_stalled_while_its_other_chunks_finish(seeded, user, settings):
    settings.SCORING_CHUNK_SIZE = 1
    batch = queued_batch(user, n=3)
    first, *others = batch.chunks.order_by("index")
    token = services.chunk_claim(chunk_id=first.pk, worker="w")
    services.chunk_fail(chunk_id=first.pk, token=token, error="disk on fire")
    for chunk in others:
        services.chunk_run(chunk_id=chunk.pk, worker="w")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.STALLED
    assert batch.errors == [{"transcript": "chunk 0", "error": "disk on fire"}]
    assert batch.scored_count == 2


def test_an_override_survives_a_rescore_to_the_same_result_only(seeded, user):
    """GIVEN QA overrode a score
    WHEN the transcript is scored again to the same automatic result on the same content
    THEN the override is carried to the new score; when the result changes, it is not."""
    first = ingest(jsonl(line("A"), line("B")), user)
    score_a, score_b = Score.objects.order_by("transcript__external_id")
    services.score_override(score=score_a, result="NO", justification="greeted in a call before", user=user)
    services.score_override(score=score_b, result="NO", justification="wrong queue", user=user)
    # B is uploaded again with another greeting: its automatic result changes.
    ingest(jsonl(line("B", text="Halo")), user, name="b-again.jsonl")
    services.batch_score_inline(batch=services.batch_rescore(source=first, user=user, enqueue=False))
    current = {s.transcript.external_id: s for s in current_scores()}
    assert current["A"].final_result == "NO"
    assert current["A"].current_override.carried_from is not None
    assert current["A"].current_override.justification == "greeted in a call before"
    assert current["B"].result == "NO" and current["B"].current_override is None


def test_a_transcript_uploaded_again_while_its_chunk_was_scored_is_left_to_the_newer_batch(seeded, user, monkeypatch):
    batch = queued_batch(user, n=2)
    chunk = batch.chunks.get()
    real = services.transcript_to_input

    def reupload_midway(transcript):
        # Another process stores a new version of T-0 while this chunk is scoring.
        Transcript.objects.filter(external_id="T-0").update(content_hash="newer")
        return real(transcript)

    monkeypatch.setattr(services, "transcript_to_input", reupload_midway)
    assert services.chunk_run(chunk_id=chunk.pk, worker="w")
    assert list(Score.objects.values_list("transcript__external_id", flat=True)) == ["T-1"]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


def test_an_upload_while_the_broker_is_down_is_stored_and_swept_up_later(seeded, user, monkeypatch):
    from scoring.tasks import score_chunk

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(score_chunk, "delay", down)
    content = jsonl(line("A"))
    batch = services.batch_ingest(filename="a.jsonl", content=content, user=user, enqueue=False)
    assert services.batch_enqueue(batch_id=batch.pk) == 0
    assert batch.chunks.get().enqueued_at is None
    monkeypatch.undo()
    assert services.chunks_sweep() == {"abandoned": 0, "lost": 1}
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
