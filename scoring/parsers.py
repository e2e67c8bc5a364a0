"""Reading uploaded transcript files (docs/formats.md, "Uploading transcripts").

One entry point, :func:`parse_upload`, turns the bytes of a ``.jsonl``, ``.json``,
``.csv`` or ``.xlsx`` file into validated :class:`~rules.transcript.TranscriptIn` values.
The whole file is checked before anything is returned: every problem becomes a
:class:`~scoring.types.RowError` located by line, object or spreadsheet row, and a
file with any problem is rejected as a whole with :class:`~scoring.types.UploadInvalid`.
No exception other than that one leaves this module, whatever the bytes hold.

Plain functions, no ORM: the services decide what to store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from rules.resolver import resolve_zone
from rules.transcript import MessageIn, TranscriptIn
from rules.vocabulary import Sender, Visibility
from scoring.types import RowError, UploadInvalid

ACCEPTED_EXTENSIONS = (".csv", ".json", ".jsonl", ".xlsx")
SENDERS = tuple(Sender)
VISIBILITIES = tuple(Visibility)
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})

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


def parse_upload(
    filename: str,
    content: bytes,
    *,
    channels: dict[str, bool],
    zone_aliases: dict[str, str],
    default_zone: str,
) -> list[TranscriptIn]:
    """Parse and validate an uploaded transcript file.

    ``channels`` maps each channel code to whether ``public`` visibility is allowed on
    it; ``zone_aliases`` maps upper-case aliases (``WIB``) to IANA names; ``default_zone``
    is the site zone (rule S1: a transcript without a zone is in it), which the caller
    reads from the settings. Returns the
    transcripts in order of first appearance, each with its messages in local-time
    order (rule S1, ties in file order). Raises :class:`UploadInvalid` listing every
    problem when anything in the file is wrong.
    """
    name = PurePath(filename).name or filename
    suffix = PurePath(filename).suffix.lower()
    readers: dict[str, Callable[[_Context, bytes], None]] = {
        ".jsonl": _read_jsonl,
        ".json": _read_json_array,
        ".csv": _read_csv,
        ".xlsx": _read_xlsx,
    }
    reader = readers.get(suffix)
    if reader is None:
        accepted = ", ".join(ACCEPTED_EXTENSIONS[:-1]) + " or " + ACCEPTED_EXTENSIONS[-1]
        raise UploadInvalid([RowError(name, "", f"'{name}' is not a {accepted} file")])

    ctx = _Context(filename=name, channels=channels, zone_aliases=zone_aliases, default_zone=default_zone)
    reader(ctx, content)
    if not ctx.errors and not ctx.drafts:
        ctx.error(name, "", "the file holds no transcripts")
    if ctx.errors:
        raise UploadInvalid(ctx.errors)
    return [draft.build(ctx) for draft in ctx.drafts]


# --------------------------------------------------------------------------- state


@dataclass
class _Draft:
    """A transcript whose fields are checked, waiting for the whole file to pass."""

    external_id: str
    start: int  # line, object or row number where it starts
    fields: dict[str, Any]
    messages: list[MessageIn] = field(default_factory=list)

    def build(self, ctx: _Context) -> TranscriptIn:
        zone = resolve_zone(self.fields["timezone"], zone_aliases=ctx.zone_aliases, default=ctx.default_zone)

        def local_instant(message: MessageIn) -> dt.datetime:
            # Naive means already local (rule S1); sorted() is stable, so ties keep file order.
            if message.sent_at.tzinfo is None:
                return message.sent_at
            return message.sent_at.astimezone(zone).replace(tzinfo=None)

        return TranscriptIn(
            external_id=self.external_id,
            messages=tuple(sorted(self.messages, key=local_instant)),
            source_line=self.start,
            **self.fields,
        )


@dataclass
class _Context:
    filename: str
    channels: dict[str, bool]
    zone_aliases: dict[str, str]
    default_zone: str
    errors: list[RowError] = field(default_factory=list)
    drafts: list[_Draft] = field(default_factory=list)

    def error(self, location: str, column: str, message: str) -> None:
        self.errors.append(RowError(location, column, message))


# --------------------------------------------------------------------------- values


def _show(value: object) -> str:
    """A value quoted for an error message, cut short when long."""
    text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    if len(text) > 60:
        text = text[:57] + "..."
    return f"'{text}'"


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _as_text(value: object) -> str | None:
    """A cell or JSON scalar as stripped text; None for lists and objects."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a whole number Excel kept as 17.0 was typed as 17
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return None


