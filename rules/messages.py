"""Reasons as message ids and parameters, so that they can be read in any language.

The engine explains each verdict in English (``Score.reason``, the golden set and
docs/formats.md read that text). Beside it, it keeps the same reason as data: a list
of :class:`Message`, each an English template (the msgid of the translation catalogue)
and its parameters. The app layer renders that list through Django's gettext in the
reader's language; this package stays free of Django, and renders English with
:func:`render` and no translator.

The templates use Python's named ``%(name)s`` placeholders (Django's convention, and
``{nama_cso}`` of a template stays a literal). Parameters are data (references,
channels, greetings, times) or other messages, or lists of messages shown with a
separator. A reason is its messages joined by ``"; "``.

``N_`` marks a template for ``makemessages --keyword=N_`` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Union

PART_SEPARATOR = "; "


def N_(msgid: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark an English template for the catalogue; translation happens when rendered."""
    return msgid


@dataclass(frozen=True)
class Joined:
    """Several messages (or plain data) shown as one parameter, with a separator
    (``", "``; a word such as ``" or "`` is translated too)."""

    items: tuple[Message | str, ...]
    separator: str = ", "

    def as_json(self) -> dict:
        return {"join": self.separator, "items": [_arg_json(item) for item in self.items]}


Arg = Union[str, int, "Message", Joined]


@dataclass(frozen=True)
class Message:
    """One sentence of a reason: an English template and its named parameters."""

    msgid: str
    args: tuple[tuple[str, Arg], ...] = ()

    def as_json(self) -> dict:
        out: dict = {"id": self.msgid}
        if self.args:
            out["args"] = {name: _arg_json(value) for name, value in self.args}
        return out

    def text(self) -> str:
        return render_message(self.as_json())


def msg(msgid: str, **args: Arg) -> Message:
    """A message from its template and parameters: ``msg(N_("said %(said)s"), said=x)``."""
    return Message(msgid, tuple(args.items()))


def joined(items: Iterable[Message | str], separator: str = ", ") -> Joined:
    return Joined(tuple(items), separator)


def reason_json(parts: Iterable[Message]) -> list[dict]:
    """The stored form of a reason (``Score.reason_parts``): plain JSON."""
    return [part.as_json() for part in parts]


def _arg_json(value: Arg):
    if isinstance(value, Message | Joined):
        return value.as_json()
    if isinstance(value, bool) or not isinstance(value, int | str):
        return str(value)
    return value


Translate = Callable[[str], str]


def _identity(msgid: str) -> str:
    return msgid


def render_message(message: Mapping, translate: Translate = _identity) -> str:
    """One stored message in the language of ``translate`` (English without one).

    A translation that does not fit its parameters (a broken catalogue entry) falls
    back to the English template rather than failing the page."""
    template = message.get("id", "")
    args = {name: _render_arg(value, translate) for name, value in (message.get("args") or {}).items()}
    translated = translate(template)
    for candidate in (translated, template):
        try:
            return candidate % args if args else candidate
        except (KeyError, ValueError, TypeError):
            continue
    return template


def _render_arg(value, translate: Translate) -> str:
    if isinstance(value, Mapping):
        if "join" in value:
            separator = translate(value["join"]) if value["join"].strip() else value["join"]
            return separator.join(_render_arg(item, translate) for item in value.get("items", ()))
        return render_message(value, translate)
    return str(value)


def render(parts: Iterable[Mapping], translate: Translate = _identity) -> str:
    """A whole stored reason: its messages, each rendered, joined by ``"; "``."""
    return PART_SEPARATOR.join(render_message(part, translate) for part in parts)


def english(parts: Iterable[Message]) -> str:
    """The English text of a reason, as ``Score.reason`` stores it."""
    return PART_SEPARATOR.join(part.text() for part in parts)
