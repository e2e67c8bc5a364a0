"""Property-based tests of the upload parsers (issue 10): whatever the text, the
timestamps or the bytes, a parser returns transcripts or refuses the file with
located problems; it never raises anything else."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.parsers import TABLE_COLUMNS, parse_upload
from scoring.types import UploadInvalid
from tests.scoring.test_parsers import CHANNELS, ZONES

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EMOJI_AND_RTL = st.sampled_from(["😀", "👍🏽", "👨‍👩‍👧", "مرحبا", "שלום", "\u202e", "\u200f", "\ufeff", "🇮🇩"])
TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(EMOJI_AND_RTL, st.text(max_size=5)), max_size=20).map("".join),
    st.sampled_from(["", " ", "x" * 20_001, "x" * 20_000, "\x00", "\x07", "a\tb\nc\r\nd", "\x85"]),
)
OFFSETS = st.sampled_from(["", "Z", "+07:00", "-12:00", "+14:00", "+23:59", "-23:59"])
MOMENTS = st.one_of(
    st.builds(lambda d, o: d.isoformat() + o, st.datetimes(min_value=dt.datetime(1, 1, 1)), OFFSETS),
    st.builds(lambda d, o: d.isoformat(sep=" ") + o, st.datetimes(), OFFSETS),
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=True),
    st.none(),
)


def parse_or_problems(filename: str, content: bytes):
    try:
        return parse_upload(filename, content, channels=CHANNELS, zone_aliases=ZONES, default_zone="Asia/Jakarta")
    except UploadInvalid as exc:
        assert exc.errors, "a refusal lists its problems"
        for error in exc.errors:
            assert error.location and error.message
            assert "Traceback" not in error.message and "Error" not in error.message.split(":")[0]
            assert not any(0xD800 <= ord(c) <= 0xDFFF or ord(c) < 0x20 for c in error.message + error.column)
        return exc


def transcript(name, text, when, first_contact):
    return {
        "id": "P-1",
        "channel": "live_chat",
        "cso_name": name,
        "first_contact": first_contact,
        "messages": [{"sent_at": when, "sender": "cso", "text": text}],
    }


BOOLS = st.one_of(st.booleans(), st.none(), st.integers(), st.text(max_size=6), st.lists(st.booleans(), max_size=2))


@SETTINGS
@given(name=TEXT, text=TEXT, when=MOMENTS, first_contact=BOOLS)
def test_json_lines_and_arrays_never_crash(name, text, when, first_contact):
    obj = transcript(name, text, when, first_contact)
    for filename, content in (
        ("p.jsonl", json.dumps(obj).encode()),
        ("p.jsonl", json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")),
        ("p.json", json.dumps([obj]).encode()),
    ):
        result = parse_or_problems(filename, content)
        if isinstance(result, list):
            [parsed] = result
            assert parsed.messages[0].text == text.strip()
            assert dt.date(2000, 1, 1) <= parsed.messages[0].sent_at.date() <= dt.date(2100, 12, 31)


@SETTINGS
@given(name=TEXT, text=TEXT, when=MOMENTS, first_contact=BOOLS, extra=st.text(max_size=10))
def test_csv_rows_never_crash(name, text, when, first_contact, extra):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*TABLE_COLUMNS, "extra"])
    values = {
        "transcript_id": "P-1",
        "channel": "live_chat",
        "cso_name": name,
        "first_contact": first_contact,
        "sent_at": when,
        "sender": "cso",
        "text": text,
    }
    writer.writerow([values.get(c, "") for c in TABLE_COLUMNS] + [extra])
    result = parse_or_problems("p.csv", out.getvalue().encode("utf-8", "surrogatepass"))
    if isinstance(result, list):
        assert result[0].messages[0].text == text.strip()


@SETTINGS
@given(
    escape=st.integers(min_value=0xD800, max_value=0xDFFF),
    partner=st.one_of(st.none(), st.integers(min_value=0xD800, max_value=0xDFFF)),
)
def test_surrogate_escapes_are_either_a_pair_or_refused(escape, partner):
    raw = f"\\u{escape:04x}" + (f"\\u{partner:04x}" if partner is not None else "")
    line = (
        '{"id": "S-1", "channel": "live_chat", "cso_name": "R", "messages": '
        f'[{{"sent_at": "2023-09-10T08:00:00", "sender": "cso", "text": "a{raw}b"}}]}}'
    )
    is_pair = partner is not None and escape < 0xDC00 <= partner
    for filename, content in (("s.jsonl", line.encode()), ("s.json", f"[{line}]".encode())):
        result = parse_or_problems(filename, content)
        assert isinstance(result, list) == is_pair, (raw, result)


@SETTINGS
@given(content=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".json", ".jsonl", ".xlsx"]))
def test_any_bytes_never_crash(content, suffix):
    parse_or_problems("any" + suffix, content)
