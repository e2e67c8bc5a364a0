"""The problems of a rejected upload, for the upload page: the first
:data:`ERRORS_ON_PAGE` are listed there, the full list is a CSV to download.

Nothing of a rejected file is stored, so the list is kept apart: one CSV per rejection
under ``MEDIA_ROOT/upload-errors/``, named by the uploader's id and a random token,
readable only by that uploader, removed after :data:`KEPT_FOR`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from common.spreadsheet import neutralise
from scoring.types import RowError

ERRORS_ON_PAGE = 100
KEPT_FOR = dt.timedelta(days=1)
COLUMNS = ["file", "where", "column", "problem"]
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "upload-errors"


def _sweep(folder: Path) -> None:
    limit = time.time() - KEPT_FOR.total_seconds()
    for old in folder.glob("*.csv"):
        try:
            if old.stat().st_mtime < limit:
                old.unlink()
        except FileNotFoundError:
            pass  # another process swept it first


def error_report_csv(*, filename: str, errors: Iterable[RowError]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for error in errors:
        writer.writerow([neutralise(v) for v in (filename, error.location, error.column, error.message)])
    return buffer.getvalue().encode("utf-8-sig")  # with a BOM, so Excel reads it as UTF-8


def error_report_save(*, user, filename: str, errors: list[RowError]) -> str:
    """Keep the full list of a rejected upload's problems; returns its token."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{user.pk}-{token}.csv").write_bytes(error_report_csv(filename=filename, errors=errors))
    return token


def error_report_path(*, user, token: str) -> Path | None:
    """The kept list of ``token`` if it is ``user``'s and still kept, else None."""
    if not _TOKEN.fullmatch(token):
        return None
    path = _folder() / f"{user.pk}-{token}.csv"
    return path if path.is_file() else None
