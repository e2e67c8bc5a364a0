"""The upload parsers: the file contract of docs/formats.md and rule S1 ordering."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json

import openpyxl
import pytest

from rules.transcript import MessageIn, TranscriptIn
from scoring.parsers import TABLE_COLUMNS, parse_upload
from scoring.types import RowError, UploadInvalid

CHANNELS = {"voice": False, "live_chat": False, "email": False, "social_media": True}
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}

UTC = dt.UTC
WRITE_TIME = "write it as 2023-09-10 14:05:00+07:00 or 2023-09-10T14:05:00Z"
WRITE_BOOL = "write true or false (or yes/no, 1/0), or leave it empty"
WITA = dt.timezone(dt.timedelta(hours=8))


def parse(filename: str, content: bytes) -> list[TranscriptIn]:
    return parse_upload(filename, content, channels=CHANNELS, zone_aliases=ZONES, default_zone="Asia/Jakarta")


def errors_of(filename: str, content: bytes) -> list[RowError]:
    with pytest.raises(UploadInvalid) as caught:
        parse(filename, content)
    return caught.value.errors


def without_source(transcripts: list[TranscriptIn]) -> list[TranscriptIn]:
    return [dataclasses.replace(t, source_line=None) for t in transcripts]


def row(**overrides: str) -> dict[str, str]:
    """One valid CSV row (a WITA live chat message) with some columns changed."""
    base = {
        "transcript_id": "LC-1",
        "channel": "live_chat",
        "platform": "web",
        "visibility": "private",
        "category": "Informasi",
        "timezone": "WITA",
        "cso_id": "CSO-017",
        "cso_name": "Rina Marlina",
        "first_contact": "true",
        "sent_at": "2023-09-10T08:14:02+08:00",
        "sender": "customer",
        "text": "Selamat pagi, token saya tidak masuk",
    }
    return base | overrides


def csv_bytes(rows: list[dict[str, str]], columns: tuple[str, ...] | list[str] = TABLE_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for cells in rows:
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def transcript_obj(**overrides: object) -> dict[str, object]:
    """One valid JSON transcript with some fields changed."""
    base: dict[str, object] = {
        "id": "LC-1",
        "channel": "live_chat",
        "platform": "web",
        "visibility": "private",
        "category": "Informasi",
        "timezone": "WITA",
        "cso_id": "CSO-017",
        "cso_name": "Rina Marlina",
        "first_contact": True,
        "messages": [
            {"sent_at": "2023-09-10T08:14:02+08:00", "sender": "customer", "text": "Selamat pagi"},
            {"sent_at": "2023-09-10T08:15:10+08:00", "sender": "cso", "text": "PLN 123 selamat Pagi"},
        ],
    }
    return base | overrides


def jsonl_bytes(*objects: object) -> bytes:
    return "\n".join(json.dumps(o) for o in objects).encode()


# --------------------------------------------------------------------------- dev data


@pytest.fixture
def dev_csv(dev_data) -> bytes:
    return (dev_data / "dev-transcripts.csv").read_bytes()


@pytest.fixture
def dev_jsonl(dev_data) -> bytes:
    return (dev_data / "dev-transcripts.jsonl").read_bytes()


def test_dev_csv_and_jsonl_give_the_same_240_transcripts(dev_csv, dev_jsonl):
    """GIVEN the dev data in both formats WHEN parsed THEN the same transcripts come out,
    field for field and message for message, in the file's order."""
    from_csv = parse("dev-transcripts.csv", dev_csv)
    from_jsonl = parse("dev-transcripts.jsonl", dev_jsonl)

    assert len(from_csv) == len(from_jsonl) == 240
    assert [t.external_id for t in from_csv] == [t.external_id for t in from_jsonl]
    assert without_source(from_csv) == without_source(from_jsonl)
    assert len({t.external_id for t in from_csv}) == 240
    assert all(t.messages for t in from_csv)


