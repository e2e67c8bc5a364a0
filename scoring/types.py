"""The shape of a transcript between the upload parsers, the services and the
scoring engine: plain data, no ORM."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class MessageIn:
    """One message. ``sent_at`` keeps the offset it was written with; a naive value
    is already local time (rule S1)."""

    sent_at: dt.datetime
    sender: str  # "customer" or "cso"
    text: str
    raw_sent_at: str = ""  # as written in the file, for provenance


@dataclass(frozen=True)
class TranscriptIn:
    """One conversation, validated, with its messages in order (rule S2)."""

    external_id: str
    channel: str
    cso_name: str
    messages: tuple[MessageIn, ...]
    platform: str = ""
    visibility: str = "private"
    category: str = ""
    timezone: str = ""
    cso_id: str = ""
    first_contact: bool = True
    source_line: int | None = None  # where it started in the uploaded file


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded file, located so a person can fix it."""

    location: str  # "line 12", "row 7", "object 3"
    column: str  # the field or column, "" when it concerns the whole row
    message: str

    def __str__(self) -> str:
        where = f"{self.location}, column {self.column}" if self.column else self.location
        return f"{where}: {self.message}"


class UploadInvalid(Exception):
    """A file that is rejected as a whole; ``errors`` says every problem found."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))
