"""Reasons of verdicts in the reader's language.

The engine keeps each reason twice: English text (``Score.reason``, the contract of
docs/formats.md) and the same reason as message ids with parameters
(``Score.reason_parts``, see rules.messages). These helpers render the second through
Django's gettext, in the language active for the request or command; a score stored
before the messages existed shows its English text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils.translation import gettext

from rules.messages import Message, Translate, reason_json, render


def reason_shown(parts: Iterable[Mapping] | None, english: str, translate: Translate = gettext) -> str:
    """A stored reason (``reason_parts``) in the active language, else its English text.
    ``translate`` may be a cached ``gettext`` where many reasons are shown in one language."""
    parts = list(parts or ())
    if not parts:
        return english
    return render(parts, translate)


def messages_shown(parts: Iterable[Message], english: str = "") -> str:
    """A reason the resolver or engine just made (Message objects), in the active language."""
    return reason_shown(reason_json(parts), english)
