"""The score export of the formats spec: CSV or XLSX, columns in the contract's order."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from functools import lru_cache

from django.utils import timezone

from common.spreadsheet import neutralise
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


def render_scores(scores: Iterable[Score], fmt: str) -> bytes:
    """The export as bytes, ``fmt`` being ``csv`` or ``xlsx``."""
    header = COLUMNS + EXTRA_COLUMNS
    zone_of = lru_cache(maxsize=None)(zone_named)  # one alias lookup per zone label
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for score in scores:
            writer.writerow(score_row(score, zone_of))
        return buffer.getvalue().encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("scores")
        sheet.append(header)
        for score in scores:
            sheet.append(score_row(score, zone_of))
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise ValueError(f"unknown export format {fmt!r} (csv or xlsx)")


def format_for_path(path: str) -> str:
    return "xlsx" if path.lower().endswith(".xlsx") else "csv"
