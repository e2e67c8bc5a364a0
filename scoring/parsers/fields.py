"""Checking the fields of one transcript or message of an upload, wherever it comes
from (a JSON object, a CSV or spreadsheet row), and building the transcript once all
its messages are read. Plain functions and small classes, no ORM, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from rules.resolver import resolve_zone
from rules.transcript import MessageIn, TranscriptIn
from rules.vocabulary import Sender, Visibility
from scoring.types import RowError

SENDERS = tuple(Sender)
VISIBILITIES = tuple(Visibility)
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
# Problems kept to show; a file with more is still refused, with the count of the rest.
MAX_LISTED_ERRORS = 1000
# The longest value of each text field, as the models store them (ingest passes the
# models' own max_length; these are the same, for the parsers used alone).
FIELD_LENGTHS = {
    "transcript_id": 100,
    "platform": 50,
    "category": 100,
    "timezone": 64,
    "cso_id": 32,
    "cso_name": 200,
    "sent_at": 64,
}
# Message times outside these dates are typing or export mistakes, and years such as
# 0001 or 9999 cannot be converted between zones or stored (issue 10).
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
# Control characters break spreadsheets and terminals; lone surrogates (half of an emoji
# pair, only possible through a JSON escape) cannot be stored. Tab, line feed and
# carriage return are ordinary inside a message, nowhere else.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSAFE_IN_MESSAGE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
TIMESTAMP_EXAMPLE = "2023-09-10 14:05:00+07:00"
TIMESTAMP_EXAMPLE_UTC = "2023-09-10T14:05:00Z"


# --------------------------------------------------------------------------- state


@dataclass(frozen=True)
class Limits:
    """What one file may hold (issue 10); the settings give the values, the caller passes them."""

    rows: int = 5_000_000  # message rows of a CSV or sheet, messages of a JSON file
    transcripts: int = 1_000_000
    messages: int = 1_000  # per transcript
    message_chars: int = 20_000  # per message text
    xlsx_uncompressed: int = 2 * 1024**3  # bytes of the workbook once unzipped
    xlsx_columns: int = 64  # columns read from a sheet; a declared dimension wider than this is refused
    lengths: Mapping[str, int] = field(default_factory=lambda: dict(FIELD_LENGTHS))


@dataclass
class Draft:
    """A transcript whose fields are checked, collecting its messages."""

    external_id: str
    start: int  # line, object or row number where it starts
    fields: dict[str, Any]
    messages: list[MessageIn] = field(default_factory=list)

    def build(self, ctx: Context) -> TranscriptIn:
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
class Context:
    """What a pass over one file knows: the vocabulary, the limits, and the problems found."""

    filename: str
    channels: dict[str, bool]
    zone_aliases: dict[str, str]
    default_zone: str
    limits: Limits = field(default_factory=Limits)
    errors: list[RowError] = field(default_factory=list)
    unlisted: int = 0  # problems found beyond MAX_LISTED_ERRORS
    stop: bool = False  # a limit or an unreadable file ends the pass

    def error(self, location: str, column: str, message: str) -> None:
        if len(self.errors) < MAX_LISTED_ERRORS:
            # A problem quotes what the file holds: never a character that cannot be
            # stored or shown (PostgreSQL's JSON refuses NUL and lone surrogates).
            self.errors.append(RowError(location, safe(column), safe(message)))
        else:
            self.unlisted += 1

    def fatal(self, location: str, message: str) -> None:
        """A problem that ends reading the file (a limit, bytes that are not text)."""
        self.error(location, "", message)
        self.stop = True

    @property
    def failed(self) -> bool:
        return bool(self.errors) or self.unlisted > 0


# --------------------------------------------------------------------------- values


def safe(text: str) -> str:
    """``text`` with every control character and lone surrogate shown as U+FFFD."""
    return _UNSAFE.sub("\ufffd", text)


def show(value: object) -> str:
    """A value quoted for an error message, cut short when long."""
    try:
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
    except ValueError:  # an integer too long to write out
        text = _("a number too long to show")
    text = safe(text.replace("\r", " ").replace("\n", " "))
    if len(text) > 60:
        text = text[:57] + "..."
    return f"'{text}'"


def kind(value: object) -> str:
    """What a value is, in the words of someone who writes the file, not of Python."""
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("an object")
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    return _("a value of another kind")


def unsafe_character(text: str, *, message: bool = False) -> str | None:
    """What is wrong with the first character that may not be stored, or None."""
    found = (_UNSAFE_IN_MESSAGE if message else _UNSAFE).search(text)
    if found is None:
        return None
    char = found.group()
    code = f"U+{ord(char):04X}"
    position = found.start() + 1
    if 0xD800 <= ord(char) <= 0xDFFF:
        return _(
            "has a broken character (%(code)s, half of an emoji or other two-part character) at character "
            "%(position)s; save the file again from the program that made it, or retype that character"
        ) % {"code": code, "position": position}
    if char in "\t\r\n":
        return _("has a tab or line break at character %(position)s; only a message's text may have one") % {
            "position": position
        }
    return _(
        "has an invisible control character (%(code)s) at character %(position)s; delete it and upload the file again"
    ) % {"code": code, "position": position}


def as_text(value: object) -> str | None:
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
        try:
            return str(value)
        except ValueError:  # an integer of thousands of digits: not a value of this format
            return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return None


class FieldReader:
    """Checks the fields of one transcript or message, recording errors where they are."""

    def __init__(self, ctx: Context, location: str, column_name: Callable[[str], str]):
        self.ctx = ctx
        self.location = location
        self.column_name = column_name
        self.ok = True

    def fail(self, name: str, message: str) -> None:
        self.ok = False
        self.ctx.error(self.location, self.column_name(name), message)

    def text(self, name: str, value: object, *, required: bool = False, label: str | None = None) -> str:
        label = label or name
        text = as_text(value)
        if text is None:
            self.fail(name, f"{label} must be plain text, not {kind(value)}")
            return ""
        problem = unsafe_character(text, message=name == "text")
        if problem:
            self.fail(name, f"{label} {problem}")
            return ""
        longest = self.ctx.limits.lengths.get("transcript_id" if name == "id" else name)
        if longest is not None and len(text) > longest:
            self.fail(
                name,
                _("%(label)s is %(length)s characters long; at most %(longest)s are allowed: shorten it")
                % {"label": label, "length": f"{len(text):,}", "longest": f"{longest:,}"},
            )
            return ""
        if required and not text:
            self.fail(name, f"{label} is empty" if name == "text" else f"{label} is missing")
        return text

    def channel(self, value: object) -> str:
        channel = self.text("channel", value, required=True).lower()
        if channel and channel not in self.ctx.channels:
            known = ", ".join(sorted(self.ctx.channels))
            self.fail("channel", f"channel {show(channel)} is not one of {known}")
            return ""
        return channel

    def visibility(self, value: object, channel: str) -> str:
        visibility = self.text("visibility", value).lower() or Visibility.PRIVATE
        if visibility not in VISIBILITIES:
            self.fail("visibility", f"visibility {show(visibility)} is not one of {', '.join(VISIBILITIES)}")
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
            self.fail("timezone", f"unknown time zone {show(name)}{hint}")
        return name

    def first_contact(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = as_text(value)
        if text is not None:
            word = text.lower()
            if not word:
                return True
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        self.fail(
            "first_contact",
            _("first_contact %(value)s is not true or false; write true or false (or yes/no, 1/0), or leave it empty")
            % {"value": show(value) if text is not None else kind(value)},
        )
        return True

    def sent_at(self, value: object) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            return self._in_range(value, value)  # a real spreadsheet date and time: naive, so local
        if value is None or (isinstance(value, str) and not value.strip()):
            self.fail("sent_at", "sent_at is missing")
            return None
        text = as_text(value)
        parsed = None
        longest = self.ctx.limits.lengths.get("sent_at", 64)
        if isinstance(value, str) and text and 10 < len(text) <= longest:  # a bare date has no time
            try:
                parsed = dt.datetime.fromisoformat(text)
            except ValueError:
                parsed = None
        if parsed is None:
            self.fail(
                "sent_at",
                _("sent_at %(value)s is not a date and time: write it as %(example)s or %(utc)s")
                % {"value": show(value), "example": TIMESTAMP_EXAMPLE, "utc": TIMESTAMP_EXAMPLE_UTC},
            )
            return None
        return self._in_range(parsed, value)

    def _in_range(self, moment: dt.datetime, value: object) -> dt.datetime | None:
        """The moment if its date as written is a sane one, checked before any zone
        conversion (year 9999 at -12:00 has no UTC; year 0001 cannot be stored)."""
        if FIRST_DATE <= moment.date() <= LAST_DATE:
            return moment
        self.fail(
            "sent_at",
            _("sent_at %(value)s is not between %(first)s and %(last)s: check the year")
            % {"value": show(value), "first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()},
        )
        return None

    def sender(self, value: object) -> str:
        sender = self.text("sender", value, required=True).lower()
        if sender and sender not in SENDERS:
            self.fail("sender", f"sender {show(sender)} is not {' or '.join(SENDERS)}")
        return sender

    def message(self, sent_at: object, sender: object, text: object) -> MessageIn | None:
        when = self.sent_at(sent_at)
        who = self.sender(sender)
        said = self.text("text", text, required=True)
        limit = self.ctx.limits.message_chars
        if len(said) > limit:
            self.fail(
                "text",
                f"text is {len(said):,} characters long; the limit is {limit:,} (PLN123_UPLOAD_MAX_MESSAGE_CHARS): "
                "shorten it or split the message",
            )
        if when is None or not who or not said or not self.ok:
            return None
        return MessageIn(sent_at=when, sender=who, text=said, raw_sent_at=as_text(sent_at))

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
