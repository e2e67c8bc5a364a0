"""The history of the policy: who changed which rule when, and why, read from the
history tables of every policy model. The audit trail (the ``audit`` app) puts QA's
score overrides and the uploads beside these entries; the preview asks what changed
in a directive since a moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from policy.models import CSO, Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand, TimeZoneAlias

TRACKED = [Directive, GreetingTemplate, TimeBand, ScoredParameter, CSO, Channel, TimeZoneAlias]
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


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


def directive_changes_since(directive_id: int, since: dt.datetime) -> list[Entry]:
    """Changes to a directive and its templates and bands after a moment, oldest first."""
    entries = history_entries(Directive, Directive.history.filter(id=directive_id, history_date__gt=since))
    entries += history_entries(
        GreetingTemplate, GreetingTemplate.history.filter(directive_id=directive_id, history_date__gt=since)
    )
    entries += history_entries(TimeBand, TimeBand.history.filter(baseline_id=directive_id, history_date__gt=since))
    entries.sort(key=lambda e: (e.when, e.history_id or 0))
    return entries
