"""The audit trail as CSV."""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from common.spreadsheet import neutralise
from policy.history import Entry

CSV_COLUMNS = ["when", "user", "object_type", "object", "object_id", "action", "version", "changes", "reason"]


def audit_trail_csv(entries: list[Entry]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        row = [
            timezone.localtime(e.when).isoformat(timespec="seconds"),
            e.user,
            e.object_type,
            e.object,
            e.object_id if e.object_id is not None else "",
            e.action,
            e.version if e.version is not None else "",
            e.changes_text(),
            e.reason,
        ]
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue().encode("utf-8")
