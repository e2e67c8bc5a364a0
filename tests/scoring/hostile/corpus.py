# ruff: noqa: E501 - the exact messages are kept whole, one per line, so each reads as the clerk sees it
"""Bad and hostile transcript files (issue 10), made by code: each case is a file name,
its bytes, the settings it is read under (a lowered limit stands in for a real 200 MB
upload or a gigabyte bomb), and the exact problems a QA clerk is shown."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.scoring.test_parsers import csv_bytes, row, transcript_obj, xlsx_bytes

WRITE_TIME = "write it as 2023-09-10 14:05:00+07:00 or 2023-09-10T14:05:00Z"
WRITE_BOOL = "write true or false (or yes/no, 1/0), or leave it empty"
CONTROL = "has an invisible control character ({code}) at character {at}; delete it and upload the file again"
SURROGATE = (
    "has a broken character (U+D800, half of an emoji or other two-part character) at character {at}; "
    "save the file again from the program that made it, or retype that character"
)
LONG = "{label} is {length} characters long; at most {most} are allowed: shorten it"
XLSX_CANNOT = (
    "the file cannot be opened as an Excel workbook (.xlsx); open it in Excel and save it again as "
    '"Excel Workbook (.xlsx)" or as "CSV UTF-8", and upload that'
)


@dataclass(frozen=True)
class Bad:
    name: str
    filename: str
    make: Callable[[], bytes]
    errors: list[tuple[str, str, str]]  # location, column, message: exactly as listed
    settings: dict = field(default_factory=dict)
    # What the admin's upload form says instead, where it refuses the file itself.
    form_error: str = ""

    def content(self) -> bytes:
        return self.make()


def _csv(**overrides) -> Callable[[], bytes]:
    """The bad value on the first row of a transcript (row 2), whose transcript columns count."""
    return lambda: csv_bytes([row(**overrides), row(sender="cso", text="PLN 123 selamat pagi")])


def _csv_second(**overrides) -> Callable[[], bytes]:
    """The bad value on the second row of a transcript (row 3)."""
    return lambda: csv_bytes([row(), row(**overrides)])


def _jsonl(*objects) -> Callable[[], bytes]:
    return lambda: "\n".join(o if isinstance(o, str) else json.dumps(o) for o in objects).encode()


def _message(**overrides) -> dict:
    return {"sent_at": "2023-09-10T08:15:10+08:00", "sender": "cso", "text": "PLN 123 selamat Pagi"} | overrides


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _good_xlsx() -> bytes:
    return xlsx_bytes([list(row().keys()), list(row().values())])


def _rewrite_sheet(content: bytes, change: Callable[[str], str]) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            target.writestr(item, data)
    return out.getvalue()


def far_cell_xlsx() -> bytes:
    """A 5 KB workbook with one cell at XFD1048576 and the dimension that goes with it."""

    def change(text: str) -> str:
        start = text.index("<dimension ref=")
        end = text.index("/>", start) + 2
        far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        text = text[:start] + '<dimension ref="A1:XFD1048576"/>' + text[end:]
        return text.replace("</sheetData>", far + "</sheetData>")

    return _rewrite_sheet(_good_xlsx(), change)


def expanding_xlsx(megabytes: int) -> bytes:
    """A workbook whose sheet unpacks to ``megabytes`` MB (white space inside the XML),
    written a block at a time: a few hundred KB on disk."""
    source, out = zipfile.ZipFile(io.BytesIO(_good_xlsx())), io.BytesIO()
    block = b" " * 2**20
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, data)
                continue
            head, tail = data.split(b"<sheetData>", 1)
            with target.open(item.filename, "w", force_zip64=True) as member:
                member.write(head + b"<sheetData>")
                for _ in range(megabytes):
                    member.write(block)
                member.write(tail)
    return out.getvalue()


def shared_strings_bomb() -> bytes:
    """A workbook whose table of shared texts alone is 70 MB."""
    source, out = zipfile.ZipFile(io.BytesIO(_good_xlsx())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for _ in range(70):
                member.write(b"<si><t>" + b"x" * (2**20 - 20) + b"</t></si>")
            member.write(b"</sst>")
    return out.getvalue()


def _unclosed_quote() -> bytes:
    head = csv_bytes([row()])
    return head + b'LC-2,live_chat,web,private,Informasi,WITA,CSO-017,"Rina\n' + b"halo halo\n" * 15_000


def _too_deep() -> bytes:
    return ("[" * 100_000 + "]" * 100_000).encode()


def _big_number() -> bytes:
    return b'{"id": ' + b"9" * 5000 + b', "channel": "live_chat"}\n'


CASES: list[Bad] = [
    # --- the file as a whole
    Bad(
        "empty",
        "empty.csv",
        lambda: b"",
        [("empty.csv", "", "the file holds no transcripts")],
        form_error="The submitted file is empty.",
    ),
    Bad(
        "header only",
        "header.csv",
        lambda: csv_bytes([]),
        [("header.csv", "", "the file holds no transcripts")],
    ),
    Bad("empty jsonl", "empty.jsonl", lambda: b"\n\n", [("empty.jsonl", "", "the file holds no transcripts")]),
    Bad("empty array", "empty.json", lambda: b"[]", [("empty.json", "", "the file holds no transcripts")]),
    Bad(
        "wrong extension",
        "transcripts.txt",
        _csv(),
        [("transcripts.txt", "", "'transcripts.txt' is not a .csv, .json, .jsonl or .xlsx file")],
        form_error="File extension “txt” is not allowed. Allowed extensions are: jsonl, json, csv, xlsx.",
    ),
    Bad(
        "old Excel",
        "transcripts.xls",
        _csv(),
        [("transcripts.xls", "", "'transcripts.xls' is not a .csv, .json, .jsonl or .xlsx file")],
        form_error="File extension “xls” is not allowed. Allowed extensions are: jsonl, json, csv, xlsx.",
    ),
    Bad(
        "over the size limit",
        "big.csv",
        lambda: csv_bytes([row(text="x" * 900) for _ in range(300)]),
        [
            (
                "big.csv",
                "",
                "the file is 294.5 KB, more than the limit of 100.0 KB for one upload (PLN123_UPLOAD_MAX_MB); "
                "split it into smaller files and upload each",
            )
        ],
        {"UPLOAD_MAX_BYTES": 100 * 1024},
    ),
    Bad(
        "missing column",
        "nosender.csv",
        lambda: csv_bytes([row()], columns=[c for c in row() if c != "sender"]),
        [("row 1", "sender", "missing column sender")],
    ),
    # --- bytes that are not UTF-8 text
    Bad(
        "latin-1",
        "latin1.csv",
        lambda: csv_bytes([row(), row(text="café")]).replace("café".encode(), "café".encode("latin-1")),
        [("latin1.csv", "", 'the file is not UTF-8 text (byte 0xe9 on line 3); save it as "CSV UTF-8"')],
    ),
    Bad(
        "UTF-16 CSV",
        "utf16.csv",
        lambda: csv_bytes([row()]).decode().encode("utf-16"),
        [("utf16.csv", "", 'the file is saved as UTF-16 ("Unicode text"), not UTF-8; save it as "CSV UTF-8"')],
    ),
    Bad(
        "UTF-16 JSON lines",
        "utf16.jsonl",
        lambda: json.dumps(transcript_obj()).encode("utf-16"),
        [("utf16.jsonl", "", 'the file is saved as UTF-16 ("Unicode text"), not UTF-8; save it as UTF-8')],
    ),
    Bad(
        "UTF-16 JSON array",
        "utf16.json",
        lambda: json.dumps([transcript_obj()]).encode("utf-16"),
        [("utf16.json", "", 'the file is saved as UTF-16 ("Unicode text"), not UTF-8; save it as UTF-8')],
    ),
    Bad(
        "bad UTF-8 in a JSON array",
        "bad.json",
        lambda: json.dumps([transcript_obj(cso_name="Rina")]).encode().replace(b"Rina", b"R\xffna"),
        [("bad.json", "", "the file is not UTF-8 text (byte 0xff on line 1); save it as UTF-8")],
    ),
    # --- control characters and broken characters
    Bad(
        "NUL in a message",
        "nul.csv",
        _csv(text="halo\x00"),
        [("row 2", "text", "text " + CONTROL.format(code="U+0000", at=5))],
    ),
    Bad(
        "bell in a name",
        "bell.csv",
        _csv(cso_name="Rina\x07"),
        [("row 2", "cso_name", "cso_name " + CONTROL.format(code="U+0007", at=5))],
    ),
    Bad(
        "escape in a category",
        "esc.csv",
        _csv(category="\x1b[31mInfo"),
        [("row 2", "category", "category " + CONTROL.format(code="U+001B", at=1))],
    ),
    Bad(
        "C1 control in a message",
        "c1.csv",
        _csv(text="ha\x85lo"),
        [("row 2", "text", "text " + CONTROL.format(code="U+0085", at=3))],
    ),
    Bad(
        "tab in an id",
        "tab.csv",
        lambda: csv_bytes([row(transcript_id="LC\t1")]),
        [
            (
                "row 2",
                "transcript_id",
                "transcript_id has a tab or line break at character 3; only a message's text may have one",
            )
        ],
    ),
    Bad(
        "escaped NUL in JSON",
        "nul.jsonl",
        _jsonl(transcript_obj(cso_name="Rina\u0000")),
        [("line 1", "cso_name", "cso_name " + CONTROL.format(code="U+0000", at=5))],
    ),
    Bad(
        "lone surrogate in a JSON line",
        "surrogate.jsonl",
        _jsonl(
            '{"id": "LC-1", "channel": "live_chat", "cso_name": "Rina", "messages": '
            '[{"sent_at": "2023-09-10T08:15:10", "sender": "cso", "text": "halo \\ud800"}]}'
        ),
        [("line 1", "message 1 text", "text " + SURROGATE.format(at=6))],
    ),
    Bad(
        "lone surrogate in a JSON array",
        "surrogate.json",
        lambda: b'[{"id": "LC-1", "channel": "live_chat", "cso_name": "\\ud800Rina", "messages": '
        b'[{"sent_at": "2023-09-10T08:15:10", "sender": "cso", "text": "halo"}]}]',
        [
            (
                "line 1",
                "",
                "a text has a broken character (a \\uD800-\\uDFFF escape without its other half, half of an emoji); "
                "save the file again from the program that made it, or retype that character",
            )
        ],
    ),
    # --- timestamps
    Bad(
        "year 0001",
        "y1.csv",
        _csv(sent_at="0001-01-01T00:00:00"),
        [
            (
                "row 2",
                "sent_at",
                "sent_at '0001-01-01T00:00:00' is not between 2000-01-01 and 2100-12-31: check the year",
            )
        ],
    ),
    Bad(
        "year 9999 at -12:00",
        "y9999.csv",
        _csv(sent_at="9999-12-31T23:00:00-12:00"),
        [
            (
                "row 2",
                "sent_at",
                "sent_at '9999-12-31T23:00:00-12:00' is not between 2000-01-01 and 2100-12-31: check the year",
            )
        ],
    ),
    Bad(
        "year 9999 in JSON",
        "y9999.jsonl",
        _jsonl(transcript_obj(messages=[_message(sent_at="9999-12-31T23:59:59-12:00")])),
        [
            (
                "line 1",
                "message 1 sent_at",
                "sent_at '9999-12-31T23:59:59-12:00' is not between 2000-01-01 and 2100-12-31: check the year",
            )
        ],
    ),
    Bad(
        "year 1999",
        "y1999.csv",
        _csv(sent_at="1999-12-31 23:59:59"),
        [
            (
                "row 2",
                "sent_at",
                "sent_at '1999-12-31 23:59:59' is not between 2000-01-01 and 2100-12-31: check the year",
            )
        ],
    ),
    Bad(
        "words for a time",
        "words.csv",
        _csv(sent_at="kemarin sore"),
        [("row 2", "sent_at", "sent_at 'kemarin sore' is not a date and time: " + WRITE_TIME)],
    ),
    Bad(
        "a number for a time",
        "epoch.jsonl",
        _jsonl(transcript_obj(messages=[_message(sent_at=1694333642)])),
        [("line 1", "message 1 sent_at", "sent_at '1694333642' is not a date and time: " + WRITE_TIME)],
    ),
    # --- lengths against the models
    Bad(
        "id of 303 characters",
        "longid.csv",
        _csv(transcript_id="T" * 303),
        [("row 2", "transcript_id", LONG.format(label="transcript_id", length=303, most=100))],
    ),
    Bad(
        "name of 5,000 characters",
        "longname.csv",
        _csv(cso_name="R" * 5000),
        [("row 2", "cso_name", LONG.format(label="cso_name", length="5,000", most=200))],
    ),
    Bad(
        "category of 1,000 characters",
        "longcat.csv",
        _csv(category="C" * 1000),
        [("row 2", "category", LONG.format(label="category", length="1,000", most=100))],
    ),
    Bad(
        "CSO id of 33 characters",
        "longcso.jsonl",
        _jsonl(transcript_obj(cso_id="C" * 33)),
        [("line 1", "cso_id", LONG.format(label="cso_id", length=33, most=32))],
    ),
    Bad(
        "platform of 51 characters",
        "longplat.jsonl",
        _jsonl(transcript_obj(platform="p" * 51)),
        [("line 1", "platform", LONG.format(label="platform", length=51, most=50))],
    ),
    Bad(
        "message over the limit",
        "longtext.csv",
        _csv(text="x" * 20_001),
        [
            (
                "row 2",
                "text",
                "text is 20,001 characters long; the limit is 20,000 (PLN123_UPLOAD_MAX_MESSAGE_CHARS): shorten it or split the message",
            )
        ],
    ),
    # --- conflicting rows, duplicate keys, non-booleans
    Bad(
        "conflicting channel",
        "channels.csv",
        _csv_second(channel="email"),
        [
            (
                "row 3",
                "channel",
                "transcript 'LC-1' has channel 'email' here but 'live_chat' on row 2, its first row; every row of a transcript must have the same channel",
            )
        ],
    ),
    Bad(
        "conflicting CSO",
        "csos.csv",
        _csv_second(cso_name="Budi Santoso"),
        [
            (
                "row 3",
                "cso_name",
                "transcript 'LC-1' has cso_name 'Budi Santoso' here but 'Rina Marlina' on row 2, its first row; every row of a transcript must have the same cso_name",
            )
        ],
    ),
    Bad(
        "conflicting CSO id",
        "csoids.csv",
        _csv_second(cso_id="CSO-999"),
        [
            (
                "row 3",
                "cso_id",
                "transcript 'LC-1' has cso_id 'CSO-999' here but 'CSO-017' on row 2, its first row; every row of a transcript must have the same cso_id",
            )
        ],
    ),
    Bad(
        "duplicate keys in a JSON line",
        "dup.jsonl",
        _jsonl(
            '{"id": "LC-1", "id": "LC-2", "channel": "live_chat", "cso_name": "Rina", "messages": '
            '[{"sent_at": "2023-09-10T08:15:10", "sender": "cso", "text": "halo"}]}'
        ),
        [("line 1", "id", "the key 'id' appears twice in one object; keep one of them")],
    ),
    Bad(
        "duplicate keys in a message",
        "dupmsg.jsonl",
        _jsonl(
            '{"id": "LC-1", "channel": "live_chat", "cso_name": "Rina", "messages": '
            '[{"sent_at": "2023-09-10T08:15:10", "sender": "cso", "text": "halo", "text": "bye"}]}'
        ),
        [("line 1", "message 1 text", "the key 'text' appears twice in one object; keep one of them")],
    ),
    Bad(
        "duplicate keys in a JSON array",
        "dup.json",
        lambda: b'[{"id": "LC-1", "channel": "live_chat", "channel": "email", "cso_name": "Rina", "messages": '
        b'[{"sent_at": "2023-09-10T08:15:10", "sender": "cso", "text": "halo"}]}]',
        [("object 1", "channel", "the key 'channel' appears twice in one object; keep one of them")],
    ),
    Bad(
        "first_contact maybe",
        "maybe.csv",
        _csv(first_contact="maybe"),
        [("row 2", "first_contact", "first_contact 'maybe' is not true or false; " + WRITE_BOOL)],
    ),
    Bad(
        "first_contact 2",
        "two.jsonl",
        _jsonl(transcript_obj(first_contact=2)),
        [("line 1", "first_contact", "first_contact '2' is not true or false; " + WRITE_BOOL)],
    ),
    Bad(
        "first_contact a list",
        "list.jsonl",
        _jsonl(transcript_obj(first_contact=[True])),
        [("line 1", "first_contact", "first_contact a list is not true or false; " + WRITE_BOOL)],
    ),
    # --- broken structure
    Bad(
        "an object for an array",
        "object.json",
        lambda: json.dumps(transcript_obj()).encode(),
        [("object.json", "", "a .json file must hold an array of transcript objects, not an object")],
    ),
    Bad(
        "null in an array",
        "null.json",
        lambda: b"[null]",
        [("object 1", "", "expected a transcript object, found null")],
    ),
    Bad(
        "text for an object",
        "text.jsonl",
        _jsonl('"hello"'),
        [("line 1", "", "expected a transcript object, found text")],
    ),
    Bad("nested too deeply", "deep.jsonl", _too_deep, [("line 1", "", "invalid JSON: nested too deeply")]),
    Bad(
        "a number of 5,000 digits",
        "bignum.jsonl",
        _big_number,
        [("line 1", "", "invalid JSON: a number has more than 4,300 digits")],
    ),
    Bad(
        "unclosed quote",
        "quote.csv",
        _unclosed_quote,
        [
            (
                "row 3",
                "",
                'the CSV cannot be read from here: a cell is longer than 131,072 characters, most often an unclosed quote: check that every quote (") opened on this row is closed',
            )
        ],
    ),
    # --- workbooks that are not, or that expand
    Bad("text named .xlsx", "fake.xlsx", _csv(), [("fake.xlsx", "", XLSX_CANNOT)]),
    Bad(
        "zip without a workbook", "nobook.xlsx", lambda: _zip({"hello.txt": b"hi"}), [("nobook.xlsx", "", XLSX_CANNOT)]
    ),
    Bad("cut-off workbook", "cut.xlsx", lambda: _good_xlsx()[:-200], [("cut.xlsx", "", XLSX_CANNOT)]),
    Bad(
        "far cell at XFD1048576",
        "far.xlsx",
        far_cell_xlsx,
        [
            (
                "far.xlsx",
                "",
                "the sheet declares 1,048,576 rows, more than the limit of 1,000 (PLN123_UPLOAD_MAX_ROWS); split it into smaller files and upload each",
            )
        ],
        {"UPLOAD_MAX_ROWS": 1000},
    ),
    Bad(
        "workbook that expands",
        "expands.xlsx",
        lambda: expanding_xlsx(40),
        [
            (
                "expands.xlsx",
                "",
                'the workbook unpacks to 40 MB, more than the limit of 10 MB (PLN123_UPLOAD_MAX_XLSX_MB); save the sheet as "CSV UTF-8" and upload that, or split it',
            )
        ],
        {"UPLOAD_MAX_XLSX_BYTES": 10 * 2**20},
    ),
    Bad(
        "table of texts of 70 MB",
        "texts.xlsx",
        shared_strings_bomb,
        [
            (
                "texts.xlsx",
                "",
                'the workbook\'s table of texts is 70 MB, too big to read; save the sheet as "CSV UTF-8" and upload that',
            )
        ],
    ),
]