class _FieldReader:
    """Checks the fields of one transcript or message, recording errors where they are."""

    def __init__(self, ctx: _Context, location: str, column_name: Callable[[str], str]):
        self.ctx = ctx
        self.location = location
        self.column_name = column_name
        self.ok = True

    def fail(self, name: str, message: str) -> None:
        self.ok = False
        self.ctx.error(self.location, self.column_name(name), message)

    def text(self, name: str, value: object, *, required: bool = False, label: str | None = None) -> str:
        label = label or name
        text = _as_text(value)
        if text is None:
            self.fail(name, f"{label} must be plain text, not {_kind(value)}")
            return ""
        if required and not text:
            self.fail(name, f"{label} is empty" if name == "text" else f"{label} is missing")
        return text

    def channel(self, value: object) -> str:
        channel = self.text("channel", value, required=True).lower()
        if channel and channel not in self.ctx.channels:
            known = ", ".join(sorted(self.ctx.channels))
            self.fail("channel", f"channel {_show(channel)} is not one of {known}")
            return ""
        return channel

    def visibility(self, value: object, channel: str) -> str:
        visibility = self.text("visibility", value).lower() or Visibility.PRIVATE
        if visibility not in VISIBILITIES:
            self.fail("visibility", f"visibility {_show(visibility)} is not one of {', '.join(VISIBILITIES)}")
        elif visibility == Visibility.PUBLIC and channel and not self.ctx.channels.get(channel, False):
            allowed = sorted(code for code, public in self.ctx.channels.items() if public)
            where = " or ".join(allowed) if allowed else "no channel"
            self.fail("visibility", f"visibility '{Visibility.PUBLIC}' is only allowed on {where}")
        return visibility

    def timezone(self, value: object) -> str:
        name = self.text("timezone", value)
        if not name:
            return ""
        if name.upper() in self.ctx.zone_aliases:
            return name.upper()
        try:
            resolve_zone(name, zone_aliases={}, default=self.ctx.default_zone)
        except LookupError:
            aliases = ", ".join(self.ctx.zone_aliases)
            hint = f" (use an IANA name or {aliases})" if aliases else " (use an IANA name)"
            self.fail("timezone", f"unknown time zone {_show(name)}{hint}")
        return name

    def first_contact(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = _as_text(value)
        if text is not None:
            word = text.lower()
            if not word:
                return True
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        self.fail("first_contact", f"first_contact {_show(value)} is not true or false")
        return True

    def sent_at(self, value: object) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            return value  # a real spreadsheet date and time: naive, so local
        if value is None or (isinstance(value, str) and not value.strip()):
            self.fail("sent_at", "sent_at is missing")
            return None
        text = _as_text(value)
        parsed = None
        if isinstance(value, str) and text and len(text) > 10:  # a bare date has no time
            try:
                parsed = dt.datetime.fromisoformat(text)
            except ValueError:
                parsed = None
        if parsed is None:
            self.fail("sent_at", f"sent_at {_show(value)} is not an ISO 8601 date and time")
        return parsed

    def sender(self, value: object) -> str:
        sender = self.text("sender", value, required=True).lower()
        if sender and sender not in SENDERS:
            self.fail("sender", f"sender {_show(sender)} is not {' or '.join(SENDERS)}")
        return sender

    def message(self, sent_at: object, sender: object, text: object) -> MessageIn | None:
        when = self.sent_at(sent_at)
        who = self.sender(sender)
        said = self.text("text", text, required=True)
        if when is None or not who or not said or not self.ok:
            return None
        return MessageIn(sent_at=when, sender=who, text=said, raw_sent_at=_as_text(sent_at))

    def transcript_fields(self, get: Callable[[str], object]) -> dict[str, Any]:
        channel = self.channel(get("channel"))
        return {
            "channel": channel,
            "cso_name": self.text("cso_name", get("cso_name"), required=True),
            "platform": self.text("platform", get("platform")),
            "visibility": self.visibility(get("visibility"), channel),
            "category": self.text("category", get("category")),
            "timezone": self.timezone(get("timezone")),
            "cso_id": self.text("cso_id", get("cso_id")),
            "first_contact": self.first_contact(get("first_contact")),
        }


# --------------------------------------------------------------------------- JSON


def _decode(ctx: _Context, content: bytes, hint: str) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        byte = content[exc.start : exc.start + 1].hex()
        ctx.error(ctx.filename, "", f"the file is not UTF-8 text (byte 0x{byte} on line {line}); {hint}")
        return None


def _read_json_object(ctx: _Context, obj: object, location: str, number: int, seen: dict[str, str]) -> None:
    if not isinstance(obj, dict):
        ctx.error(location, "", f"expected a transcript object, found {_kind(obj)}")
        return
    fields = _FieldReader(ctx, location, lambda name: name)
    id_key = "id" if "id" in obj or "transcript_id" not in obj else "transcript_id"
    external_id = fields.text(id_key, obj.get(id_key), required=True)
    if external_id:
        if external_id in seen:
            fields.fail(id_key, f"id {_show(external_id)} appears twice, on {seen[external_id]} and {location}")
        else:
            seen[external_id] = location
    transcript = fields.transcript_fields(obj.get)

    messages_in: list[MessageIn] = []
    raw_messages = obj.get("messages")
    if raw_messages is None:
        fields.fail("messages", "messages is missing")
    elif not isinstance(raw_messages, list):
        fields.fail("messages", f"messages must be a list, not {_kind(raw_messages)}")
    elif not raw_messages:
        fields.fail("messages", "messages is empty (a transcript needs at least one message)")
    else:
        for index, raw in enumerate(raw_messages, start=1):
            column = f"message {index}"
            if not isinstance(raw, dict):
                fields.fail("messages", f"{column} must be an object, not {_kind(raw)}")
                continue
            reader = _FieldReader(ctx, location, lambda name, column=column: f"{column} {name}")
            message = reader.message(raw.get("sent_at"), raw.get("sender"), raw.get("text"))
            fields.ok = fields.ok and reader.ok
            if message is not None:
                messages_in.append(message)

    if fields.ok:
        ctx.drafts.append(_Draft(external_id, number, transcript, messages_in))


def _read_jsonl(ctx: _Context, content: bytes) -> None:
    text = _decode(ctx, content, "save it as UTF-8")
    if text is None:
        return
    seen: dict[str, str] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        location = f"line {number}"
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:
            ctx.error(location, "", f"invalid JSON: {_json_problem(exc)}")
            continue
        _read_json_object(ctx, obj, location, number, seen)


def _read_json_array(ctx: _Context, content: bytes) -> None:
    text = _decode(ctx, content, "save it as UTF-8")
    if text is None:
        return
    if not text.strip():
        return  # reported as "no transcripts"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        ctx.error(f"line {exc.lineno}", "", f"invalid JSON: {exc.msg} at column {exc.colno}")
        return
    except (ValueError, RecursionError) as exc:
        ctx.error(ctx.filename, "", f"invalid JSON: {_json_problem(exc)}")
        return
    if not isinstance(data, list):
        ctx.error(ctx.filename, "", f"a .json file must hold an array of transcript objects, not {_kind(data)}")
        return
    seen: dict[str, str] = {}
    for number, obj in enumerate(data, start=1):
        _read_json_object(ctx, obj, f"object {number}", number, seen)


def _json_problem(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


# --------------------------------------------------------------------------- tables


def _read_table(ctx: _Context, rows: Iterable[tuple[int, list[Any]]]) -> None:
    """Rows of a CSV or the first sheet of a workbook, header first, one message per row."""
    iterator = iter(rows)
    header_row = next(iterator, None)
    if header_row is None:
        return  # reported as "no transcripts"
    header_number, header_cells = header_row
    index: dict[str, int] = {}
    for position, cell in enumerate(header_cells):
        name = (_as_text(cell) or "").lower()
        if name and name not in index:
            index[name] = position
    if "transcript_id" not in index and "id" in index:
        index["transcript_id"] = index["id"]
    if not index and all(_is_blank(cells) for _, cells in iterator):
        return  # an empty sheet: reported as "no transcripts"
    missing = [name for name in TABLE_REQUIRED if name not in index]
    for name in missing:
        ctx.error(f"row {header_number}", name, f"missing column {name}")
    if missing:
        return

    drafts: dict[str, _Draft] = {}
    for number, cells in iterator:
        if _is_blank(cells):
            continue  # blank rows are how people space out a sheet

        def get(name: str, cells: list[Any] = cells) -> object:
            position = index.get(name)
            return cells[position] if position is not None and position < len(cells) else None

        fields = _FieldReader(ctx, f"row {number}", lambda name: name)
        external_id = fields.text("transcript_id", get("transcript_id"), required=True)
        if external_id and external_id not in drafts:
            # The transcript-level columns count only on a transcript's first row.
            drafts[external_id] = _Draft(external_id, number, fields.transcript_fields(get))
        message = fields.message(get("sent_at"), get("sender"), get("text"))
        if message is not None and fields.ok:
            drafts[external_id].messages.append(message)
    ctx.drafts.extend(drafts.values())


def _is_blank(cells: list[Any]) -> bool:
    return all(_as_text(cell) == "" for cell in cells)


def _read_csv(ctx: _Context, content: bytes) -> None:
    text = _decode(ctx, content, 'save it as "CSV UTF-8"')
    if text is None:
        return
    reader = csv.reader(io.StringIO(text, newline=""))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # Row numbers count records, as a spreadsheet does, so a quoted text with
        # line breaks stays one row.
        number = 1
        try:
            for record in reader:
                yield number, record
                number += 1
        except csv.Error as exc:
            ctx.error(f"row {number}", "", f"the CSV cannot be read here: {exc}")

    _read_table(ctx, rows())


def _read_xlsx(ctx: _Context, content: bytes) -> None:
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=False, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [(number, list(cells)) for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)]
        workbook.close()
    except Exception as exc:  # openpyxl and zipfile raise many kinds on a damaged file
        ctx.error(ctx.filename, "", f"the file cannot be opened as an Excel workbook (.xlsx): {type(exc).__name__}")
        return
    _read_table(ctx, rows)
