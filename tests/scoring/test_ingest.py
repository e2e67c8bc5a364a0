"""Storing uploads and making batches: validation, re-uploads, duplicates, rescoring."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from scoring.choices import BatchStatus
from scoring.models import Message, Score, Transcript, UploadBatch
from scoring.services.chunks import batch_score_inline
from scoring.services.ingest import batch_ingest, batch_rescore
from scoring.types import UploadInvalid
from tests.scoring.uploads import jsonl, line, upload_and_score


def test_bad_file_stores_nothing_and_the_fixed_file_imports(seeded, user):
    bad = jsonl(line("A"), line("B", channel="fax"), line("C", when="2023-13-45T99:00"))
    with pytest.raises(UploadInvalid) as caught:
        batch_ingest(filename="bad.jsonl", content=bad, user=user)
    messages = [str(e) for e in caught.value.errors]
    assert any(m.startswith("line 2, column channel") and "'fax'" in m for m in messages)
    assert any(m.startswith("line 3") and "sent_at" in m for m in messages)
    assert Transcript.objects.count() == 0
    assert UploadBatch.objects.count() == 0
    assert Message.objects.count() == 0

    fixed = jsonl(line("A"), line("B"), line("C"))
    batch = upload_and_score(fixed, user)
    assert batch.status == BatchStatus.DONE
    assert batch.scored_count == 3
    assert Score.objects.filter(is_current=True, result="YES").count() == 3


def test_same_id_again_updates_the_transcript_and_rescores(seeded, user):
    upload_and_score(jsonl(line("A")), user)
    first = Score.objects.get(is_current=True)
    assert first.result == "YES"
    upload_and_score(jsonl(line("A", text="Halo, ada yang bisa dibantu?")), user, name="second.jsonl")
    assert Transcript.objects.count() == 1
    assert list(Transcript.objects.get().messages.values_list("text", flat=True))[-1] == "Halo, ada yang bisa dibantu?"
    current = Score.objects.get(is_current=True)
    assert current.result == "NO"
    first.refresh_from_db()
    assert first.is_current is False  # the old score stays


def test_the_same_file_twice_is_recognised(seeded, user):
    content = jsonl(line("A"))
    first = upload_and_score(content, user)
    second = upload_and_score(content, user, name="again.jsonl")
    assert second.duplicate_of == first
    assert f"batch {first.pk}" in second.note


def test_scores_record_the_directive_version_and_history_row(seeded, user):
    upload_and_score(jsonl(line("A", text="PLN 123 selamat Pagi", when="2023-09-10T08:15:00")), user)
    score = Score.objects.get()
    assert score.result == "NO"
    assert score.directive.reference == "SOP-PLN123-HPN2023"
    assert score.directive_version == 1
    assert score.directive_history.reference == "SOP-PLN123-HPN2023"
    assert score.directive_history.version == 1
    assert score.local_time == dt.datetime(2023, 9, 10, 1, 15, tzinfo=dt.UTC)
    assert score.zone_label == "WIB"


def test_rescore_adds_scores_and_keeps_the_old(seeded, user):
    first = upload_and_score(jsonl(line("A"), line("B")), user)
    again = batch_rescore(source=first, user=user, enqueue=False)
    batch_score_inline(batch=again)
    assert Score.objects.count() == 4
    assert Score.objects.filter(is_current=True).count() == 2
    assert set(Score.objects.filter(is_current=True).values_list("batch", flat=True)) == {again.pk}
    with pytest.raises(ValidationError):
        batch_rescore(transcripts=[], user=user)
