"""A transcript as the rules read it: plain, validated data. The upload parsers
produce it and the scoring app rebuilds it from stored rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.vocabulary import Visibility


@dataclass(frozen=True)
class MessageIn:
    """One message. ``sent_at`` keeps the offset it was written with; a naive value
    is already local time (rule S1)."""

    sent_at: dt.datetime
    sender: str  # a rules.vocabulary.Sender value
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
    visibility: str = Visibility.PRIVATE
    category: str = ""
    timezone: str = ""
    cso_id: str = ""
    first_contact: bool = True
    source_line: int | None = None  # where it started in the uploaded file
