"""The engine's verdicts, pinned: every verdict on the 240 dev transcripts and 21
variants of each (other days and hours, other zones, other channels, a follow-up, a
public Informasi post), under the seeded SOP and under the SOP plus two more
directives (Natal 2023, and one overlapping HPN at a higher priority), is recorded in
``golden/verdicts.jsonl.gz``: result, deciding document and version, reason, flags,
expected greeting, matched passage and its span. 10,560 verdicts on plain data.

A refactoring or a speed-up must leave every one of them as it is; the test names
the first differences. When a change is meant (a clearer reason, a rule fixed),
regenerate with ``PLN123_UPDATE_GOLDEN=1 pytest tests/rules/test_golden.py``, and
say in the commit which verdicts changed and why.
"""

import dataclasses
import datetime as dt
import gzip
import json
import os
from pathlib import Path

import pytest

from rules.engine import score_transcript
from scoring.parsers import parse_upload
from tests.rules.snapshots import directive, seeded_policy, with_directives

DATA = Path(__file__).resolve().parent.parent / "data" / "dev-transcripts.jsonl"
GOLDEN = Path(__file__).resolve().parent / "golden" / "verdicts.jsonl.gz"


def variants(t):
    yield t
    for days in (-10, -5, 20, 80):
        for hours in (0, 5, 11):
            delta = dt.timedelta(days=days, hours=hours)
            messages = tuple(dataclasses.replace(m, sent_at=m.sent_at + delta) for m in t.messages)
            yield dataclasses.replace(t, messages=messages, external_id=f"{t.external_id}/{days}/{hours}")
    for zone in ("WIB", "WITA", "WIT", "Asia/Jayapura"):
        yield dataclasses.replace(t, timezone=zone, external_id=f"{t.external_id}/{zone}")
    for channel in ("voice", "live_chat", "email"):
        yield dataclasses.replace(t, channel=channel, visibility="private", external_id=f"{t.external_id}/{channel}")
    yield dataclasses.replace(t, first_contact=False, external_id=f"{t.external_id}/fc")
    yield dataclasses.replace(
        t, visibility="public", channel="social_media", category="Informasi", external_id=f"{t.external_id}/pubinfo"
    )


def policies():
    seed = seeded_policy()
    natal = directive(
        "SOP-PLN123-NATAL2023",
        "PLN 123 Selamat {waktu}, Selamat Hari Natal 2023, dengan {nama_cso} bisa dibantu",
        start=dt.date(2023, 12, 20),
        end=dt.date(2023, 12, 26),
    )
    over = directive(
        "SOP-PLN123-OVER",
        "PLN 123 Selamat {waktu}, Salam Hemat Energi, dengan {nama_cso} siap membantu",
        start=dt.date(2023, 9, 15),
        end=dt.date(2023, 9, 20),
        channels=("live_chat", "email"),
        priority=5,
    )
    return {"seed": seed, "more": with_directives(seed, natal, over)}


def verdict_rows():
    transcripts = parse_upload(
        DATA.name,
        DATA.read_bytes(),
        channels={"voice": False, "live_chat": False, "email": False, "social_media": True},
        zone_aliases={"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"},
        default_zone="Asia/Jakarta",
    )
    for label, policy in policies().items():
        for transcript in transcripts:
            for variant in variants(transcript):
                for v in score_transcript(policy, variant):
                    document = v.directive
                    yield {
                        "policy": label,
                        "id": variant.external_id,
                        "result": str(v.result),
                        "directive": document.reference if document else None,
                        "version": document.version if document else None,
                        "reason": v.reason,
                        "flags": list(v.flags),
                        "expected_greeting": v.expected_greeting,
                        "passage": v.matched_passage,
                        "span": list(v.passage_span) if v.passage_span else None,
                    }


def test_every_verdict_is_as_recorded():
    got = list(verdict_rows())
    if os.environ.get("PLN123_UPDATE_GOLDEN") == "1":
        with gzip.open(GOLDEN, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in got)
        pytest.skip(f"rewrote {GOLDEN.name} with {len(got)} verdicts")
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        want = [json.loads(line) for line in fh]
    assert len(got) == len(want) == 10560
    different = [(w, g) for w, g in zip(want, got, strict=True) if w != g]
    shown = "\n".join(
        f"{w['policy']} {w['id']}: {', '.join(f'{k}: {w[k]!r} -> {g[k]!r}' for k in w if w[k] != g.get(k))}"
        for w, g in different[:10]
    )
    assert not different, f"{len(different)} verdicts changed:\n{shown}"
