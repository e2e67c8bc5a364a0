"""Acceptance on a labelled set named at run time, such as a newer copy of the dev set
or one held back from development: PLN123_ACCEPTANCE_DATA names a folder holding
dev-transcripts.csv, dev-transcripts.jsonl and dev-expected.csv (the layout of
tests/data). Skipped when the variable is not set; CI sets it when it has such a folder.

The site must reproduce every label: the result on every transcript, and the deciding
directive on every YES and NO."""

import os
from pathlib import Path

import pytest

from tests.labels import export_rows, import_inline, mismatches, read_expected

ENV = "PLN123_ACCEPTANCE_DATA"
FILES = ("dev-transcripts.csv", "dev-transcripts.jsonl", "dev-expected.csv")


@pytest.fixture
def acceptance_data() -> Path:
    named = os.environ.get(ENV, "").strip()
    if not named:
        pytest.skip(f"{ENV} is not set: no labelled set to accept against")
    folder = Path(named)
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        pytest.fail(f"{ENV}={named} lacks {', '.join(missing)}")
    return folder


@pytest.mark.parametrize("filename", ["dev-transcripts.csv", "dev-transcripts.jsonl"])
def test_every_label_is_reproduced(seeded, acceptance_data, tmp_path, filename):
    """GIVEN the seeded SOP and the labelled set
    WHEN its transcripts are imported with --inline and the scores exported
    THEN the results, and the directives of YES and NO, are those of the labels."""
    expected = read_expected(acceptance_data / "dev-expected.csv")
    import_inline(acceptance_data / filename)
    rows = export_rows(tmp_path)
    assert len(rows) == len(expected)
    assert mismatches(rows, expected) == []
