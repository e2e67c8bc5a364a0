"""The dev transcripts (tests/data), imported and exported through the commands,
reproduce the labels of dev-expected.csv: result on every row, directive on every
YES and NO, and the flags of rule S10."""

import pytest

from scoring.models import Score, Transcript, UploadBatch
from tests.labels import export_rows, import_inline, mismatches, read_expected


@pytest.mark.parametrize("filename", ["dev-transcripts.csv", "dev-transcripts.jsonl"])
def test_import_and_export_reproduce_the_labels(seeded, dev_data, tmp_path, filename, capsys):
    """GIVEN the seeded SOP
    WHEN the dev file is imported with --inline and the scores exported
    THEN every row has the labelled result, and YES/NO rows the labelled directive."""
    import_inline(dev_data / filename)
    assert "240 scored, 0 failed" in capsys.readouterr().out
    rows = export_rows(tmp_path)
    assert len(rows) == 240
    assert mismatches(rows, read_expected(dev_data / "dev-expected.csv")) == []
    assert all(row["reason"] and row["parameter_code"] == "1.1" for row in rows)


def test_second_format_updates_the_same_transcripts(seeded, dev_data, tmp_path):
    """The same ids uploaded again update their transcripts and are scored again;
    nothing is duplicated and the old scores stay, no longer current."""
    import_inline(dev_data / "dev-transcripts.csv")
    import_inline(dev_data / "dev-transcripts.jsonl")
    assert Transcript.objects.count() == 240
    assert Score.objects.filter(is_current=True).count() == 240
    assert Score.objects.filter(is_current=False).count() == 240
    rows = export_rows(tmp_path)
    assert mismatches(rows, read_expected(dev_data / "dev-expected.csv")) == []
    second = UploadBatch.objects.order_by("-pk").first()
    batch_rows = export_rows(tmp_path, "--batch", str(second.pk))
    assert len(batch_rows) == 240


def test_flags_follow_rule_s10(seeded, dev_data, tmp_path):
    """Every flag of the labels, and no other. SM-D00148 is the once disputed one (see
    tests/data/README.md): a public complaint answered with the HPN greeting while it was
    in force, with one tolerated typo ("Nasoinal"); S10 with the tolerance of S8 flags it."""
    import_inline(dev_data / "dev-transcripts.jsonl")
    rows = export_rows(tmp_path)
    assert mismatches(rows, read_expected(dev_data / "dev-expected.csv"), fields=("flags",)) == []
    flagged = {row["transcript_id"] for row in rows if row["flags"]}
    assert len(flagged) == 18
    assert "SM-D00148" in flagged
    assert {row["flags"] for row in rows if row["flags"]} == {"festive_on_public_complaint"}
