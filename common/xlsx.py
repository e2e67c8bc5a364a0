"""Layout of the XLSX files people read as reports (score exports, the dashboard): the
header row frozen and filtered, columns wide enough to read, dates as real dates.

Kept apart from the cell values (common.spreadsheet neutralises those) so that a sheet's
look and its safety change independently.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
DEFAULT_WIDTH = 14
MAX_WIDTH = 80


def report_header(sheet, header: list[str], widths: dict[str, int] | None = None) -> None:
    """Freeze the header row, size the columns and write the header in bold. On a
    write-only sheet this must come before any other row (it is streamed in order)."""
    widths = widths or {}
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        width = widths.get(name, max(DEFAULT_WIDTH, len(str(name)) + 2))
        sheet.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def report_filter(sheet, columns: int, rows: int) -> None:
    """An auto filter over the header and the ``rows`` rows below it."""
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(columns, 1))}{rows + 1}"


def date_cell(sheet, value: dt.datetime | dt.date | None, *, zone=None, suffix: str = ""):
    """A date a spreadsheet sorts and filters as a date: an aware datetime becomes the
    naive wall-clock time in ``zone`` (the site's zone by default), as XLSX has no zones;
    ``suffix`` (a zone label) is shown through the number format, not stored as text."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, zone).replace(tzinfo=None)
        number_format = DATETIME_FORMAT
    else:
        number_format = DATE_FORMAT
    cell = WriteOnlyCell(sheet, value=value)
    safe_suffix = suffix.replace('"', "")
    cell.number_format = f'{number_format} "{safe_suffix}"' if safe_suffix else number_format
    return cell
