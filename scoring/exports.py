"""The score export of the formats spec: CSV or XLSX, columns in the contract's order."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from common.reasons import reason_shown
from common.spreadsheet import neutralise
from common.xlsx import date_cell, report_filter, report_header
from scoring.models import Score, ScoreOverride
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


@dataclass(frozen=True, slots=True)
class ExportRow:
    """What one exported line says of a score: read from plain rows for a whole export
    (:func:`export_rows`), or from a Score that is already loaded (:meth:`of`)."""

    transcript_id: str
    channel: str
    cso_name: str
    parameter_code: str
    parameter_name: str
    result: str
    directive: str | None  # the deciding document's reference; None when none decided
    directive_version: int | None
    expected_greeting: str
    reason: str
    flags: list | None
    local_time: dt.datetime | None
    zone_label: str
    scored_at: dt.datetime
    scorer_version: str
    reason_parts: list | None
    override: tuple[str, str] | None  # QA's latest override: (result, justification)

    @classmethod
    def of(cls, score: Score) -> ExportRow:
        override = score.current_override
        return cls(
            score.transcript.external_id,
            score.transcript.channel.code,
            score.transcript.cso_name,
            score.parameter.code,
            score.parameter.name,
            score.result,
            score.directive.reference if score.directive else None,
            score.directive_version,
            score.expected_greeting,
            score.reason,
            score.flags,
            score.local_time,
            score.zone_label,
            score.scored_at,
            score.scorer_version,
            score.reason_parts,
            (override.result, override.justification) if override else None,
        )


# The columns export_rows reads, in ExportRow's order up to reason_parts.
_ROW_COLUMNS = (
    "transcript__external_id",
    "transcript__channel__code",
    "transcript__cso_name",
    "parameter__code",
    "parameter__name",
    "result",
    "directive__reference",
    "directive_version",
    "expected_greeting",
    "reason",
    "flags",
    "local_time",
    "zone_label",
    "scored_at",
    "scorer_version",
    "reason_parts",
)


def export_rows(scores: QuerySet[Score], chunk_size: int = 2000) -> Iterator[ExportRow]:
    """The rows of an export of ``scores`` (in its order) as plain values, streamed from
    the database: no model instances, and QA's latest override of each score from one
    query over the few scores that have one."""
    overrides = ScoreOverride.objects.filter(score__in=scores.order_by().values("pk")).in_force_by_score(
        "result", "justification"
    )
    rows = scores.prefetch_related(None).values_list("pk", *_ROW_COLUMNS)
    for pk, *values in rows.iterator(chunk_size=chunk_size):
        override = overrides.get(pk)
        yield ExportRow(*values, (override["result"], override["justification"]) if override else None)


def score_row(row: ExportRow, zone_of, translate=gettext) -> list[str]:
    """The cells of one line, in the order of COLUMNS + EXTRA_COLUMNS, made safe."""
    if row.local_time is not None and row.zone_label:
        local_text = f"{timezone.localtime(row.local_time, zone_of(row.zone_label)):%Y-%m-%d %H:%M:%S} {row.zone_label}"
    else:
        local_text = ""
    override = row.override
    values = [
        row.transcript_id,
        row.channel,
        row.cso_name,
        row.parameter_code,
        row.parameter_name,
        override[0] if override else row.result,
        row.directive or "",
        row.directive_version if row.directive_version is not None else "",
        row.expected_greeting,
        row.reason,
        ";".join(row.flags or []),
        row.result,
        "yes" if override else "no",
        override[1] if override else "",
        local_text,
        timezone.localtime(row.scored_at).isoformat(timespec="seconds"),
        row.scorer_version,
        reason_shown(row.reason_parts, row.reason, translate),
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


def xlsx_dates(sheet, score: ExportRow, row: list, zone_of) -> list:
    """The row for XLSX: its two times as dates (the deciding local time shown with its
    zone label), the text of the CSV otherwise."""
    row = list(row)
    if score.local_time is not None and score.zone_label:
        row[_LOCAL_TIME] = date_cell(sheet, score.local_time, zone=zone_of(score.zone_label), suffix=score.zone_label)
    row[_SCORED_AT] = date_cell(sheet, score.scored_at)
    return row


def write_scores(scores: QuerySet[Score] | Iterable[Score], fmt: str, out: BinaryIO) -> int:
    """Write the export to the binary file ``out`` row by row, ``fmt`` being ``csv`` or
    ``xlsx``, and return how many scores it holds. A queryset is read as plain rows
    (:func:`export_rows`), already loaded scores as they are. Nothing is kept but the
    row being written (an XLSX is streamed by openpyxl's write-only mode), so a million
    scores export in the memory of one."""
    header = COLUMNS + EXTRA_COLUMNS
    zone_of = lru_cache(maxsize=None)(zone_named)  # one alias lookup per zone label
    # The export's language is fixed while it is written: each message id is looked
    # up once, not once per line.
    translate = lru_cache(maxsize=None)(gettext)
    rows = export_rows(scores) if isinstance(scores, QuerySet) else (ExportRow.of(score) for score in scores)
    count = 0
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
        writer = csv.writer(text)
        writer.writerow(header)
        for row in rows:
            writer.writerow(score_row(row, zone_of, translate))
            count += 1
        text.flush()
        text.detach()  # the caller owns ``out``
        return count
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("scores")
        report_header(sheet, header, COLUMN_WIDTHS)
        for row in rows:
            sheet.append(xlsx_dates(sheet, row, score_row(row, zone_of, translate), zone_of))
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
