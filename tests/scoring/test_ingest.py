"""Storing uploads and making batches: validation, re-uploads, duplicates, rescoring."""

import datetime as dt
from pathlib import Path

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


# --- one batch per file content at a time (issue 10) ------------------------------------------------


def _receive(content: bytes, user, name="same.jsonl"):
    from django.core.files.base import ContentFile

    from scoring.services.ingest import batch_receive

    return batch_receive(filename=name, file=ContentFile(content, name=name), user=user, enqueue=False)


def test_the_same_content_while_it_is_imported_is_that_batch(seeded, user):
    """GIVEN a file received and not yet finished WHEN the same content comes again
    THEN nothing new is stored and the caller is told which batch it is; once that
    batch has finished, the same content is a new batch again (scored again)."""
    from scoring.services.ingest import BatchInWork, batch_process

    content = jsonl(line("A"), line("B"))
    first = _receive(content, user)
    with pytest.raises(BatchInWork) as caught:
        _receive(content, user, name="again.jsonl")
    assert caught.value.batch == first
    assert f"already being imported as batch {first.pk} (same.jsonl); nothing new was stored" in str(caught.value)
    assert UploadBatch.objects.count() == 1

    batch_process(batch_id=first.pk, enqueue=False)
    with pytest.raises(BatchInWork):  # stored, waiting for the workers: still in work
        _receive(content, user, name="again.jsonl")
    batch_score_inline(batch=first)
    later = _receive(content, user, name="later.jsonl")
    assert later.pk != first.pk and later.duplicate_of == first


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_one_file_make_one_batch(seeded):
    """Eight uploads of one file at the same moment, each on its own connection: one
    batch and one stored file; the seven others are told it is that batch."""
    import threading
    import time

    from django.db import connection

    from scoring.services.ingest import BatchInWork

    content = jsonl(line("A"), line("B"))
    start = threading.Barrier(8)
    outcomes: list = []

    def upload(n: int) -> None:
        try:
            start.wait()
            outcomes.append(_receive(content, None, name=f"copy-{n}.jsonl"))
        except BatchInWork as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    began = time.time() - 1  # file times may be rounded down to the second
    threads = [threading.Thread(target=upload, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [batch] = UploadBatch.objects.all()
    made = [o for o in outcomes if isinstance(o, UploadBatch)]
    told = [o for o in outcomes if isinstance(o, BatchInWork)]
    assert [b.pk for b in made] == [batch.pk] and len(told) == 7
    assert {exc.batch.pk for exc in told} == {batch.pk}
    # The file is stored once: no other copy written since the uploads began.
    stored = [p for p in Path(batch.file.path).parent.glob("batch-*-copy-*.jsonl") if p.stat().st_mtime >= began]
    assert stored == [Path(batch.file.path)]


def test_the_command_names_the_batch_already_importing_the_same_file(seeded, tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "same.jsonl"
    path.write_bytes(jsonl(line("A")))
    call_command("import_transcripts", str(path))
    first = UploadBatch.objects.get()
    call_command("import_transcripts", str(path))
    out = capsys.readouterr().out
    assert f"note: same.jsonl: The same file is already being imported as batch {first.pk}" in out
    assert f"batch {first.pk}: same.jsonl: Received" in out
    assert UploadBatch.objects.count() == 1


def test_an_ingest_stopped_by_the_server_stalls_the_batch_saying_so(seeded, user, monkeypatch):
    """A checked file whose storing fails (the database went away) is not called bad:
    the batch says it stopped, and QA is told to upload it again."""
    from django.db import OperationalError

    from scoring.services import ingest

    batch = _receive(jsonl(line("A")), user)

    def down(self, transcripts):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(ingest._Store, "put", down)
    with pytest.raises(OperationalError):
        ingest.batch_process(batch_id=batch.pk, enqueue=False)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.STALLED
    assert batch.errors == [
        {"transcript": "", "error": "storing the file stopped on an error of the server; upload it again"}
    ]
    assert batch.row_errors == [] and not Transcript.objects.exists()
    assert ingest.batch_process(batch_id=batch.pk) is None  # not taken twice