def test_dev_files_source_lines(dev_csv, dev_jsonl):
    from_csv = parse("dev-transcripts.csv", dev_csv)
    from_jsonl = parse("dev-transcripts.jsonl", dev_jsonl)

    assert [t.source_line for t in from_jsonl] == list(range(1, 241))
    assert from_csv[0].source_line == 2  # the header is row 1
    starts = [t.source_line for t in from_csv]
    assert starts == sorted(starts)
    # Each transcript takes as many rows as it has messages.
    assert all(b - a == len(t.messages) for a, b, t in zip(starts, starts[1:], from_csv, strict=False))


def test_dev_jsonl_matches_the_raw_objects(dev_jsonl):
    raw = [json.loads(line) for line in dev_jsonl.decode().splitlines()]
    parsed = parse("dev.jsonl", dev_jsonl)

    for obj, transcript in zip(raw, parsed, strict=True):
        assert transcript.external_id == obj["id"]
        assert transcript.channel == obj["channel"]
        assert transcript.cso_name == obj["cso_name"]
        assert transcript.first_contact is obj["first_contact"]
        assert [m.text for m in transcript.messages] == [m["text"] for m in obj["messages"]]


def test_dev_data_as_xlsx_parses_the_same(dev_csv):
    """GIVEN the dev CSV rows written to a workbook (naive times as real Excel dates)
    WHEN parsed THEN the transcripts equal those of the CSV."""
    records = list(csv.reader(io.StringIO(dev_csv.decode("utf-8-sig"), newline="")))
    sent_at = records[0].index("sent_at")
    sheet_rows: list[list[object]] = [records[0]]
    for record in records[1:]:
        cells: list[object] = list(record)
        when = dt.datetime.fromisoformat(record[sent_at])
        if when.tzinfo is None:
            cells[sent_at] = when  # a real date-time cell
        sheet_rows.append(cells)

    from_xlsx = parse("dev.xlsx", xlsx_bytes(sheet_rows))
    from_csv = parse("dev.csv", dev_csv)

    assert len(from_xlsx) == 240
    assert from_xlsx == from_csv  # same rows, so the same source rows too


def test_dev_data_as_json_array_parses_the_same(dev_jsonl):
    objects = [json.loads(line) for line in dev_jsonl.decode().splitlines()]
    content = json.dumps(objects, indent=2).encode()

    from_json = parse("dev.json", content)

    assert without_source(from_json) == without_source(parse("dev.jsonl", dev_jsonl))
    assert [t.source_line for t in from_json] == list(range(1, 241))


# --------------------------------------------------------------------------- valid shapes


def test_csv_with_bom_blank_lines_and_extra_columns():
    content = csv_bytes(
        [row(extra="ignored"), row(sender="cso", text="PLN 123", sent_at="2023-09-10T08:15:00+08:00")],
        columns=[*TABLE_COLUMNS, "extra"],
    )
    content = b"\xef\xbb\xbf" + content + b"\r\n\r\n,,,,,,,,,,,,\r\n"

    [transcript] = parse("upload.csv", content)

    assert transcript.external_id == "LC-1"
    assert [m.sender for m in transcript.messages] == ["customer", "cso"]


def test_csv_transcript_fields_come_from_the_first_row_and_ids_may_interleave():
    """The rows of one transcript need not follow one another; its own columns are read
    from its first row (channel and CSO must agree on every row: see the next test)."""
    content = csv_bytes(
        [
            row(transcript_id="A", cso_name="Rina"),
            row(transcript_id="B", channel="email", platform="email"),
            row(transcript_id="A", cso_name="Rina", platform="whatsapp", category="", sender="cso", text="halo"),
        ]
    )

    first, second = parse("upload.csv", content)

    assert (first.external_id, first.cso_name, first.channel, first.source_line) == ("A", "Rina", "live_chat", 2)
    assert (first.platform, first.category) == ("web", "Informasi")
    assert [m.text for m in first.messages] == ["Selamat pagi, token saya tidak masuk", "halo"]
    assert (second.external_id, second.channel, second.source_line) == ("B", "email", 3)


