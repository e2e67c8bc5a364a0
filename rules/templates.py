"""Greeting templates: parsing, validation and rendering.

A template is text with the slots ``{waktu}`` (time-of-day word, rule S6) and
``{nama_cso}`` (the CSO's name, rule S7). For matching (rule S8) it splits into
fixed phrases at its slots and commas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.vocabulary import TEMPLATE_SLOTS

_SLOT_RE = re.compile(r"\{([^{}]*)\}")


class TemplateError(ValueError):
    """A template that cannot be used, with a message a person understands."""


@dataclass(frozen=True)
class Piece:
    """One element of a template: a fixed phrase, or a slot."""

    kind: str  # "phrase" or "slot"
    text: str  # the phrase as written, or the slot name


def validate_template(text: str) -> None:
    """Raise TemplateError naming the problem, or return quietly."""
    if not text or not text.strip():
        raise TemplateError("The template is empty.")
    for name in _SLOT_RE.findall(text):
        if name not in TEMPLATE_SLOTS:
            allowed = ", ".join("{" + s + "}" for s in TEMPLATE_SLOTS)
            raise TemplateError(f"The slot {{{name}}} does not exist; the slots are {allowed}.")
    leftover = _SLOT_RE.sub("", text)
    if "{" in leftover or "}" in leftover:
        raise TemplateError("A brace is not closed: write slots as {waktu} or {nama_cso}.")
    if not any(p.kind == "phrase" for p in parse_template(text)):
        raise TemplateError("The template has no fixed words, only slots.")


def parse_template(text: str) -> list[Piece]:
    """Split a template into phrases and slots, in order (rule S8)."""
    pieces: list[Piece] = []
    pos = 0
    for match in _SLOT_RE.finditer(text):
        pieces.extend(_phrases(text[pos : match.start()]))
        pieces.append(Piece("slot", match.group(1)))
        pos = match.end()
    pieces.extend(_phrases(text[pos:]))
    return pieces


def _phrases(chunk: str) -> list[Piece]:
    out = []
    for part in chunk.split(","):
        part = " ".join(part.split())
        if re.search(r"[^\W_]", part):
            out.append(Piece("phrase", part))
    return out


def render_template(text: str, *, waktu: str | None, nama_cso: str | None) -> str:
    """Fill the slots; a slot without a value keeps its placeholder."""
    values = {"waktu": waktu, "nama_cso": nama_cso}

    def fill(match: re.Match) -> str:
        value = values.get(match.group(1))
        return value if value else match.group(0)

    return _SLOT_RE.sub(fill, text)
