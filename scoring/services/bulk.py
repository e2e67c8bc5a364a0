"""The fastest plain insert of many rows of one model, for the scores of a chunk.

Django's ``bulk_create`` builds a model instance per row and compiles its INSERT
statements in Python, which costs more than the scoring engine's work on a chunk.
This writes the rows as plain tuples, converted to database values by the model's
own fields (so dates, JSON and booleans are stored exactly as the ORM stores them):

- PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3, one round trip for the
  whole chunk, parsed by the server without an INSERT plan per row.
- SQLite: one prepared INSERT run by ``executemany`` (the statement is compiled
  once; the loop over rows is in C).

It returns nothing: callers that need the new ids read them back by a key of their
own (a chunk's current scores), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

from django.db import connection, models

# Fields whose Python values go to the driver as they are.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.BigAutoField,
)


def rows_insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (values in the order of ``fields``, attnames such as
    ``transcript_id``) into ``model``'s table; returns how many were written."""
    meta = model._meta
    columns, converters = [], []
    for name in fields:
        field = next(f for f in meta.concrete_fields if f.attname == name)
        columns.append(connection.ops.quote_name(field.column))
        plain = isinstance(field, _PLAIN) and not isinstance(field, models.JSONField)
        converters.append(None if plain else _converter(field))
    prepared = [_prepare(row, converters) for row in rows]
    if not prepared:
        return 0
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            # Names from the model's meta, quoted; the values go as parameters.
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, prepared)
    return len(prepared)


def _converter(field):
    # The two kinds a score has, converted as Django's backends convert them, without
    # the generic chain of calls per value; anything else goes through the field.
    if isinstance(field, models.JSONField) and field.encoder is None:
        return json.dumps  # PostgreSQL parses jsonb from its text in COPY
    if isinstance(field, models.DateTimeField) and connection.vendor == "postgresql":
        return None  # psycopg sends aware datetimes as timestamptz
    generic = lambda value: field.get_db_prep_save(value, connection)  # noqa: E731
    if isinstance(field, models.DateTimeField) and connection.vendor == "sqlite" and connection.timezone == dt.UTC:
        # As Django's SQLite backend stores an aware datetime: naive UTC, str().
        return lambda value: str(value.astimezone(dt.UTC).replace(tzinfo=None)) if value.tzinfo else generic(value)
    return generic


def _prepare(row: Sequence, converters: list) -> tuple:
    return tuple(
        value if convert is None or value is None else convert(value)
        for value, convert in zip(row, converters, strict=True)
    )
