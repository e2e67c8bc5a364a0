"""File-level limits of uploads (issue 10): each refused with a message that names the
limit and what to do, found before the work it would cost, with nothing stored."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scoring.choices import BatchStatus
from scoring.models import Message, Transcript, UploadBatch
from scoring.parsers import Limits, UploadReader
from scoring.services import ingest
from scoring.types import RowError, UploadInvalid
from tests.scoring.test_parsers import CHANNELS, ZONES, csv_bytes, row, transcript_obj, xlsx_bytes
from tests.scoring.uploads import jsonl, line


def errors_with(filename: str, content: bytes, **limits) -> list[RowError]:
    reader = UploadReader(
        filename,
        lambda: io.BytesIO(content),
        channels=CHANNELS,
        zone_aliases=ZONES,
        default_zone="Asia/Jakarta",
        limits=Limits(**limits),
    )
    with pytest.raises(UploadInvalid) as caught:
        reader.check()
    return caught.value.errors


def three_transcripts_csv() -> bytes:
    return csv_bytes([row(transcript_id=f"T-{n}", text=f"pesan {n}") for n in (1, 2, 3)])


# --- each limit, in the parsers ------------------------------------------------------------------


def test_rows_limit_stops_reading_at_the_row_over_it():
    assert errors_with("upload.csv", three_transcripts_csv(), rows=2) == [
        RowError(
            "row 4",
            "",
            "the file has more than 2 rows, the limit for one file (PLN123_UPLOAD_MAX_ROWS); "
            "split it into smaller files and upload each",
        )
    ]
    content = jsonl(*(json.dumps(transcript_obj(id=f"T-{n}")) for n in range(3)))  # two messages each
    [error] = errors_with("upload.jsonl", content, rows=5)
    assert error.location == "line 3" and "more than 5 messages" in error.message


def test_transcripts_limit():
    [error] = errors_with("upload.csv", three_transcripts_csv(), transcripts=2)
    assert error.location == "row 4"
    assert error.message.startswith("the file has more than 2 transcripts, the limit for one file")
    assert "PLN123_UPLOAD_MAX_TRANSCRIPTS" in error.message

    array = json.dumps([transcript_obj(id=f"T-{n}") for n in range(3)]).encode()
    [error] = errors_with("upload.json", array, transcripts=2)
    assert error.location == "object 3" and "more than 2 transcripts" in error.message


def test_messages_per_transcript_limit_names_the_row_once():
    content = csv_bytes([row(text=f"pesan {n}") for n in range(5)])
    assert errors_with("upload.csv", content, messages=3) == [
        RowError(
            "row 5",
            "transcript_id",
            "the transcript has more than 3 messages; the limit is 3 per transcript "
            "(PLN123_UPLOAD_MAX_MESSAGES): check that its rows are one conversation",
        )
    ]
    obj = transcript_obj(messages=[transcript_obj()["messages"][0]] * 4)
    assert errors_with("upload.jsonl", json.dumps(obj).encode(), messages=3) == [
        RowError(
            "line 1",
            "messages",
            "the transcript has 4 messages; the limit is 3 per transcript "
            "(PLN123_UPLOAD_MAX_MESSAGES): check that its rows are one conversation",
        )
    ]


def test_characters_per_message_limit():
    content = csv_bytes([row(text="x" * 11)])
    assert errors_with("upload.csv", content, message_chars=10) == [
        RowError(
            "row 2",
            "text",
            "text is 11 characters long; the limit is 10 (PLN123_UPLOAD_MAX_MESSAGE_CHARS): "
            "shorten it or split the message",
        )
    ]


def test_xlsx_unpacked_size_is_checked_before_it_is_read():
    content = xlsx_bytes([list(row().keys()), list(row().values())])
    [error] = errors_with("upload.xlsx", content, xlsx_uncompressed=1000)
    assert error.location == "upload.xlsx"
    assert "the workbook unpacks to" in error.message and "PLN123_UPLOAD_MAX_XLSX_MB" in error.message
    assert 'save the sheet as "CSV UTF-8"' in error.message


def _with_dimension(content: bytes, ref: str, extra_cell: str = "") -> bytes:
    """The workbook with its first sheet's declared dimension (and perhaps one far cell) rewritten."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index("<dimension ref=")
                end = text.index("/>", start) + 2
                text = text[:start] + f'<dimension ref="{ref}"/>' + text[end:]
                if extra_cell:
                    text = text.replace("</sheetData>", extra_cell + "</sheetData>")
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def test_xlsx_declared_rows_are_checked_before_it_is_read():
    content = _with_dimension(xlsx_bytes([list(row().keys()), list(row().values())]), "A1:XFD1048576")
    assert errors_with("upload.xlsx", content, rows=1000) == [
        RowError(
            "upload.xlsx",
            "",
            "the sheet declares 1,048,576 rows, more than the limit of 1,000 (PLN123_UPLOAD_MAX_ROWS); "
            "split it into smaller files and upload each",
        )
    ]