def test_csv_rows_of_one_transcript_that_disagree_on_channel_or_cso_are_refused():
    """Issue 10: a transcript id whose rows give two channels or two CSOs is two
    conversations under one id, or a mistake; never merged silently. Blank is not a
    disagreement (a tool may give the transcript's columns on its first row only)."""
    content = csv_bytes(
        [
            row(transcript_id="A"),
            row(transcript_id="B", channel="email", cso_id="CSO-020", cso_name="Budi"),
            row(transcript_id="A", channel="Voice", cso_name="Someone Else", sender="cso", text="halo"),
            row(transcript_id="B", channel="email", cso_id="CSO-021", cso_name="Budi", sender="cso", text="halo"),
            row(transcript_id="A", channel="", cso_id="", cso_name="", sender="cso", text="halo lagi"),
        ]
    )

    assert errors_of("upload.csv", content) == [
        RowError(
            "row 4",
            "channel",
            "transcript 'A' has channel 'voice' here but 'live_chat' on row 2, its first row; "
            "every row of a transcript must have the same channel",
        ),
        RowError(
            "row 4",
            "cso_name",
            "transcript 'A' has cso_name 'Someone Else' here but 'Rina Marlina' on row 2, its first row; "
            "every row of a transcript must have the same cso_name",
        ),
        RowError(
            "row 5",
            "cso_id",
            "transcript 'B' has cso_id 'CSO-021' here but 'CSO-020' on row 3, its first row; "
            "every row of a transcript must have the same cso_id",
        ),
    ]


def test_csv_row_numbers_count_records_not_lines():
    """A quoted text with a line break is one spreadsheet row."""
    content = csv_bytes(
        [row(text="baris satu\nbaris dua"), row(sender="bot"), row(transcript_id="B", sender="agent")],
    )

    errors = errors_of("upload.csv", content)

    assert [(e.location, e.column) for e in errors] == [("row 3", "sender"), ("row 4", "sender")]


def test_optional_fields_default():
    content = jsonl_bytes(
        {
            "id": " X-1 ",
            "channel": "voice",
            "cso_name": " Rina ",
            "messages": [{"sent_at": "2023-09-10T08:00:00", "sender": "cso", "text": " halo "}],
        }
    )

    [transcript] = parse("upload.jsonl", content)

    assert transcript == TranscriptIn(
        external_id="X-1",
        channel="voice",
        cso_name="Rina",
        messages=(
            MessageIn(
                sent_at=dt.datetime(2023, 9, 10, 8), sender="cso", text="halo", raw_sent_at="2023-09-10T08:00:00"
            ),
        ),
        platform="",
        visibility="private",
        category="",
        timezone="",
        cso_id="",
        first_contact=True,
        source_line=1,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        ("", True),
        ("false", False),
        ("False", False),
        ("no", False),
        ("0", False),
    ],
)
def test_first_contact_words(value, expected):
    [transcript] = parse("upload.csv", csv_bytes([row(first_contact=value)]))
    assert transcript.first_contact is expected


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), (1, True), (0, False), (None, True)])
def test_first_contact_json_values(value, expected):
    [transcript] = parse("upload.jsonl", jsonl_bytes(transcript_obj(first_contact=value)))
    assert transcript.first_contact is expected


@pytest.mark.parametrize(
    ("value", "stored"),
    [("WITA", "WITA"), ("wit", "WIT"), (" Wib ", "WIB"), ("Asia/Makassar", "Asia/Makassar"), ("", "")],
)
def test_time_zone_aliases_and_iana_names(value, stored):
    [transcript] = parse("upload.csv", csv_bytes([row(timezone=value)]))
    assert transcript.timezone == stored


def test_public_social_media_is_allowed():
    [transcript] = parse("upload.csv", csv_bytes([row(channel="social_media", visibility="public")]))
    assert transcript.visibility == "public"


def test_xlsx_uses_the_first_sheet_and_skips_blank_rows():
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.append(list(TABLE_COLUMNS))
    first.append(list(row().values()))
    first.append([])
    first.append(list(row(sender="cso", text="PLN 123", sent_at="2023-09-10T08:20:00+08:00").values()))
    workbook.create_sheet("notes").append(["not", "transcripts"])
    out = io.BytesIO()
    workbook.save(out)

    [transcript] = parse("upload.xlsx", out.getvalue())

    assert [m.text for m in transcript.messages] == ["Selamat pagi, token saya tidak masuk", "PLN 123"]


