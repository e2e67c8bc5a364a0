"""The dev transcripts, imported and exported through the commands, reproduce the
labels of dev-expected.csv: result on every row, directive on every YES and NO."""

import csv

import pytest
from django.core.management import call_command

from scoring.models import Score, Transcript, UploadBatch


def _expected(shared_dir):
    with open(shared_dir / "data" / "dev-expected.csv", encoding="utf-8") as fh:
        return {row["transcript_id"]: row for row in csv.DictReader(fh)}


def _export(tmp_path, *args):
    target = tmp_path / "scores.csv"
    call_command("export_scores", str(target), *args)
    with open(target, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _mismatches(rows, expected):
    got = {row["transcript_id"]: row for row in rows}
    assert set(got) == set(expected)
    out = []
    for tid, want in expected.items():
        row = got[tid]
        if row["result"] != want["result"]:
            out.append(f"{tid}: result {row['result']} != {want['result']} ({row['reason']})")
        elif want["result"] != "NA" and row["directive"] != want["directive"]:
            out.append(f"{tid}: directive {row['directive']} != {want['directive']}")
    return out


@pytest.mark.parametrize("filename", ["dev-transcripts.csv", "dev-transcripts.jsonl"])
def test_import_and_export_reproduce_the_labels(seeded, shared_dir, tmp_path, filename, capsys):
    """GIVEN the seeded SOP
    WHEN the dev file is imported with --inline and the scores exported
    THEN every row has the labelled result, and YES/NO rows the labelled directive."""
    call_command("import_transcripts", str(shared_dir / "data" / filename), "--inline")
    assert "240 scored, 0 failed" in capsys.readouterr().out
    rows = _export(tmp_path)
    assert len(rows) == 240
    assert _mismatches(rows, _expected(shared_dir)) == []
    assert all(row["reason"] and row["parameter_code"] == "1.1" for row in rows)


def test_second_format_updates_the_same_transcripts(seeded, shared_dir, tmp_path):
    """The same ids uploaded again update their transcripts and are scored again;
    nothing is duplicated and the old scores stay, no longer current."""
    call_command("import_transcripts", str(shared_dir / "data" / "dev-transcripts.csv"), "--inline")
    call_command("import_transcripts", str(shared_dir / "data" / "dev-transcripts.jsonl"), "--inline")
    assert Transcript.objects.count() == 240
    assert Score.objects.filter(is_current=True).count() == 240
    assert Score.objects.filter(is_current=False).count() == 240
    rows = _export(tmp_path)
    assert _mismatches(rows, _expected(shared_dir)) == []
    second = UploadBatch.objects.order_by("-pk").first()
    batch_rows = _export(tmp_path, "--batch", str(second.pk))
    assert len(batch_rows) == 240


# dev-expected.csv leaves SM-D00148 unflagged: a public complaint answered with the HPN
# greeting while it was in force, with one tolerated typo ("Nasoinal"). Rule S10 flags
# a directive's special greeting used on such a post, and S8 tolerates that typo, so
# the site flags it; the disagreement is reported to the spec's owners.
FLAG_LABEL_DISPUTED = {"SM-D00148"}


def test_flags_follow_rule_s10(seeded, shared_dir, tmp_path):
    call_command("import_transcripts", str(shared_dir / "data" / "dev-transcripts.jsonl"), "--inline")
    got = {row["transcript_id"]: row["flags"] for row in _export(tmp_path)}
    expected = _expected(shared_dir)
    wrong = [tid for tid, row in expected.items() if tid not in FLAG_LABEL_DISPUTED and got[tid] != row["flags"]]
    assert wrong == []
    assert sum(1 for f in got.values() if f) == 18
    assert all(got[tid] == "festive_on_public_complaint" for tid in FLAG_LABEL_DISPUTED)