def test_xlsx_far_cell_is_not_padded_out():
    """A cell at XFD1048576 (issue 10: 5 KB that took 5.3 GB): read-only mode, and only
    the first columns of each row, so the sheet reads as its one real row."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    content = _with_dimension(xlsx_bytes([list(row().keys()), list(row().values())]), "A1:XFD1048576", far)
    reader = UploadReader(
        "upload.xlsx",
        lambda: io.BytesIO(content),
        channels=CHANNELS,
        zone_aliases=ZONES,
        default_zone="Asia/Jakarta",
    )
    summary = reader.check()
    assert (summary.rows, summary.transcripts) == (1, 1)
    [transcript] = reader.transcripts()
    assert transcript.external_id == "LC-1"


def test_an_xlsx_that_openpyxl_would_not_read_in_read_only_mode_is_refused_cleanly():
    workbook = openpyxl.Workbook()
    out = io.BytesIO()
    workbook.save(out)
    broken = out.getvalue()[:-200]  # the zip's directory cut off
    [error] = errors_with("upload.xlsx", broken)
    assert "cannot be opened as an Excel workbook" in error.message


# --- the settings, through the services and the commands ------------------------------------------


def test_settings_set_the_limits_of_the_services(seeded, user, settings):
    settings.UPLOAD_MAX_MESSAGES = 1
    with pytest.raises(UploadInvalid) as caught:
        ingest.batch_ingest(filename="two.jsonl", content=jsonl(line("A")), user=user)
    assert [e.column for e in caught.value.errors] == ["messages"]
    assert "the limit is 1 per transcript" in caught.value.errors[0].message
    assert not UploadBatch.objects.exists() and not Transcript.objects.exists()


def test_upload_size_limit_in_the_command_before_anything_is_stored(seeded, tmp_path, settings, capsys):
    settings.UPLOAD_MAX_BYTES = 100
    path = tmp_path / "big.jsonl"
    path.write_bytes(jsonl(line("A"), line("B")))
    for args in ([], ["--inline"]):
        with pytest.raises(CommandError, match="nothing was stored"):
            call_command("import_transcripts", str(path), *args)
        err = capsys.readouterr().err
        size = path.stat().st_size
        assert f"{path}: big.jsonl: the file is {size} bytes, more than the limit of 100 bytes" in err
        assert "split it into smaller files" in err
    assert not UploadBatch.objects.exists()


def test_inline_import_of_a_file_over_a_limit_exits_non_zero_listing_it(seeded, tmp_path, settings, capsys):
    settings.UPLOAD_MAX_MESSAGE_CHARS = 10
    path = tmp_path / "long.jsonl"
    path.write_bytes(jsonl(line("A")))
    with pytest.raises(CommandError, match="1 problem\\(s\\) found; nothing was stored"):
        call_command("import_transcripts", str(path), "--inline")
    err = capsys.readouterr().err
    assert f"{path}: line 1, column message 2 text: text is 46 characters long; the limit is 10" in err
    assert not UploadBatch.objects.exists() and not Message.objects.exists()


def test_a_rejected_batch_is_reported_by_batch_status(
    seeded, tmp_path, settings, capsys, django_capture_on_commit_callbacks
):
    """GIVEN a file with a bad row imported without --inline (the command returns once
    the file is stored) WHEN the worker has checked it THEN batch_status lists the
    problem, and with --wait exits non-zero; nothing was stored."""
    path = tmp_path / "bad.jsonl"
    path.write_bytes(jsonl(line("A"), line("B", channel="fax")))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_transcripts", str(path))
    out = capsys.readouterr().out
    batch = UploadBatch.objects.get()
    assert f"batch {batch.pk}: bad.jsonl: stored and queued" in out
    assert f"batch_status {batch.pk} --wait" in out
    assert batch.status == BatchStatus.REJECTED

    call_command("batch_status", str(batch.pk))
    captured = capsys.readouterr()
    assert "Rejected" in captured.out and "1 problem(s) in the file" in captured.out
    assert "bad.jsonl: line 2, column channel: channel 'fax' is not one of" in captured.err
    with pytest.raises(CommandError, match=f"Batch {batch.pk} was rejected: 1 problem"):
        call_command("batch_status", str(batch.pk), "--wait")
    assert "channel 'fax'" in capsys.readouterr().err
    assert not Transcript.objects.exists() and not batch.chunks.exists()
