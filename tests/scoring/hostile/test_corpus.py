"""The corpus of bad files (issue 10) through both doors: the admin upload as QA (the
worker's ingest task run for real, eagerly, when the request's transaction commits) and
``import_transcripts`` followed by ``batch_status``. Each is refused with exactly its
problems, stores no transcript, message or file, and shows no traceback."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from scoring.choices import BatchStatus
from scoring.models import Message, Transcript, UploadBatch
from scoring.types import RowError
from tests.roles import QA, role_user
from tests.scoring.hostile.corpus import CASES, Bad
from tests.scoring.test_parsers import csv_bytes, row

IDS = [case.name for case in CASES]


def lines(case: Bad) -> list[str]:
    return [str(RowError(*error)) for error in case.errors]


def stored_files() -> list[Path]:
    folder = Path(django_settings.MEDIA_ROOT) / "uploads"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def assert_nothing_stored(before: list[Path]) -> None:
    assert not Transcript.objects.exists() and not Message.objects.exists()
    assert stored_files() == before
    for batch in UploadBatch.objects.all():
        assert not batch.file and not batch.chunks.exists()


@pytest.fixture
def qa(seeded) -> Client:
    client = Client()
    client.force_login(role_user(QA))
    return client


def test_the_corpus_has_forty_bad_files_or_more():
    assert len(CASES) >= 40
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_admin_upload_refuses_it(case, qa, settings, django_capture_on_commit_callbacks):
    """GIVEN a bad file WHEN QA uploads it in the admin and the worker checks it THEN the
    batch is rejected with exactly its problems, its page lists them and offers them as
    CSV, and nothing of the file is kept."""
    for name, value in case.settings.items():
        setattr(settings, name, value)
    before = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = qa.post(
            reverse("admin:scoring_uploadbatch_upload"), {"file": SimpleUploadedFile(case.filename, case.content())}
        )
    body_of = lambda r: r.content.decode()  # noqa: E731
    if case.form_error:  # the form itself refuses it
        assert response.status_code == 200
        assert escape(case.form_error) in body_of(response)
        assert not UploadBatch.objects.exists()
        assert_nothing_stored(before)
        return
    if "UPLOAD_MAX_BYTES" in case.settings:  # refused at the door, before a batch exists
        assert response.status_code == 200
        assert not UploadBatch.objects.exists()
        for line in lines(case):
            assert escape(line) in body_of(response)
        assert "Traceback" not in body_of(response)
        assert_nothing_stored(before)
        return
    assert response.status_code == 302, body_of(response)[:500]
    batch = UploadBatch.objects.get()
    assert batch.status == BatchStatus.REJECTED
    assert batch.row_error_lines == lines(case)
    page = qa.get(response["Location"])
    assert page.status_code == 200 and "Traceback" not in body_of(page)
    assert 'id="row-errors"' in body_of(page)
    download = qa.get(reverse("admin:scoring_uploadbatch_problems", args=[batch.pk]))
    assert download.status_code == 200
    got = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert got[0] == ["file", "where", "column", "problem"]
    assert [tuple(r[1:]) for r in got[1:]] == [
        (loc, col, ("'" + msg) if msg[:1] in "=+-@" else msg) for loc, col, msg in case.errors
    ]
    assert_nothing_stored(before)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_import_transcripts_refuses_it(case, seeded, settings, tmp_path, capsys, django_capture_on_commit_callbacks):
    """GIVEN the same file WHEN it is imported with the command and followed with
    batch_status THEN the problems are listed, with the file's name, and nothing is stored."""
    for name, value in case.settings.items():
        setattr(settings, name, value)
    before = stored_files()
    path = tmp_path / case.filename
    path.write_bytes(case.content())
    if "UPLOAD_MAX_BYTES" in case.settings:
        with pytest.raises(CommandError, match="nothing was stored"):
            call_command("import_transcripts", str(path))
        err = capsys.readouterr().err
        assert [f"{path}: {line}" for line in lines(case)] == err.splitlines()
        assert not UploadBatch.objects.exists()
        assert_nothing_stored(before)
        return
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_transcripts", str(path))
    batch = UploadBatch.objects.get()
    assert batch.status == BatchStatus.REJECTED
    capsys.readouterr()
    with pytest.raises(CommandError, match=f"Batch {batch.pk} was rejected"):
        call_command("batch_status", str(batch.pk), "--wait")
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"{case.filename}: {line}" for line in lines(case)]
    assert "Traceback" not in captured.out + captured.err
    assert_nothing_stored(before)


# --- the valid edge cases import -----------------------------------------------------------------

GOOD = {
    "bom.csv": lambda: b"\xef\xbb\xbf" + csv_bytes([row()]),
    "crlf.csv": lambda: csv_bytes([row(), row(sender="cso", text="PLN 123 selamat pagi")]),
    "lf.csv": lambda: csv_bytes([row()]).replace(b"\r\n", b"\n"),
    "quoted-newlines.csv": lambda: csv_bytes([row(text="baris satu\nbaris dua\r\nbaris tiga")]),
    "extra-columns.csv": lambda: csv_bytes(
        [row() | {"agent_note": "x", "=formula": "=1+1"}], [*row(), "agent_note", "=formula"]
    ),
    "emoji.jsonl": lambda: (
        '{"id": "E-1", "channel": "live_chat", "cso_name": "Rina", "messages": [{"sent_at": '
        '"2023-09-10T08:15:10Z", "sender": "cso", "text": "halo \\ud83d\\ude00 \u0645\u0631\u062d\u0628\u0627\\tok"}]}'
    ).encode(),
}


@pytest.mark.parametrize("name", list(GOOD))
def test_valid_edge_cases_import(name, seeded, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(GOOD[name]())
    call_command("import_transcripts", str(path), "--inline")
    assert "1 transcript(s)" in capsys.readouterr().out
    assert Transcript.objects.count() == 1 and Message.objects.exists()
    if name == "quoted-newlines.csv":
        assert Message.objects.get().text == "baris satu\nbaris dua\r\nbaris tiga"
    if name == "emoji.jsonl":
        assert Message.objects.get().text == "halo \U0001f600 \u0645\u0631\u062d\u0628\u0627\tok"
