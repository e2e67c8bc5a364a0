"""Cells of the files people open in a spreadsheet: every CSV and XLSX the site writes
(score exports, the audit trail, the policy's import-export, upload error lists).

One rule for all of them, applied by :func:`neutralise`:

- a cell a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
  carriage return) is prefixed with an apostrophe, so it is shown as the text it is;
- a character an XLSX file cannot hold (C0 control characters other than tab, line
  feed and carriage return; U+FFFE, U+FFFF; a lone surrogate, which no UTF-8 file can
  hold either) is replaced by U+FFFD, the replacement character, in CSV and XLSX alike,
  so one stored character never makes an export fail and both files say the same.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
# What openpyxl refuses (its ILLEGAL_CHARACTERS_RE), what XML 1.0 forbids beyond it,
# and the surrogates a str can hold but no UTF-8 encoder can write.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def writable(text: str) -> str:
    """``text`` with every character a spreadsheet file cannot hold replaced by U+FFFD."""
    return _UNWRITABLE.sub(REPLACEMENT, text)


def _escaped(text: str) -> bool:
    # Apostrophes already in front count too, so that unneutralise undoes exactly what
    # neutralise did: "'=x" is written "''=x" and read back as "'=x".
    return text.lstrip("'").startswith(FORMULA_START)


def neutralise(value) -> str:
    """The text of a cell as it may be written: never a formula, never unwritable."""
    text = writable("" if value is None else str(value))
    return "'" + text if _escaped(text) else text


def unneutralise(text: str) -> str:
    """The value :func:`neutralise` was given, for a cell read back from a file the site
    wrote (the policy import): the apostrophe it put before a formula is dropped."""
    return text[1:] if text.startswith("'") and _escaped(text) else text
