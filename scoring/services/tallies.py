"""Writes of the dashboard's tallies (``ScoreTally``, ``ReasonTally``): the counts of
current scores per group, moved when scores are superseded and inserted.

Called by the chunk scoring service inside its write transaction, with the groups of the
scores it supersedes (one grouped read, before the UPDATE) and the rows it inserts, so
the tallies always equal the current scores. One upsert statement per table per chunk,
in key order (two chunks touching the same groups lock them in the same order).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, QuerySet

from scoring.choices import Result
from scoring.models import ReasonTally, Score, ScoreTally

# A score's group: what the dashboard filters and groups by, then its automatic result
# and its reason (counted for NO only).
GROUP = ("directive_id", "channel_id", "started_on", "zone_label", "cso_name", "result", "reason")
_SCORE_COLUMNS = ("directive_id", "channel_id", "started_on", "zone_label", "cso_name", "result")
_REASON_COLUMNS = ("directive_id", "channel_id", "started_on", "zone_label", "reason")


def score_groups(scores: QuerySet[Score]) -> Counter:
    """How many of these scores fall in each group (one grouped query)."""
    return Counter({tuple(row[:-1]): row[-1] for row in scores.order_by().values_list(*GROUP).annotate(n=Count("pk"))})


def tallies_move(*, removed: Counter, added: Iterable[tuple]) -> None:
    """Take the ``removed`` groups' counts off the tallies and add one per ``added`` group."""
    change = Counter(added)
    change.subtract(removed)
    scores, reasons = Counter(), Counter()
    for group, n in change.items():
        if not n:
            continue
        values = dict(zip(GROUP, group, strict=True))
        scores[tuple(values[c] for c in _SCORE_COLUMNS)] += n
        if values["result"] == Result.NO:
            reasons[tuple(values[c] for c in _REASON_COLUMNS)] += n
    _upsert(ScoreTally, _SCORE_COLUMNS, scores)
    _upsert(ReasonTally, _REASON_COLUMNS, reasons)


def _key(values: tuple) -> str:
    text = "\0".join("" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v) for v in values)
    return hashlib.sha256(text.encode()).hexdigest()


def _upsert(model, columns: tuple[str, ...], change: Counter) -> None:
    rows = sorted((_key(group), *group, n) for group, n in change.items() if n)
    if not rows:
        return
    if connection.vendor != "postgresql":  # SQLite stores dates as ISO text
        at = 1 + columns.index("started_on")
        rows = [(*row[:at], row[at].isoformat() if row[at] else None, *row[at + 1 :]) for row in rows]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in ("key", *columns, "count"))
    marks = ", ".join(["%s"] * (len(columns) + 2))
    # Names from the model's meta; the values go as parameters. Both backends upsert.
    sql = (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608
        f'ON CONFLICT ("key") DO UPDATE SET "count" = {table}."count" + EXCLUDED."count"'
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
