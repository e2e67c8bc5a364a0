"""The text as rule S8 reads it: words, with case, punctuation, emoji and
whitespace gone, and where each word stood in the original (for the evidence)."""

from __future__ import annotations

import re
from typing import NamedTuple

# Letters and digits are separate words: "PLN123" reads as "PLN 123" (rule S8).
_TOKEN_RE = re.compile(r"[^\W\d_]+|\d+")


class Token(NamedTuple):
    # A named tuple, not a dataclass: a turn has dozens of them and every transcript
    # makes them, so they must be cheap to build.
    norm: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Rule S8: case, punctuation, emoji and whitespace do not count."""
    make = tuple.__new__  # Token's own __new__ is a Python function: too slow per word
    return [make(Token, (m.group(0).lower(), m.start(), m.end())) for m in _TOKEN_RE.finditer(text)]


def words_of(text: str) -> tuple[str, ...]:
    # Each word lower-cased on its own, as tokenize does: lower-casing the whole text
    # first could change where words split (some letters lower-case to two characters).
    return tuple(w.lower() for w in _TOKEN_RE.findall(text))
