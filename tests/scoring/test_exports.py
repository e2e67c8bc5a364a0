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
