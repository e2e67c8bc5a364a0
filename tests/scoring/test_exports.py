"""The score export: spreadsheet formulas are neutralised in CSV and XLSX."""

from scoring.exports import COLUMNS, render_scores
from scoring.selectors import current_scores
from tests.scoring.uploads import jsonl, line, upload_and_score


def test_export_neutralises_formulas(seeded, user):
    upload_and_score(jsonl(line("A", cso_name='=HYPERLINK("http://x")')), user)
    text = render_scores(current_scores(), "csv").decode()
    assert "'=HYPERLINK" in text
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(render_scores(current_scores(), "xlsx"))).active
    rows = list(sheet.values)
    assert list(rows[0][: len(COLUMNS)]) == COLUMNS
    assert rows[1][2].startswith("'=")


def test_an_export_read_as_rows_says_what_the_loaded_scores_say(seeded, user):
    """GIVEN three scored transcripts, one overridden twice (the latest override stands)
    WHEN the export is written from the queryset (plain rows, one query for overrides)
    and from the same scores loaded as objects
    THEN both files are the same, line for line, and show the latest override."""
    from scoring.models import Score
    from scoring.services.overrides import score_override

    upload_and_score(jsonl(line("A"), line("B", text="Halo"), line("C")), user)
    overridden = Score.objects.get(transcript__external_id="B")
    score_override(score=overridden, result="YES", justification="first look", user=user)
    score_override(score=overridden, result="NA", justification="second look: not a conversation", user=user)
    from_rows = render_scores(current_scores(), "csv").decode()
    from_objects = render_scores(list(current_scores()), "csv").decode()
    assert from_rows == from_objects
    lines = from_rows.splitlines()
    assert len(lines) == 4
    row_b = next(text for text in lines if text.startswith("B,"))
    assert ",NA," in row_b and "second look: not a conversation" in row_b and "first look" not in row_b
