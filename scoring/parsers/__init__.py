"""Reading uploaded transcript files (docs/formats.md, "Uploading transcripts"), streaming.

:class:`UploadReader` reads a ``.jsonl``, ``.json``, ``.csv`` or ``.xlsx`` file in two
passes, neither of which holds the file in memory:

1. :meth:`UploadReader.check` reads every row, checks it, and keeps only a compact index
   of the transcript ids (where each starts, its channel and CSO, how many messages). A
   file with any problem is refused as a whole with :class:`~scoring.types.UploadInvalid`
   listing the problems, each located by line, object or spreadsheet row. The limits of
   :class:`~scoring.parsers.fields.Limits` are checked as the rows go by, so a file over
   one stops being read there.
2. :meth:`UploadReader.transcripts` reads the file again and yields each transcript,
   complete and with its messages in local-time order, in order of first appearance.
   When the rows of a transcript are contiguous (every file this project's tools write)
   one transcript is held at a time; otherwise the rows are staged in a temporary SQLite
   file on disk and grouped there.

:func:`parse_upload` is both passes over bytes in memory, for tests and small files. No
exception other than ``UploadInvalid`` leaves this package, whatever the bytes hold.
Plain functions, no ORM: the services decide what to store.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO, Any

from django.utils.translation import gettext as _

from rules.transcript import MessageIn, TranscriptIn
from scoring.parsers import sources
from scoring.parsers.fields import Context, Draft, FieldReader, Limits, as_text, kind, show
from scoring.types import RowError, UploadInvalid

__all__ = ["ACCEPTED_EXTENSIONS", "TABLE_COLUMNS", "Limits", "Summary", "UploadReader", "parse_upload"]

ACCEPTED_EXTENSIONS = (".csv", ".json", ".jsonl", ".xlsx")
TABLE_COLUMNS = sources.TABLE_COLUMNS
PROGRESS_EVERY = 10_000  # rows between two progress reports
_STAGE_BATCH = 5_000  # rows per insert into the staging file
# The columns that must agree on every row of one transcript where they are given (issue 10).
_AGREE = ("channel", "cso_id", "cso_name")


@dataclass(frozen=True)
class Summary:
    """What the check found in a good file."""

    rows: int  # message rows (CSV, XLSX) or messages (JSON) read
    transcripts: int
    contiguous: bool  # every transcript's rows follow one another


def parse_upload(
    filename: str,
    content: bytes,
    *,
    channels: dict[str, bool],
    zone_aliases: dict[str, str],
    default_zone: str,
    limits: Limits | None = None,
) -> list[TranscriptIn]:
    """Parse and validate a whole file held in memory.

    ``channels`` maps each channel code to whether ``public`` visibility is allowed on
    it; ``zone_aliases`` maps upper-case aliases (``WIB``) to IANA names; ``default_zone``
    is the site zone (rule S1: a transcript without a zone is in it). Returns the
    transcripts in order of first appearance, each with its messages in local-time
    order (rule S1, ties in file order). Raises :class:`UploadInvalid` listing every
    problem when anything in the file is wrong.
    """
    reader = UploadReader(
        filename,
        lambda: io.BytesIO(content),
        channels=channels,
        zone_aliases=zone_aliases,
        default_zone=default_zone,
        limits=limits,
    )
    reader.check()
    return list(reader.transcripts())


class UploadReader:
    """One uploaded file, read in two streaming passes (see the module docstring).

    ``open_binary`` opens the file afresh for each pass (a path's ``open(..., "rb")``,
    a stored file's ``open``)."""

    def __init__(
        self,
        filename: str,
        open_binary: Callable[[], IO[bytes]],
        *,
        channels: dict[str, bool],
        zone_aliases: dict[str, str],
        default_zone: str,
        limits: Limits | None = None,
    ):
        self.name = PurePath(filename).name or filename
        self.suffix = PurePath(filename).suffix.lower()
        self._open = open_binary
        self._vocabulary = {"channels": channels, "zone_aliases": zone_aliases, "default_zone": default_zone}
        self.limits = limits or Limits()
        self.summary: Summary | None = None
        self._first_rows: dict[str, int] | None = None  # for grouping rows that are not contiguous

    @classmethod
    def for_path(cls, path: Path, **options: Any) -> UploadReader:
        return cls(path.name, lambda: open(path, "rb"), **options)

    def _context(self) -> Context:
        return Context(filename=self.name, limits=self.limits, **self._vocabulary)

    def _refuse_unknown_kind(self) -> None:
        if self.suffix not in ACCEPTED_EXTENSIONS:
            accepted = ", ".join(ACCEPTED_EXTENSIONS[:-1]) + " or " + ACCEPTED_EXTENSIONS[-1]
            raise UploadInvalid([RowError(self.name, "", f"'{self.name}' is not a {accepted} file")])

    # ------------------------------------------------------------------ pass 1

    def check(self, progress: Callable[[int], None] | None = None) -> Summary:
        """Read and check the whole file; raise UploadInvalid listing every problem.
        ``progress(rows)`` is called every few thousand rows."""
        self._refuse_unknown_kind()
        ctx = self._context()
        with self._open() as fh:
            if self.suffix in (".jsonl", ".json"):
                rows, transcripts = _check_json(ctx, fh, self.suffix == ".json", progress)
                contiguous = True
            else:
                rows, first_rows, contiguous = _check_table(ctx, fh, self.suffix, progress)
                transcripts = len(first_rows)
                # Kept only when the second pass must group rows itself.
                self._first_rows = None if contiguous else first_rows
        if not ctx.failed and not transcripts:
            ctx.error(self.name, "", "the file holds no transcripts")
        if ctx.failed:
            raise UploadInvalid(ctx.errors, unlisted=ctx.unlisted)
        self.summary = Summary(rows=rows, transcripts=transcripts, contiguous=contiguous)
        return self.summary

    # ------------------------------------------------------------------ pass 2

    def transcripts(self) -> Iterator[TranscriptIn]:
        """The transcripts of a checked file, one at a time, in order of first appearance."""
        if self.summary is None:
            raise RuntimeError("check() the file before reading its transcripts")
        ctx = self._context()
        with self._open() as fh:
            if self.suffix in (".jsonl", ".json"):
                for draft in _json_drafts(ctx, fh, self.suffix == ".json"):
                    yield draft.build(ctx)
            elif self.summary.contiguous:
                for draft in _table_drafts(ctx, fh, self.suffix):
                    yield draft.build(ctx)
            else:
                yield from _grouped_on_disk(ctx, fh, self.suffix, self._first_rows or {})
        if ctx.failed:  # the file changed between the passes
            raise UploadInvalid(ctx.errors, unlisted=ctx.unlisted)


# --------------------------------------------------------------------------- JSON


def _read_json_object(
    ctx: Context, obj: object, location: str, number: int, seen: dict[str, int] | None, place: str
) -> tuple[Draft | None, int]:
    """Check one transcript object; the draft (None when it has a problem) and its message count."""
    if not isinstance(obj, dict):
        ctx.error(location, "", f"expected a transcript object, found {kind(obj)}")
        return None, 0
    fields = FieldReader(ctx, location, lambda name: name)
    repeated = sources.repeated_key(obj)
    if repeated is not None:
        column, key = repeated
        fields.fail(
            column,
            _("the key %(key)s appears twice in one object; keep one of them") % {"key": show(key)},
        )
    id_key = "id" if "id" in obj or "transcript_id" not in obj else "transcript_id"
    external_id = fields.text(id_key, obj.get(id_key), required=True)
    if external_id and seen is not None:
        if external_id in seen:
            fields.fail(id_key, f"id {show(external_id)} appears twice, on {place} {seen[external_id]} and {location}")
        else:
            seen[external_id] = number
    transcript = fields.transcript_fields(obj.get)

    messages_in: list[MessageIn] = []
    raw_messages = obj.get("messages")
    # A JSON array's lists keep only their first items, counting the rest.
    count = len(raw_messages) + getattr(raw_messages, "dropped", 0) if isinstance(raw_messages, list) else 0
    limit = ctx.limits.messages
    if raw_messages is None:
        fields.fail("messages", "messages is missing")
    elif not isinstance(raw_messages, list):
        fields.fail("messages", f"messages must be a list, not {kind(raw_messages)}")
    elif not raw_messages:
        fields.fail("messages", "messages is empty (a transcript needs at least one message)")
    elif count > limit:
        fields.fail("messages", _too_many_messages(count, limit))
    else:
        for index, raw in enumerate(raw_messages, start=1):
            column = f"message {index}"
            if not isinstance(raw, dict):
                fields.fail("messages", f"{column} must be an object, not {kind(raw)}")
                continue
            reader = FieldReader(ctx, location, lambda name, column=column: f"{column} {name}")
            message = reader.message(raw.get("sent_at"), raw.get("sender"), raw.get("text"))
            fields.ok = fields.ok and reader.ok
            if message is not None:
                messages_in.append(message)
    if not fields.ok:
        return None, count
    return Draft(external_id, number, transcript, messages_in), count


def _too_many_messages(count: int | str, limit: int) -> str:
    count = f"{count:,}" if isinstance(count, int) else count
    return (
        f"the transcript has {count} messages; the limit is {limit:,} per transcript "
        "(PLN123_UPLOAD_MAX_MESSAGES): check that its rows are one conversation"
    )


def _check_json(ctx: Context, fh: IO[bytes], array: bool, progress: Callable[[int], None] | None) -> tuple[int, int]:
    seen: dict[str, int] = {}
    place = "object" if array else "line"
    rows = 0
    next_report = PROGRESS_EVERY
    for location, number, obj in sources.json_objects(ctx, fh, array):
        _draft, count = _read_json_object(ctx, obj, location, number, seen, place)
        rows += max(count, 1)
        if rows > ctx.limits.rows:
            ctx.fatal(location, _too_many_rows(ctx.limits.rows, "messages"))
        elif len(seen) > ctx.limits.transcripts:
            ctx.fatal(location, _too_many_transcripts(ctx.limits.transcripts))
        if progress and rows >= next_report:
            progress(rows)
            next_report = rows + PROGRESS_EVERY
        if ctx.stop:
            break
    return rows, len(seen)


def _json_drafts(ctx: Context, fh: IO[bytes], array: bool) -> Iterator[Draft]:
    place = "object" if array else "line"
    for location, number, obj in sources.json_objects(ctx, fh, array):
        draft, _count = _read_json_object(ctx, obj, location, number, None, place)
        if draft is not None:
            yield draft


def _too_many_rows(limit: int, what: str) -> str:
    return (
        f"the file has more than {limit:,} {what}, the limit for one file (PLN123_UPLOAD_MAX_ROWS); "
        "split it into smaller files and upload each"
    )


def _too_many_transcripts(limit: int) -> str:
    return (
        f"the file has more than {limit:,} transcripts, the limit for one file (PLN123_UPLOAD_MAX_TRANSCRIPTS); "
        "split it into smaller files and upload each"
    )


# --------------------------------------------------------------------------- tables


def _check_table(
    ctx: Context, fh: IO[bytes], suffix: str, progress: Callable[[int], None] | None
) -> tuple[int, dict[str, int], bool]:
    """Check every row; return the rows read, the first row of each transcript id, and
    whether each transcript's rows are contiguous."""
    first_rows: dict[str, int] = {}
    # Per transcript id: its first row's (channel, cso_id, cso_name), shared between
    # transcripts of the same CSO, and its message count.
    agreed: dict[str, tuple[str, str, str]] = {}
    counts: dict[str, int] = {}
    shared: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    contiguous = True
    previous = None
    rows = 0
    next_report = PROGRESS_EVERY
    limits = ctx.limits
    for number, get in sources.table_rows(ctx, fh, suffix):
        rows += 1
        if rows > limits.rows:
            ctx.fatal(f"row {number}", _too_many_rows(limits.rows, "rows"))
            break
        fields = FieldReader(ctx, f"row {number}", lambda name: name)
        external_id = fields.text("transcript_id", get("transcript_id"), required=True)
        if external_id and external_id not in first_rows:
            values = fields.transcript_fields(get)
            key = (values["channel"], values["cso_id"], values["cso_name"])
            agreed[external_id] = shared.setdefault(key, key)
            first_rows[external_id] = number
            counts[external_id] = 0
            if len(first_rows) > limits.transcripts:
                ctx.fatal(f"row {number}", _too_many_transcripts(limits.transcripts))
                break
        elif external_id:
            if external_id != previous:
                contiguous = False
            _check_agreement(fields, external_id, get, agreed[external_id], first_rows[external_id])
        fields.message(get("sent_at"), get("sender"), get("text"))
        if external_id:
            counts[external_id] += 1
            if counts[external_id] == limits.messages + 1:
                fields.fail("transcript_id", _too_many_messages(f"more than {limits.messages:,}", limits.messages))
        previous = external_id
        if progress and rows >= next_report:
            progress(rows)
            next_report = rows + PROGRESS_EVERY
    return rows, first_rows, contiguous


def _check_agreement(
    fields: FieldReader, external_id: str, get: Callable[[str], object], first: tuple[str, str, str], first_row: int
) -> None:
    """A later row of a transcript may leave its own columns blank, but not contradict the first."""
    for name, expected in zip(_AGREE, first, strict=True):
        value = as_text(get(name))
        if value is None or not value or not expected:
            continue
        if name == "channel":
            value = value.lower()
        if value != expected:
            fields.fail(
                name,
                f"transcript {show(external_id)} has {name} {show(value)} here but {show(expected)} on row "
                f"{first_row}, its first row; every row of a transcript must have the same {name}",
            )


def _table_drafts(ctx: Context, fh: IO[bytes], suffix: str) -> Iterator[Draft]:
    """Transcripts of a table whose transcripts' rows are contiguous, one at a time."""
    current: Draft | None = None
    for number, get in sources.table_rows(ctx, fh, suffix):
        fields = FieldReader(ctx, f"row {number}", lambda name: name)
        external_id = fields.text("transcript_id", get("transcript_id"), required=True)
        if current is None or external_id != current.external_id:
            if current is not None:
                yield current
            current = Draft(external_id, number, fields.transcript_fields(get))
        message = fields.message(get("sent_at"), get("sender"), get("text"))
        if message is not None:
            current.messages.append(message)
    if current is not None:
        yield current


def _grouped_on_disk(ctx: Context, fh: IO[bytes], suffix: str, first_rows: dict[str, int]) -> Iterator[TranscriptIn]:
    """Transcripts of a table whose rows interleave: the rows go to a temporary SQLite
    file, which hands them back grouped by transcript in order of first appearance."""
    with tempfile.TemporaryDirectory(prefix="pln123-upload-") as folder:
        db = sqlite3.connect(str(Path(folder) / "rows.sqlite3"))
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute("CREATE TABLE t (first INTEGER PRIMARY KEY, fields TEXT)")
            db.execute("CREATE TABLE m (first INTEGER, seq INTEGER, sent TEXT, raw TEXT, sender TEXT, body TEXT)")
            transcripts, messages = [], []

            def flush() -> None:
                db.executemany("INSERT INTO t VALUES (?, ?)", transcripts)
                db.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?)", messages)
                transcripts.clear()
                messages.clear()

            for seq, (number, get) in enumerate(sources.table_rows(ctx, fh, suffix)):
                fields = FieldReader(ctx, f"row {number}", lambda name: name)
                external_id = fields.text("transcript_id", get("transcript_id"), required=True)
                first = first_rows.get(external_id)
                if first is None:
                    ctx.error(f"row {number}", "transcript_id", "the file changed while it was read")
                    continue
                if first == number:
                    transcripts.append((first, json.dumps([external_id, fields.transcript_fields(get)])))
                message = fields.message(get("sent_at"), get("sender"), get("text"))
                if message is not None:
                    messages.append(
                        (first, seq, message.sent_at.isoformat(), message.raw_sent_at, message.sender, message.text)
                    )
                if len(messages) >= _STAGE_BATCH:
                    flush()
            flush()
            db.execute("CREATE INDEX m_order ON m (first, seq)")
            rows = db.execute(
                "SELECT m.first, t.fields, m.sent, m.raw, m.sender, m.body FROM m JOIN t USING (first) "
                "ORDER BY m.first, m.seq"
            )
            for first, group in itertools.groupby(rows, key=lambda r: r[0]):
                draft: Draft | None = None
                for _first, packed, sent, raw, sender, body in group:
                    if draft is None:
                        external_id, values = json.loads(packed)
                        draft = Draft(external_id, first, values)
                    draft.messages.append(MessageIn(dt.datetime.fromisoformat(sent), sender, body, raw))
                if draft is not None:
                    yield draft.build(ctx)
        finally:
            db.close()