def test_xlsx_numbers_and_booleans_become_text_and_flags():
    header = list(TABLE_COLUMNS)
    cells = list(row().values())
    cells[header.index("cso_id")] = 17
    cells[header.index("first_contact")] = False
    cells[header.index("sent_at")] = dt.datetime(2023, 9, 10, 8, 14, 2)

    [transcript] = parse("upload.xlsx", xlsx_bytes([header, cells]))

    assert transcript.cso_id == "17"
    assert transcript.first_contact is False
    assert transcript.messages[0].sent_at == dt.datetime(2023, 9, 10, 8, 14, 2)


# --------------------------------------------------------------------------- rule S1 order


def test_messages_sorted_by_local_instant_with_mixed_offsets():
    """GIVEN a WITA transcript whose timestamps mix Z, other offsets and naive local time
    WHEN parsed THEN messages follow local time, ties keep file order, and each
    sent_at is kept as written (rule S1)."""
    rows = [
        row(sent_at="2023-09-10T01:00:00Z", sender="customer", text="09:00 WITA, written in UTC"),
        row(sent_at="2023-09-10T08:30:00", sender="customer", text="08:30 local"),
        row(sent_at="2023-09-10T09:00:00+08:00", sender="cso", text="09:00 WITA, tie, later in the file"),
        row(sent_at="2023-09-10T07:45:00+07:00", sender="cso", text="08:45 WITA, written in WIB"),
    ]

    [transcript] = parse("upload.csv", csv_bytes(rows))

    assert [m.text for m in transcript.messages] == [
        "08:30 local",
        "08:45 WITA, written in WIB",
        "09:00 WITA, written in UTC",
        "09:00 WITA, tie, later in the file",
    ]
    assert transcript.messages[2].sent_at == dt.datetime(2023, 9, 10, 1, 0, tzinfo=UTC)
    assert transcript.messages[0].sent_at.tzinfo is None


def test_the_transcript_zone_decides_where_naive_times_fall():
    """08:30 naive is before 01:00Z (09:00) in WITA, but after it (08:00) in WIB."""
    messages = [
        {"sent_at": "2023-09-10T01:00:00Z", "sender": "customer", "text": "utc"},
        {"sent_at": "2023-09-10T08:30:00", "sender": "cso", "text": "naive"},
    ]
    wita, wib, default = parse(
        "upload.jsonl",
        jsonl_bytes(
            transcript_obj(id="A", timezone="WITA", messages=messages),
            transcript_obj(id="B", timezone="Asia/Jakarta", messages=messages),
            transcript_obj(id="C", timezone="", messages=messages),
        ),
    )

    assert [m.text for m in wita.messages] == ["naive", "utc"]
    assert [m.text for m in wib.messages] == ["utc", "naive"]
    assert [m.text for m in default.messages] == ["utc", "naive"]  # site default: Asia/Jakarta


# --------------------------------------------------------------------------- bad CSV


CHANNEL_LIST = "email, live_chat, social_media, voice"


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"channel": "livechat"}, "channel", f"channel 'livechat' is not one of {CHANNEL_LIST}"),
        ({"channel": ""}, "channel", "channel is missing"),
        (
            {"sent_at": "2023-13-01 99:00"},
            "sent_at",
            "sent_at '2023-13-01 99:00' is not a date and time: " + WRITE_TIME,
        ),
        ({"sent_at": "2023-09-10"}, "sent_at", "sent_at '2023-09-10' is not a date and time: " + WRITE_TIME),
        ({"sent_at": ""}, "sent_at", "sent_at is missing"),
        ({"visibility": "public"}, "visibility", "visibility 'public' is only allowed on social_media"),
        ({"visibility": "secret"}, "visibility", "visibility 'secret' is not one of private, public"),
        ({"timezone": "WITT"}, "timezone", "unknown time zone 'WITT' (use an IANA name or WIB, WITA, WIT)"),
        (
            {"timezone": "Asia/Atlantis"},
            "timezone",
            "unknown time zone 'Asia/Atlantis' (use an IANA name or WIB, WITA, WIT)",
        ),
        ({"sender": "agent"}, "sender", "sender 'agent' is not customer or cso"),
        ({"sender": ""}, "sender", "sender is missing"),
        ({"text": ""}, "text", "text is empty"),
        ({"text": "   "}, "text", "text is empty"),
        ({"first_contact": "maybe"}, "first_contact", "first_contact 'maybe' is not true or false; " + WRITE_BOOL),
        ({"transcript_id": ""}, "transcript_id", "transcript_id is missing"),
        ({"cso_name": " "}, "cso_name", "cso_name is missing"),
    ],
)
def test_bad_csv_values(overrides, column, message):
    content = csv_bytes([row(), row(**{"transcript_id": "LC-2"} | overrides)])

    assert errors_of("upload.csv", content) == [RowError("row 3", column, message)]


