"""Labelled transcripts through the real path, for the tests that check the site's
verdicts against labels: the dev set (tests/scoring/test_dev_data.py), a labelled set
named at run time (tests/acceptance/) and generated ones (tests/scoring/test_synthetic.py).

The path is the one QA uses from the command line: ``import_transcripts --inline`` then
``export_scores``, so the labels are compared with what a person would download.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management import call_command

# Compared only where a greeting was owed: a NA row names no deciding directive in the labels.
OWED_ONLY = frozenset({"directive", "expected_greeting"})


def read_expected(path: Path) -> dict[str, dict[str, str]]:
    """A labels file such as dev-expected.csv, by transcript id."""
    with open(path, encoding="utf-8") as fh:
        return {row["transcript_id"]: row for row in csv.DictReader(fh)}


def import_inline(path: Path) -> None:
    """Validate, store and score ``path`` in this process, as ``import_transcripts --inline`` does."""
    call_command("import_transcripts", str(path), "--inline")


def export_rows(tmp_path: Path, *args: str) -> list[dict[str, str]]:
    """The rows of ``export_scores`` (CSV), one per transcript and parameter."""
    target = tmp_path / "scores.csv"
    call_command("export_scores", str(target), *args)
    with open(target, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def mismatches(
    rows: list[dict[str, str]],
    expected: dict[str, dict[str, str]],
    *,
    fields: tuple[str, ...] = ("result", "directive"),
    skip: frozenset[str] = frozenset(),
) -> list[str]:
    """Where the exported ``rows`` differ from the labels, one line per difference.

    ``result`` is compared on every row; ``directive`` and ``expected_greeting`` only
    where the label owes a greeting (YES or NO); any other field (``flags``) everywhere.
    Ids in ``skip`` are not compared. Every labelled id must be exported, and no other.
    """
    got = {row["transcript_id"]: row for row in rows}
    assert set(got) == set(expected), "the export and the labels name different transcripts"
    out = []
    for tid, want in expected.items():
        if tid in skip:
            continue
        row = got[tid]
        for name in fields:
            if name in OWED_ONLY and want["result"] == "NA":
                continue
            if row[name] != want[name]:
                out.append(f"{tid}: {name} {row[name]!r} != {want[name]!r} ({row['reason']})")
                break
    return out
