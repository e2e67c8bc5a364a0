"""The records of an upload, read from a binary file one at a time: the transcript
objects of JSON Lines and JSON arrays (ijson, an incremental parser), and the rows of a
CSV or of the first sheet of a workbook (openpyxl in read-only mode). Problems with the
file itself (bytes that are not UTF-8, broken JSON, a damaged or oversized workbook) are
recorded on the context; those that make the rest unreadable end the reading.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

import ijson
from django.utils.translation import gettext as _

from scoring.parsers.fields import Context, as_text, kind

# Columns of the one-row-per-message formats, in the order docs/formats.md lists them.
TABLE_COLUMNS = (
    "transcript_id",
    "channel",
    "platform",
    "visibility",
    "category",
    "timezone",
    "cso_id",
    "cso_name",
    "first_contact",
    "sent_at",
    "sender",
    "text",
)
TABLE_REQUIRED = ("transcript_id", "channel", "cso_name", "sent_at", "sender", "text")
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_READ = 1 << 16  # bytes per read of a JSON array
# openpyxl's read-only mode keeps a workbook's table of shared texts in memory.
SHARED_STRINGS_LIMIT = 64 * 1024 * 1024


# --------------------------------------------------------------------------- text lines


def _lines(fh: IO[bytes], longest: int | None) -> Iterator[bytes]:
    """The file's lines; with ``longest``, a line longer than that is cut into pieces of
    that many bytes, so one line without an end is never read whole."""
    if longest is None:
        yield from fh
        return
    while line := fh.readline(longest):
        if len(line) == longest and not line.endswith(b"\n"):
            line += _rest_of_character(line, fh)
        yield line


def _rest_of_character(piece: bytes, fh: IO[bytes]) -> bytes:
    """The bytes that complete a UTF-8 character cut at the end of ``piece``."""
    for back in range(1, min(4, len(piece)) + 1):
        byte = piece[-back]
        if byte & 0xC0 == 0x80:  # a continuation byte: the lead is further back
            continue
        need = 2 if 0xC0 <= byte < 0xE0 else 3 if 0xE0 <= byte < 0xF0 else 4 if byte >= 0xF0 else 1
        return fh.read(need - back) if need > back else b""
    return b""


def text_lines(ctx: Context, fh: IO[bytes], hint: str, longest: int | None = None) -> Iterator[str]:
    """The file's lines decoded as UTF-8 (a leading byte-order mark dropped), each with
    its line ending; stops at the first byte that is not UTF-8, saying where. A line
    longer than ``longest`` bytes comes in pieces (the CSV reader then finds its cell
    too long)."""
    for number, raw in enumerate(_lines(fh, longest), start=1):
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        elif number == 1 and raw.startswith(UTF16_BOMS):
            ctx.fatal(ctx.filename, _utf16(hint))
            return
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = raw[exc.start : exc.start + 1].hex()
            ctx.fatal(ctx.filename, f"the file is not UTF-8 text (byte 0x{byte} on line {number}); {hint}")
            return


def _utf16(hint: str) -> str:
    return _('the file is saved as UTF-16 ("Unicode text"), not UTF-8; %(hint)s') % {"hint": hint}


# --------------------------------------------------------------------------- JSON


class JsonObject(dict):
    """A JSON object that remembers the first key it was given twice: ``json`` and
    ``ijson`` would silently keep the last value (issue 10)."""

    repeated: str | None = None

    def __setitem__(self, key: str, value: object) -> None:
        if self.repeated is None and key in self:
            self.repeated = key
        super().__setitem__(key, value)


def _object_pairs(pairs: list[tuple[str, object]]) -> JsonObject:
    obj = JsonObject()
    for key, value in pairs:
        obj[key] = value
    return obj


def repeated_key(obj: dict) -> tuple[str, str] | None:
    """``(column, key)`` of the first key given twice in a transcript object or one of
    its messages."""
    if getattr(obj, "repeated", None) is not None:
        return obj.repeated, obj.repeated
    messages = obj.get("messages")
    if isinstance(messages, list):
        for index, message in enumerate(messages, start=1):
            if getattr(message, "repeated", None) is not None:
                return f"message {index} {message.repeated}", message.repeated
    return None


def json_objects(ctx: Context, fh: IO[bytes], array: bool) -> Iterator[tuple[str, int, object]]:
    """``(location, number, value)`` for each transcript object of the file."""
    if not array:
        for number, line in enumerate(text_lines(ctx, fh, "save it as UTF-8"), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line, object_pairs_hook=_object_pairs)
            except (ValueError, RecursionError) as exc:
                ctx.error(f"line {number}", "", f"invalid JSON: {_json_problem(exc)}")
                continue
            yield f"line {number}", number, obj
        return
    yield from _json_array(ctx, fh)


def _json_array(ctx: Context, fh: IO[bytes]) -> Iterator[tuple[str, int, object]]:
    head = fh.read(len(BOM))
    if head.startswith(UTF16_BOMS):
        ctx.fatal(ctx.filename, _utf16(_("save it as UTF-8")))
        return
    if head != BOM:
        fh.seek(0)
    start = _first_byte(fh)
    if start is None:
        return  # reported as "no transcripts"
    if start != b"[":
        ctx.fatal(ctx.filename, f"a .json file must hold an array of transcript objects, not {_kind_of(start)}")
        return
    number = 0
    try:
        objects = _array_items(_Utf8Checked(fh), ctx.limits.messages)
        for number, obj in enumerate(objects, start=1):
            yield f"object {number}", number, obj
    except _LoneSurrogate as exc:
        ctx.errors.clear()
        ctx.unlisted = 0
        ctx.fatal(
            f"line {exc.line}",
            _(
                "a text has a broken character (a \\uD800-\\uDFFF escape without its other half, half of an "
                "emoji); save the file again from the program that made it, or retype that character"
            ),
        )
    except _NotUtf8 as exc:
        ctx.fatal(ctx.filename, f"the file is not UTF-8 text (byte 0x{exc.byte} on line {exc.line}); save it as UTF-8")
    except (ijson.JSONError, ValueError, RecursionError) as exc:
        line = _locate_json_error(fh)
        # A file that is not JSON is reported alone: the objects read before the break
        # may be cut-off halves, and their problems would only mislead.
        ctx.errors.clear()
        ctx.unlisted = 0
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else "unexpected end of the file"
        problem = problem.removeprefix("parse error: ").removeprefix("lexical error: ")
        where = f"line {line}" if line else f"after object {number}"
        ctx.fatal(where, f"invalid JSON: {problem}")


class CappedList(list):
    """A JSON list of which only the first items are kept; ``dropped`` counts the rest."""

    dropped = 0


_MAX_KEYS = 10_000  # keys kept per object: a transcript has a dozen, the rest are ignored anyway


def _add(frame: list, value: object, cap: int) -> None:
    container = frame[0]
    if isinstance(container, list):
        if len(container) < cap:
            container.append(value)
        else:
            container.dropped += 1
    elif len(container) < _MAX_KEYS or frame[1] in container:
        container[frame[1]] = value


def _array_items(source: Any, cap: int) -> Iterator[object]:
    """The items of the top-level array, each built from the parser's events with every
    list capped at ``cap`` items (counted beyond): ``ijson.items`` would build a
    transcript of a million messages whole before its count could be checked (a 90 MB
    file took 700 MB)."""
    stack: list[list] = []  # [container, pending key]; the first is the top array itself
    for event, value in ijson.basic_parse(source, use_float=True):
        if event == "map_key":
            stack[-1][1] = value
        elif event in ("start_map", "start_array"):
            if not stack:
                stack.append([None, None])
                continue
            new: Any = JsonObject() if event == "start_map" else CappedList()
            if len(stack) > 1:
                _add(stack[-1], new, cap)
            stack.append([new, None])
        elif event in ("end_map", "end_array"):
            done = stack.pop()[0]
            if len(stack) == 1:
                yield done
            elif not stack:
                return
        elif len(stack) == 1:
            yield value
        else:
            _add(stack[-1], value, cap)


def _first_byte(fh: IO[bytes]) -> bytes | None:
    """The first byte that is not white space, leaving the file positioned on it."""
    while True:
        position = fh.tell()
        block = fh.read(4096)
        if not block:
            return None
        stripped = block.lstrip()
        if stripped:
            fh.seek(position + len(block) - len(stripped))
            return stripped[:1]


def _kind_of(first: bytes) -> str:
    return {b"{": _("an object"), b'"': _("text"), b"t": _("true/false"), b"f": _("true/false"), b"n": _("null")}.get(
        first, _("a number")
    )


def _locate_json_error(fh: IO[bytes]) -> int | None:
    """The line where the array stops being JSON: the file fed again to the parser a
    line at a time. Only a refused file pays for this pass."""
    fh.seek(0)
    events = ijson.sendable_list()
    parser = ijson.parse_coro(events)
    number = 0
    for number, line in enumerate(fh, start=1):
        if number == 1 and line.startswith(BOM):
            line = line[len(BOM) :]
        try:
            parser.send(line)
        except (ijson.JSONError, ValueError, RecursionError):
            return number
        events.clear()
    try:
        parser.close()
    except (ijson.JSONError, ValueError, RecursionError):
        return number or None
    return None


# A \\uD800-\\uDFFF escape without its other half: the C parser would quietly turn it
# into "?", so it is found in the bytes (an escaped backslash before it is not one).
_LONE_SURROGATE = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


class _LoneSurrogate(Exception):
    def __init__(self, line: int):
        self.line = line


class _NotUtf8(Exception):
    def __init__(self, byte: str, line: int):
        self.byte, self.line = byte, line


class _Utf8Checked:
    """A file whose bytes are checked as UTF-8 while the JSON parser reads them, so a
    wrong byte is reported with its line, as in the other formats."""

    def __init__(self, fh: IO[bytes]):
        import codecs

        self.fh = fh
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.lines = 1

    def read(self, size: int = _READ) -> bytes:
        block = self.fh.read(size)
        # A block never ends inside an escape or between the two halves of a pair.
        while block and b"\\u" in block[-12:]:
            more = self.fh.read(12)
            if not more:
                break
            block += more
        if b"\\u" in block:
            found = _LONE_SURROGATE.search(block)
            if found:
                raise _LoneSurrogate(self.lines + block[: found.start()].count(b"\n"))
        try:
            self.decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            raise _NotUtf8(
                block[exc.start : exc.start + 1].hex(), self.lines + block[: exc.start].count(b"\n")
            ) from None
        self.lines += block.count(b"\n")
        return block


def _json_problem(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if "integer string conversion" in str(exc):
        return _("a number has more than %(digits)s digits") % {"digits": "4,300"}
    return str(exc)


# --------------------------------------------------------------------------- tables


def table_rows(ctx: Context, fh: IO[bytes], suffix: str) -> Iterator[tuple[int, Callable[[str], object]]]:
    """``(row number, get)`` for each non-blank message row after the header; ``get(name)``
    gives the cell of a column by its name. The header's problems are reported on it."""
    rows = _csv_records(ctx, fh) if suffix == ".csv" else _xlsx_records(ctx, fh)
    header_row = next(rows, None)
    if header_row is None:
        return  # reported as "no transcripts"
    header_number, header_cells = header_row
    index: dict[str, int] = {}
    for position, cell in enumerate(header_cells):
        name = (as_text(cell) or "").lower()
        if name and name not in index:
            index[name] = position
    if "transcript_id" not in index and "id" in index:
        index["transcript_id"] = index["id"]
    if not index:
        for _number, cells in rows:
            if not is_blank(cells):
                break
        else:
            return  # an empty sheet: reported as "no transcripts"
    missing = [name for name in TABLE_REQUIRED if name not in index]
    for name in missing:
        ctx.error(f"row {header_number}", name, f"missing column {name}")
    if missing:
        return
    for number, cells in rows:
        if ctx.stop:
            return
        if is_blank(cells):
            continue  # blank rows are how people space out a sheet

        def get(name: str, cells: Any = cells) -> object:
            position = index.get(name)
            return cells[position] if position is not None and position < len(cells) else None

        yield number, get