def test_bad_csv_collects_every_error():
    """GIVEN a CSV with a bad channel on row 3 and a bad timestamp on row 5
    WHEN parsed THEN both are reported, in file order."""
    content = csv_bytes(
        [
            row(transcript_id="A"),
            row(transcript_id="B", channel="livechat"),
            row(transcript_id="B", sender="cso", text="halo"),
            row(transcript_id="C", sent_at="kemarin sore"),
        ]
    )

    errors = errors_of("upload.csv", content)

    assert errors == [
        RowError("row 3", "channel", f"channel 'livechat' is not one of {CHANNEL_LIST}"),
        RowError("row 5", "sent_at", "sent_at 'kemarin sore' is not a date and time: " + WRITE_TIME),
    ]
    assert str(errors[0]) == f"row 3, column channel: channel 'livechat' is not one of {CHANNEL_LIST}"


def test_bad_csv_several_errors_on_one_row():
    content = csv_bytes([row(channel="chat", sender="bot", text="")])

    assert [(e.location, e.column) for e in errors_of("upload.csv", content)] == [
        ("row 2", "channel"),
        ("row 2", "sender"),
        ("row 2", "text"),
    ]


def test_transcript_columns_of_later_rows_are_not_checked():
    """The spec takes them from the first row, so a stray value later is not an error,
    except channel and CSO, which must agree (issue 10)."""
    content = csv_bytes([row(), row(timezone="Mars/Base", platform="fax", sender="cso", text="halo")])

    [transcript] = parse("upload.csv", content)

    assert (transcript.timezone, transcript.platform) == ("WITA", "web")
    assert errors_of("upload.csv", csv_bytes([row(), row(channel="nonsense")])) == [
        RowError(
            "row 3",
            "channel",
            "transcript 'LC-1' has channel 'nonsense' here but 'live_chat' on row 2, its first row; "
            "every row of a transcript must have the same channel",
        )
    ]


def test_csv_missing_columns_are_reported_once_on_row_1():
    columns = [c for c in TABLE_COLUMNS if c not in ("text", "cso_name")]
    content = csv_bytes([row(), row()], columns=columns)

    assert errors_of("upload.csv", content) == [
        RowError("row 1", "cso_name", "missing column cso_name"),
        RowError("row 1", "text", "missing column text"),
    ]


def test_csv_optional_columns_may_be_absent():
    columns = ["transcript_id", "channel", "cso_name", "sent_at", "sender", "text"]

    [transcript] = parse("upload.csv", csv_bytes([row()], columns=columns))

    assert (transcript.visibility, transcript.timezone, transcript.first_contact) == ("private", "", True)


def test_csv_header_names_ignore_case_and_spaces():
    content = csv_bytes([row()]).replace(b"transcript_id,channel", b" Transcript_ID , CHANNEL ", 1)

    [transcript] = parse("upload.csv", content)

    assert transcript.channel == "live_chat"


def test_csv_not_utf8():
    content = csv_bytes([row(cso_name="Rina")]).replace(b"Rina", "Riña".encode("cp1252"))

    [error] = errors_of("upload.csv", content)

    assert error.location == "upload.csv"
    assert "not UTF-8" in error.message and "line 2" in error.message


