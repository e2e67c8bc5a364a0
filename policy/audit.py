"""The audit trail: who changed which rule when, and why, read from the history
tables of every policy model, with QA's score overrides and the uploads beside them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.utils import timezone

from policy.models import CSO, Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand, TimeZoneAlias

TRACKED = [Directive, GreetingTemplate, TimeBand, ScoredParameter, CSO, Channel, TimeZoneAlias]
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
CSV_COLUMNS = ["when", "user", "object_type", "object", "object_id", "action", "version", "changes", "reason"]


@dataclass(frozen=True)
class Entry:
    """One line of the trail."""

    when: dt.datetime
    user: str
    object_type: str
    object: str
    object_id: int | None
    action: str
    version: int | None
    changes: list[tuple[str, str, str]]  # (field, old, new)
    reason: str
    history_id: int | None = None

    def changes_text(self) -> str:
        return "; ".join(f"{field}: {old} -> {new}" for field, old, new in self.changes)


def _label(model, record) -> str:
    if model is Directive:
        return record.reference
    try:
        return str(record.instance)
    except Exception:  # a row whose related objects are gone: fall back to its id
        return f"{model._meta.verbose_name} {record.id}"


def _changes(model, record, previous) -> list[tuple[str, str, str]]:
    if previous is None or record.history_type != "~":
        return []
    delta = record.diff_against(previous, foreign_keys_are_objs=True)
    out = []
    for change in delta.changes:
        try:
            name = str(model._meta.get_field(change.field).verbose_name)
        except Exception:  # an m2m or removed field
            name = change.field
        old, new = change.old, change.new
        if isinstance(old, list) or isinstance(new, list):  # an m2m: rows of the through table
            old, new = _m2m_text(old), _m2m_text(new)
        out.append((name, "" if old is None else str(old), "" if new is None else str(new)))
    return out


def _m2m_text(rows) -> str:
    """Channels of a directive as "email, live_chat" from simple-history's m2m rows."""
    names = []
    for row in rows or []:
        value = row.get("channel") if isinstance(row, dict) else getattr(row, "channel", row)
        names.append(getattr(value, "code", None) or str(value))
    return ", ".join(sorted(names))


def history_entries(model, records) -> list[Entry]:
    """Entries for the given history records of one model, each diffed against the
    record before it (queried once per object, not once per row)."""
    records = list(records.select_related("history_user").order_by("history_date", "history_id"))
    ids = {r.id for r in records}
    first = min((r.history_date for r in records), default=None)
    previous: dict[int, object] = {}
    if first is not None:
        # The last record before the range, per object, to diff the first one against.
        for earlier in model.history.filter(id__in=ids, history_date__lt=first).order_by("history_date", "history_id"):
            previous[earlier.id] = earlier
    out = []
    for record in records:
        out.append(
            Entry(
                when=record.history_date,
                user=record.history_user.get_username() if record.history_user else "",
                object_type=str(model._meta.verbose_name),
                object=_label(model, record),
                object_id=record.id,
                action=ACTIONS.get(record.history_type, record.history_type),
                version=getattr(record, "version", None),
                changes=_changes(model, record, previous.get(record.id)),
                reason=record.history_change_reason or "",
                history_id=record.history_id,
            )
        )
        previous[record.id] = record
    return out


def audit_trail(start: dt.datetime, end: dt.datetime) -> list[Entry]:
    """Every change to the policy, every score override and every upload from start to end, inclusive."""
    entries: list[Entry] = []
    for model in TRACKED:
        entries += history_entries(model, model.history.filter(history_date__gte=start, history_date__lte=end))
    from scoring.models import ScoreOverride, UploadBatch

    for override in ScoreOverride.objects.filter(created_at__gte=start, created_at__lte=end).select_related(
        "created_by", "score__transcript", "score__parameter"
    ):
        entries.append(
            Entry(
                when=override.created_at,
                user=override.created_by.get_username(),
                object_type="score",
                object=f"{override.score.transcript.external_id} {override.score.parameter.code}",
                object_id=override.score_id,
                action="overridden",
                version=None,
                changes=[("result", override.score.result, override.result)],
                reason=override.justification,
            )
        )
    for batch in UploadBatch.objects.filter(created_at__gte=start, created_at__lte=end).select_related("uploaded_by"):
        entries.append(
            Entry(
                when=batch.created_at,
                user=batch.uploaded_by.get_username() if batch.uploaded_by else "",
                object_type="upload batch",
                object=str(batch),
                object_id=batch.pk,
                action=batch.get_kind_display().lower(),
                version=None,
                changes=[],
                reason=batch.note,
            )
        )
    entries.sort(key=lambda e: (e.when, e.history_id or 0))
    return entries


def directive_changes_since(directive_id: int, since: dt.datetime) -> list[Entry]:
    """Changes to a directive and its templates and bands after a moment, oldest first."""
    entries = history_entries(Directive, Directive.history.filter(id=directive_id, history_date__gt=since))
    entries += history_entries(
        GreetingTemplate, GreetingTemplate.history.filter(directive_id=directive_id, history_date__gt=since)
    )
    entries += history_entries(TimeBand, TimeBand.history.filter(baseline_id=directive_id, history_date__gt=since))
    entries.sort(key=lambda e: (e.when, e.history_id or 0))
    return entries


def audit_trail_csv(entries: list[Entry]) -> bytes:
    from common.spreadsheet import neutralise

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
