"""The translation catalogue read and compiled in pure Python (no GNU gettext needed).

``locale/<lang>/LC_MESSAGES/django.po`` is the source the translators edit; the
compiled ``django.mo`` beside it is committed, so that a fresh clone shows
Indonesian with nothing to install. :func:`compile_po` writes the ``.mo`` the way
Python's ``Tools/i18n/msgfmt.py`` does; :func:`read_mo` reads one back, and the test
suite checks that the committed ``.mo`` holds exactly what the ``.po`` says.
"""

from __future__ import annotations

import ast
import gettext
import struct
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str
    msgstr: str = ""
    msgid_plural: str = ""
    plurals: dict[int, str] = field(default_factory=dict)
    context: str = ""
    fuzzy: bool = False
    obsolete: bool = False
    python_format: bool = False
    line: int = 0

    @property
    def key(self) -> str:
        """The key of the compiled catalogue (context EOT msgid, plural NUL plural)."""
        key = self.msgid + ("\0" + self.msgid_plural if self.msgid_plural else "")
        return f"{self.context}\x04{key}" if self.context else key

    @property
    def value(self) -> str:
        if self.msgid_plural:
            return "\0".join(self.plurals[i] for i in sorted(self.plurals))
        return self.msgstr

    @property
    def translated(self) -> bool:
        if self.msgid_plural:
            return bool(self.plurals) and all(self.plurals.values())
        return bool(self.msgstr)


def _unquote(text: str, path: Path, number: int) -> str:
    text = text.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"{path}:{number}: expected a quoted string, found {text!r}")
    return ast.literal_eval(text)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, the header (msgid "") first."""
    entries: list[Entry] = []
    current: Entry | None = None
    section = None
    flags: set[str] = set()

    def finish():
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            continue
        if line.startswith("#,"):
            finish()
            flags = {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if current is not None and section in ("msgstr", "msgstr[]"):
                finish()
            continue
        keyword, _sep, rest = line.partition(" ")
        if keyword == "msgctxt":
            finish()
            current = Entry("", context=_unquote(rest, path, number), line=number)
            section = "msgctxt"
        elif keyword == "msgid":
            if current is None or section != "msgctxt":
                finish()
                current = Entry("", line=number)
            current.msgid = _unquote(rest, path, number)
            current.fuzzy = "fuzzy" in flags
            current.python_format = "python-format" in flags
            current.obsolete = obsolete
            flags = set()
            section = "msgid"
        elif keyword == "msgid_plural":
            current.msgid_plural = _unquote(rest, path, number)
            section = "msgid_plural"
        elif keyword == "msgstr":
            current.msgstr = _unquote(rest, path, number)
            section = "msgstr"
        elif keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            current.plurals[index] = _unquote(rest, path, number)
            section = ("msgstr[]", index)
        elif line.startswith('"'):
            more = _unquote(line, path, number)
            if section == "msgctxt":
                current.context += more
            elif section == "msgid":
                current.msgid += more
            elif section == "msgid_plural":
                current.msgid_plural += more
            elif section == "msgstr":
                current.msgstr += more
            elif isinstance(section, tuple):
                current.plurals[section[1]] += more
        else:
            raise ValueError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def compiled_catalogue(entries: list[Entry]) -> dict[str, str]:
    """What the .mo holds: translated, non-fuzzy, non-obsolete entries, and the header."""
    out = {}
    for entry in entries:
        if entry.obsolete:
            continue
        if entry.msgid == "" and not entry.context:
            out[""] = entry.msgstr  # the header, fuzzy or not
        elif entry.translated and not entry.fuzzy:
            out[entry.key] = entry.value
    return out


def mo_bytes(catalogue: dict[str, str]) -> bytes:
    """The GNU .mo encoding of a catalogue (as Python's Tools/i18n/msgfmt.py writes it)."""
    keys = sorted(catalogue)
    ids = strs = b""
    offsets = []
    for key in keys:
        k, v = key.encode("utf-8"), catalogue[key].encode("utf-8")
        offsets.append((len(ids), len(k), len(strs), len(v)))
        ids += k + b"\0"
        strs += v + b"\0"
    keystart = 7 * 4 + 16 * len(keys)
    valuestart = keystart + len(ids)
    koffsets, voffsets = [], []
    for o1, l1, o2, l2 in offsets:
        koffsets += [l1, o1 + keystart]
        voffsets += [l2, o2 + valuestart]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    return (
        header + struct.pack(f"{len(koffsets)}i", *koffsets) + struct.pack(f"{len(voffsets)}i", *voffsets) + ids + strs
    )


def compile_po(po: Path, mo: Path | None = None) -> Path:
    """Write the .mo of a .po (beside it unless told where)."""
    po = Path(po)
    mo = Path(mo) if mo else po.with_suffix(".mo")
    mo.write_bytes(mo_bytes(compiled_catalogue(read_po(po))))
    return mo


def read_mo(path: Path) -> dict[str, str]:
    """The entries of a compiled .mo as stored (plural keys as ``msgid NUL plural``),
    whichever tool wrote it; Python's gettext must also accept the file."""
    data = Path(path).read_bytes()
    with open(path, "rb") as handle:
        gettext.GNUTranslations(handle)  # raises on a file gettext cannot use
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _magic, _revision, count, keys_at, values_at = struct.unpack(order + "5I", data[:20])
    catalogue = {}
    for i in range(count):
        klen, kpos = struct.unpack(order + "2I", data[keys_at + 8 * i : keys_at + 8 * i + 8])
        vlen, vpos = struct.unpack(order + "2I", data[values_at + 8 * i : values_at + 8 * i + 8])
        catalogue[data[kpos : kpos + klen].decode("utf-8")] = data[vpos : vpos + vlen].decode("utf-8")
    return catalogue


def project_catalogues(base_dir: Path) -> list[Path]:
    return sorted(Path(base_dir, "locale").glob("*/LC_MESSAGES/django.po"))