def test_csv_that_the_reader_cannot_read_is_a_row_error():
    content = csv_bytes([row(), row(text="x" * 200_000)])

    [error] = errors_of("upload.csv", content)

    assert error.location == "row 3"
    assert error.message.startswith("the CSV cannot be read from here: ")


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("empty.csv", b""),
        ("header-only.csv", ",".join(TABLE_COLUMNS).encode() + b"\r\n"),
        ("bom-only.csv", b"\xef\xbb\xbf"),
        ("empty.jsonl", b""),
        ("blank.jsonl", b"\n\n  \n"),
        ("empty.json", b""),
        ("empty-array.json", b"[]"),
        ("empty.xlsx", xlsx_bytes([])),
        ("header-only.xlsx", xlsx_bytes([list(TABLE_COLUMNS)])),
    ],
)
def test_empty_files(filename, content):
    assert errors_of(filename, content) == [RowError(filename, "", "the file holds no transcripts")]


# --------------------------------------------------------------------------- bad XLSX


def test_xlsx_errors_name_spreadsheet_rows():
    header = list(TABLE_COLUMNS)
    good = list(row().values())
    bad = list(row(transcript_id="LC-2", channel="livechat").values())
    late = list(row(sent_at="2023-02-30T10:00:00").values())

    errors = errors_of("upload.xlsx", xlsx_bytes([header, good, [], bad, late]))

    assert errors == [
        RowError("row 4", "channel", f"channel 'livechat' is not one of {CHANNEL_LIST}"),
        RowError("row 5", "sent_at", "sent_at '2023-02-30T10:00:00' is not a date and time: " + WRITE_TIME),
    ]


def test_xlsx_missing_column():
    header = [c for c in TABLE_COLUMNS if c != "sender"]
    cells = [v for k, v in row().items() if k != "sender"]

    assert errors_of("upload.xlsx", xlsx_bytes([header, cells])) == [
        RowError("row 1", "sender", "missing column sender")
    ]


def test_xlsx_time_cell_is_not_a_date_and_time():
    header = list(TABLE_COLUMNS)
    cells: list[object] = list(row().values())
    cells[header.index("sent_at")] = 45000  # a bare number

    [error] = errors_of("upload.xlsx", xlsx_bytes([header, cells]))

    assert (error.location, error.column) == ("row 2", "sent_at")


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip at all", b"PK\x03\x04broken", csv_bytes([row()])],
    ids=["empty", "text", "broken-zip", "csv-renamed"],
)
def test_corrupt_xlsx(content):
    [error] = errors_of("upload.xlsx", content)

    assert error.location == "upload.xlsx"
    assert "cannot be opened as an Excel workbook" in error.message


def test_xlsx_zip_that_is_not_a_workbook():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")

    [error] = errors_of("upload.xlsx", out.getvalue())

    assert "cannot be opened as an Excel workbook" in error.message


# --------------------------------------------------------------------------- bad JSON


def message(**overrides: object) -> dict[str, object]:
    return {"sent_at": "2023-09-10T08:14:02+08:00", "sender": "customer", "text": "halo"} | overrides


@pytest.mark.parametrize(
    ("obj", "column", "text"),
    [
        (transcript_obj(channel="livechat"), "channel", f"channel 'livechat' is not one of {CHANNEL_LIST}"),
        (transcript_obj(id=""), "id", "id is missing"),
        ({k: v for k, v in transcript_obj().items() if k != "id"}, "id", "id is missing"),
        ({k: v for k, v in transcript_obj().items() if k != "cso_name"}, "cso_name", "cso_name is missing"),
        ({k: v for k, v in transcript_obj().items() if k != "messages"}, "messages", "messages is missing"),
        (transcript_obj(messages=[]), "messages", "messages is empty (a transcript needs at least one message)"),
        (transcript_obj(messages="hi"), "messages", "messages must be a list, not text"),
        (transcript_obj(messages=["hi"]), "messages", "message 1 must be an object, not text"),
        (
            transcript_obj(first_contact="maybe"),
            "first_contact",
            "first_contact 'maybe' is not true or false; " + WRITE_BOOL,
        ),
        (transcript_obj(first_contact=2), "first_contact", "first_contact '2' is not true or false; " + WRITE_BOOL),
        (transcript_obj(visibility="public"), "visibility", "visibility 'public' is only allowed on social_media"),
        (
            transcript_obj(timezone="WITT"),
            "timezone",
            "unknown time zone 'WITT' (use an IANA name or WIB, WITA, WIT)",
        ),
        (transcript_obj(cso_name=["Rina"]), "cso_name", "cso_name must be plain text, not a list"),
        (
            transcript_obj(messages=[message(), {"sent_at": "2023-09-10T08:15:00", "text": "halo"}]),
            "message 2 sender",
            "sender is missing",
        ),
        (transcript_obj(messages=[message(text=None)]), "message 1 text", "text is empty"),
        (transcript_obj(messages=[message(sender="bot")]), "message 1 sender", "sender 'bot' is not customer or cso"),
        (
            transcript_obj(messages=[message(sent_at="yesterday")]),
            "message 1 sent_at",
            "sent_at 'yesterday' is not a date and time: " + WRITE_TIME,
        ),
        (
            transcript_obj(messages=[message(sent_at=1694333642)]),
            "message 1 sent_at",
            "sent_at '1694333642' is not a date and time: " + WRITE_TIME,
        ),
    ],
)
def test_bad_json_values(obj, column, text):
    """The same object is checked the same way as a JSON Lines line and in a JSON array."""
    assert errors_of("upload.jsonl", jsonl_bytes(transcript_obj(id="OK"), obj)) == [RowError("line 2", column, text)]
    assert errors_of("upload.json", json.dumps([transcript_obj(id="OK"), obj]).encode()) == [
        RowError("object 2", column, text)
    ]