def is_blank(cells: Any) -> bool:
    for cell in cells:
        if cell is None:
            continue
        if cell.__class__ is str:  # the usual cell, checked without the general conversion
            if cell and not cell.isspace():
                return False
        elif as_text(cell) != "":
            return False
    return True


def _csv_records(ctx: Context, fh: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    # A message up to the length limit must fit in a field; the csv module's own
    # limit (131,072) is raised, never lowered, for a site that allows longer ones.
    wanted = 2 * ctx.limits.message_chars + 1024
    if wanted > csv.field_size_limit():
        csv.field_size_limit(wanted)
    # Lines are read in pieces of at most a few cells' worth, so a quote never closed
    # is found by the csv module's field limit without the rest of the file in memory.
    longest = 4 * csv.field_size_limit()
    reader = csv.reader(text_lines(ctx, fh, 'save it as "CSV UTF-8"', longest))
    # Row numbers count records, as a spreadsheet does, so a quoted text with line
    # breaks stays one row.
    number = 1
    try:
        for record in reader:
            yield number, record
            number += 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            text = _(
                "a cell is longer than %(limit)s characters, most often an unclosed quote: check that every "
                'quote (") opened on this row is closed'
            ) % {"limit": f"{csv.field_size_limit():,}"}
        else:
            text = _('check the quotes (") on this row, or save the sheet again as "CSV UTF-8"')
        ctx.fatal(f"row {number}", _("the CSV cannot be read from here: %(problem)s") % {"problem": text})


def archive_file(fh: IO[bytes]) -> zipfile.ZipFile:
    fh.seek(0)
    return zipfile.ZipFile(fh)


def _longest_text_run(archive: zipfile.ZipFile, name: str) -> int | None:
    """The longest stretch of a member's XML between two tags, read streaming (None if
    it cannot be unpacked): openpyxl keeps such a stretch whole in memory, and a sheet of
    300 MB of blanks took 380 MB."""
    longest = run = 0
    try:
        with archive.open(name) as member:
            while block := member.read(1 << 20):
                first = block.find(b"<")
                if first < 0:
                    run += len(block)
                    longest = max(longest, run)
                    continue
                longest = max(longest, run + first)
                # stretches inside one block are shorter than a block, far under the limit
                run = len(block) - block.rfind(b"<") - 1
        return max(longest, run)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return None
    finally:
        archive.close()


def _xlsx_records(ctx: Context, fh: IO[bytes]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The first sheet's rows, after checking the workbook's unpacked size and declared
    dimension: openpyxl would otherwise unpack or pad whatever the file claims."""
    cannot_open = _(
        "the file cannot be opened as an Excel workbook (.xlsx); open it in Excel and save it again as "
        '"Excel Workbook (.xlsx)" or as "CSV UTF-8", and upload that'
    )
    limits = ctx.limits
    try:
        with zipfile.ZipFile(fh) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        ctx.fatal(ctx.filename, cannot_open)
        return
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.xlsx_uncompressed:
        ctx.fatal(
            ctx.filename,
            f"the workbook unpacks to {unpacked / 2**20:,.0f} MB, more than the limit of "
            f"{limits.xlsx_uncompressed / 2**20:,.0f} MB (PLN123_UPLOAD_MAX_XLSX_MB); "
            'save the sheet as "CSV UTF-8" and upload that, or split it',
        )
        return
    shared = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if shared > SHARED_STRINGS_LIMIT:
        ctx.fatal(
            ctx.filename,
            f"the workbook's table of texts is {shared / 2**20:,.0f} MB, too big to read; "
            'save the sheet as "CSV UTF-8" and upload that',
        )
        return
    longest_text = 8 * limits.message_chars + 4096  # bytes of one cell's text as XML, escaped
    for member in members:
        name = member.filename.lower()
        if name.endswith(".xml") and ("worksheets/" in name or "sharedstrings" in name):
            run = _longest_text_run(archive_file(fh), member.filename)
            if run is None:
                ctx.fatal(ctx.filename, cannot_open)
                return
            if run > longest_text:
                ctx.fatal(
                    ctx.filename,
                    _(
                        "the workbook holds a text or blank stretch of %(mb)s MB, far longer than a message may be; "
                        'save the sheet as "CSV UTF-8" and upload that'
                    )
                    % {"mb": f"{run / 2**20:,.1f}"},
                )
                return
    fh.seek(0)
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception:  # openpyxl and zipfile raise many kinds on a damaged file
        ctx.fatal(ctx.filename, cannot_open)
        return
    try:
        if not workbook.worksheets:
            ctx.fatal(ctx.filename, cannot_open)
            return
        sheet = workbook.worksheets[0]
        declared_rows = getattr(sheet, "max_row", None) or 0
        if declared_rows > limits.rows + 1:
            ctx.fatal(
                ctx.filename,
                f"the sheet declares {declared_rows:,} rows, more than the limit of {limits.rows:,} "
                "(PLN123_UPLOAD_MAX_ROWS); split it into smaller files and upload each",
            )
            return
        # Only the first columns are read, whatever width the sheet claims: the
        # columns of docs/formats.md and some to spare for added ones.
        try:
            yield from enumerate(sheet.iter_rows(values_only=True, max_col=limits.xlsx_columns), start=1)
        except Exception:  # a damaged sheet found while reading it
            ctx.fatal(ctx.filename, cannot_open)
    finally:
        workbook.close()


__all__ = ["TABLE_COLUMNS", "TABLE_REQUIRED", "is_blank", "json_objects", "kind", "table_rows", "text_lines"]
