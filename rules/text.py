"""The text as rule S8 reads it: words, with case, punctuation, emoji and
whitespace gone, and where each word stood in the original (for the evidence)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Letters and digits are separate words: "PLN123" reads as "PLN 123" (rule S8).
_TOKEN_RE = re.compile(r"[^\W\d_]+|\d+")


@dataclass(frozen=True)
class Token:
    norm: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Rule S8: case, punctuation, emoji and whitespace do not count."""
    return [Token(m.group(0).lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def words_of(text: str) -> tuple[str, ...]:
    return tuple(t.norm for t in tokenize(text))