def test_jsonl_invalid_line_and_bad_values_are_all_reported():
    lines = [
        json.dumps(transcript_obj(id="A")),
        "",
        '{"id": "B", "channel": ',
        json.dumps(transcript_obj(id="C", channel="sms")),
        "[1, 2]",
    ]

    errors = errors_of("upload.jsonl", "\n".join(lines).encode())

    assert [(e.location, e.column) for e in errors] == [("line 3", ""), ("line 4", "channel"), ("line 5", "")]
    assert errors[0].message.startswith("invalid JSON: ")
    assert errors[2].message == "expected a transcript object, found a list"


def test_duplicate_ids_name_both_places():
    content = jsonl_bytes(transcript_obj(id="A"), transcript_obj(id="B"), transcript_obj(id="A"))

    assert errors_of("upload.jsonl", content) == [
        RowError("line 3", "id", "id 'A' appears twice, on line 1 and line 3")
    ]

    array = json.dumps([transcript_obj(id="A"), transcript_obj(id="A")]).encode()
    assert errors_of("upload.json", array) == [
        RowError("object 2", "id", "id 'A' appears twice, on object 1 and object 2")
    ]


def test_json_array_syntax_error_names_the_line():
    content = b'[\n  {"id": "A"},\n  {"id": "B",}\n]'

    [error] = errors_of("upload.json", content)

    assert error.location == "line 3"
    assert error.message.startswith("invalid JSON: ")


def test_json_that_is_not_an_array():
    [error] = errors_of("upload.json", json.dumps(transcript_obj()).encode())

    assert error == RowError("upload.json", "", "a .json file must hold an array of transcript objects, not an object")


def test_jsonl_accepts_crlf_and_bom():
    content = b"\xef\xbb\xbf" + jsonl_bytes(transcript_obj(id="A"), transcript_obj(id="B")).replace(b"\n", b"\r\n")

    assert [t.external_id for t in parse("upload.jsonl", content)] == ["A", "B"]


def test_json_not_utf8():
    [error] = errors_of("upload.jsonl", b'{"id": "\xff"}')

    assert "not UTF-8" in error.message


# --------------------------------------------------------------------------- file names


@pytest.mark.parametrize("filename", ["upload.txt", "upload", "upload.xls", "/tmp/folder/report.tsv"])
def test_unknown_extension(filename):
    [error] = errors_of(filename, b"whatever")

    name = filename.rsplit("/", 1)[-1]
    assert error == RowError(name, "", f"'{name}' is not a .csv, .json, .jsonl or .xlsx file")


def test_extension_is_case_insensitive():
    assert len(parse("UPLOAD.CSV", csv_bytes([row()]))) == 1


def test_upload_invalid_message_is_readable():
    with pytest.raises(UploadInvalid) as caught:
        parse("upload.csv", csv_bytes([row(channel="x")]))

    assert str(caught.value) == f"row 2, column channel: channel 'x' is not one of {CHANNEL_LIST}"
