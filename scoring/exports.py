"""The score export of the formats spec: CSV or XLSX, columns in the contract's order."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from functools import lru_cache
from typing import BinaryIO

from django.utils import timezone

from common.spreadsheet import neutralise
from common.xlsx import date_cell, report_filter, report_header
from scoring.models import Score
from scoring.selectors import zone_named

# The contract (docs/formats.md, "Exporting scores"): these columns, in this order, first.
COLUMNS = [
    "transcript_id",
    "channel",
    "cso_name",
    "parameter_code",
    "parameter_name",
    "result",
    "directive",
    "directive_version",
    "expected_greeting",
    "reason",
    "flags",
]
# More columns are welcome after them.
EXTRA_COLUMNS = [
    "automatic_result",
    "overridden",
    "override_justification",
    "local_time",
    "scored_at",
    "scorer_version",
    # The reason in the language of the export (the request's, or the command's
    # PLN123_LANGUAGE_CODE); "reason" stays the engine's English (the contract).
    "reason_translated",
]


def score_row(score: Score, zone_of) -> list[str]:
    override = score.current_override
    local = score.local_time
    if local is not None and score.zone_label:
        local_text = f"{timezone.localtime(local, zone_of(score.zone_label)):%Y-%m-%d %H:%M:%S} {score.zone_label}"
    else:
        local_text = ""
    values = [
        score.transcript.external_id,
        score.transcript.channel.code,
        score.transcript.cso_name,
        score.parameter.code,
        score.parameter.name,
        score.final_result,
        score.directive.reference if score.directive else "",
        score.directive_version if score.directive_version is not None else "",
        score.expected_greeting,
        score.reason,
        ";".join(score.flags or []),
        score.result,
        "yes" if override else "no",
        override.justification if override else "",
        local_text,
        timezone.localtime(score.scored_at).isoformat(timespec="seconds"),
        score.scorer_version,
        score.reason_shown,
    ]
    return [neutralise(v) for v in values]


# Widths in characters for a report read on a laptop; the rest get the default.
COLUMN_WIDTHS = {
    "transcript_id": 18,
    "cso_name": 24,
    "parameter_name": 36,
    "directive": 22,
    "expected_greeting": 60,
    "reason": 80,
    "flags": 24,
    "override_justification": 40,
    "local_time": 24,
    "scored_at": 20,
}
_LOCAL_TIME = (COLUMNS + EXTRA_COLUMNS).index("local_time")
_SCORED_AT = (COLUMNS + EXTRA_COLUMNS).index("scored_at")


def xlsx_dates(sheet, score: Score, row: list, zone_of) -> list:
    """The row for XLSX: its two times as dates (the deciding local time shown with its
    zone label), the text of the CSV otherwise."""
    row = list(row)
    if score.local_time is not None and score.zone_label:
        row[_LOCAL_TIME] = date_cell(sheet, score.local_time, zone=zone_of(score.zone_label), suffix=score.zone_label)
    row[_SCORED_AT] = date_cell(sheet, score.scored_at)
    return row


def write_scores(scores: Iterable[Score], fmt: str, out: BinaryIO) -> int:
    """Write the export to the binary file ``out`` row by row, ``fmt`` being ``csv`` or
    ``xlsx``, and return how many scores it holds. Nothing is kept but the row being
    written (an XLSX is streamed by openpyxl's write-only mode), so a million scores
    export in the memory of one."""
    header = COLUMNS + EXTRA_COLUMNS
    zone_of = lru_cache(maxsize=None)(zone_named)  # one alias lookup per zone label
    count = 0
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
        writer = csv.writer(text)
        writer.writerow(header)
        for score in scores:
            writer.writerow(score_row(score, zone_of))
            count += 1
        text.flush()
        text.detach()  # the caller owns ``out``
        return count
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("scores")
        report_header(sheet, header, COLUMN_WIDTHS)
        for score in scores:
            sheet.append(xlsx_dates(sheet, score, score_row(score, zone_of), zone_of))
            count += 1
        report_filter(sheet, len(header), count)
        workbook.save(out)
        return count
    raise ValueError(f"unknown export format {fmt!r} (csv or xlsx)")


def render_scores(scores: Iterable[Score], fmt: str) -> bytes:
    """The export as bytes (for a page's download), ``fmt`` being ``csv`` or ``xlsx``."""
    out = io.BytesIO()
    write_scores(scores, fmt, out)
    return out.getvalue()


def format_for_path(path: str) -> str:
    return "xlsx" if path.lower().endswith(".xlsx") else "csv"
