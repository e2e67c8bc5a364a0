"""Reads of the policy: the snapshot the resolver and the scoring engine use, and
checks across rows (overlapping directives)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max, Prefetch

from policy.choices import DirectiveKind, DirectiveStatus
from policy.models import (
    CSO,
    Channel,
    Directive,
    GreetingTemplate,
    ScoredParameter,
    TimeBand,
    TimeZoneAlias,
    split_list,
)
from rules.resolver import PolicyError
from rules.snapshot import Band, CSORecord, DirectiveSnapshot, Parameter, Policy, TemplateText, precedence_key


def _window(row, date_field: str, time_field: str) -> dt.datetime | None:
    day = getattr(row, date_field)
    return dt.datetime.combine(day, getattr(row, time_field)) if day else None


def _snapshot(row, *, pk: int, history_id, channels, templates, baseline_forms: tuple[str, ...]) -> DirectiveSnapshot:
    """A snapshot from a Directive or a HistoricalDirective row (they share field names)."""
    forms = tuple(split_list(row.forms_of_address)) or baseline_forms
    return DirectiveSnapshot(
        id=pk,
        kind=row.kind,
        reference=row.reference,
        title=row.title,
        version=row.version,
        history_id=history_id,
        priority=row.priority,
        published_at=row.published_at,
        window_start=_window(row, "valid_from_date", "valid_from_time"),
        window_end=_window(row, "valid_until_date", "valid_until_time"),
        channels=frozenset(channels),
        templates=tuple(templates),
        first_contact_only=row.first_contact_only,
        public_owed_categories=frozenset(c.lower() for c in split_list(row.public_owed_categories)),
        typo_ratio=float(row.typo_ratio),
        typo_min_length=row.typo_min_length,
        forms_of_address=forms,
    )


def document_precedence(row) -> tuple:
    """Rule S4's order (:func:`rules.snapshot.precedence_key`) of a Directive or a
    HistoricalDirective row: sort descending, the winner first."""
    return precedence_key(priority=row.priority, published_at=row.published_at, ident=row.id)


def latest_history_ids(directive_ids) -> dict[int, int]:
    rows = (
        Directive.history.model.objects.filter(id__in=list(directive_ids))
        .values("id")
        .annotate(latest=Max("history_id"))
    )
    return {row["id"]: row["latest"] for row in rows}


def _current_documents():
    """Published documents as they stand: (row, pk, history id, channel codes, templates)."""
    rows = sorted(
        Directive.objects.filter(status=DirectiveStatus.PUBLISHED).prefetch_related(
            "channels", Prefetch("templates", queryset=GreetingTemplate.objects.select_related("channel"))
        ),
        key=document_precedence,
        reverse=True,
    )
    history = latest_history_ids(d.pk for d in rows)
    for d in rows:
        templates = [
            TemplateText(t.element, t.channel.code if t.channel_id else None, t.text) for t in d.templates.all()
        ]
        yield d, d.pk, history.get(d.pk), [c.code for c in d.channels.all()], templates


def _documents_as_of(moment: dt.datetime):
    """Published documents as they stood at ``moment``, rebuilt from the history."""
    codes = dict(Channel.history.as_of(moment).values_list("id", "code"))
    rows = [
        r
        for r in Directive.history.filter(history_date__lte=moment).latest_of_each()
        if r.history_type != "-" and r.status == DirectiveStatus.PUBLISHED
    ]
    rows.sort(key=document_precedence, reverse=True)
    templates: dict[int, list[TemplateText]] = {}
    for t in GreetingTemplate.history.as_of(moment):
        templates.setdefault(t.directive_id, []).append(TemplateText(t.element, codes.get(t.channel_id), t.text))
    for r in rows:
        channels = [codes[link.channel_id] for link in r.channels.all() if link.channel_id in codes]
        yield r, r.id, r.history_id, channels, templates.get(r.id, [])


def _draft_document(draft: Directive):
    """A draft (or withdrawn) directive as it would be published now: its stored
    content, no publication instant (so rules.snapshot.precedence_key ranks it as the
    latest publication), and the history row of its current version."""
    draft = (
        Directive.objects.filter(pk=draft.pk)
        .prefetch_related(
            "channels", Prefetch("templates", queryset=GreetingTemplate.objects.select_related("channel"))
        )
        .get()
    )
    draft.published_at = None
    templates = [
        TemplateText(t.element, t.channel.code if t.channel_id else None, t.text) for t in draft.templates.all()
    ]
    history = latest_history_ids([draft.pk]).get(draft.pk)
    return draft, draft.pk, history, [c.code for c in draft.channels.all()], templates


def policy_snapshot(as_of: dt.datetime | None = None, *, draft: Directive | None = None) -> Policy:
    """The published policy as plain data: as it stands, or as it stood at ``as_of``
    (from the audit history). With ``draft``: the policy as it stands plus that
    directive as if it were published now (its stored version replaces any other
    version of it). Raises PolicyError when there is no published baseline."""
    if draft is not None and as_of is not None:
        raise ValueError("a draft is previewed against the policy as it stands, not as it stood")
    documents = list(_documents_as_of(as_of) if as_of else _current_documents())
    if draft is not None:
        documents = [d for d in documents if d[1] != draft.pk]
        documents.append(_draft_document(draft))
        # The same order the resolver uses: the draft, published now, is the latest.
        documents.sort(key=lambda d: document_precedence(d[0]), reverse=True)
    baselines = [d for d in documents if d[0].kind == DirectiveKind.BASELINE]
    if not baselines:
        when = f" on {as_of:%Y-%m-%d %H:%M}" if as_of else ""
        raise PolicyError(f"no published baseline{when}: run `manage.py seed_sop` or publish one in the admin")
    base_row, base_pk, base_history, base_channels, base_templates = baselines[0]
    baseline_forms = tuple(split_list(base_row.forms_of_address))
    baseline = _snapshot(
        base_row,
        pk=base_pk,
        history_id=base_history,
        channels=base_channels,
        templates=base_templates,
        baseline_forms=baseline_forms,
    )
    directives = tuple(
        _snapshot(row, pk=pk, history_id=hid, channels=channels, templates=templates, baseline_forms=baseline_forms)
        for row, pk, hid, channels, templates in documents
        if row.kind == DirectiveKind.DIRECTIVE
    )
    if as_of:
        bands_qs = TimeBand.history.as_of(as_of).filter(baseline_id=base_pk)
        params_qs = ScoredParameter.history.as_of(as_of).filter(active=True)
        csos_qs = CSO.history.as_of(as_of).filter(active=True)
        zones_qs = TimeZoneAlias.history.as_of(as_of)
        channel_qs = Channel.history.as_of(as_of)
    else:
        bands_qs = TimeBand.objects.filter(baseline_id=base_pk)
        params_qs = ScoredParameter.objects.filter(active=True)
        csos_qs = CSO.objects.filter(active=True)
        zones_qs = TimeZoneAlias.objects.all()
        channel_qs = Channel.objects.all()
    channels = {c.id: c for c in channel_qs}
    return Policy(
        baseline=baseline,
        directives=directives,
        bands=tuple(Band(b.word, b.starts_at, b.ends_at) for b in bands_qs),
        zone_aliases={z.code.upper(): z.iana_name for z in zones_qs},
        default_zone=settings.TIME_ZONE,
        parameters=tuple(
            Parameter(p.code, p.name, channels[p.channel_id].code, p.element)
            for p in params_qs
            if p.channel_id in channels
        ),
        csos={c.cso_id: CSORecord(c.cso_id, c.full_name, tuple(c.alias_list())) for c in csos_qs},
        channels={c.code: c.allows_public for c in channels.values()},
    )


def directive_overlaps(directive: Directive) -> list[tuple[Directive, list[str], list[str]]]:
    """Other published directives whose window, channels and overridden elements
    meet this one's: ``(other, shared channel codes, shared elements)``."""
    if directive.kind != DirectiveKind.DIRECTIVE or directive.window_start is None:
        return []
    mine_channels = {c.code for c in directive.channels.all()}
    mine_elements = set(directive.templates.values_list("element", flat=True))
    out = []
    others = (
        Directive.objects.filter(kind=DirectiveKind.DIRECTIVE, status=DirectiveStatus.PUBLISHED)
        .exclude(pk=directive.pk)
        .prefetch_related("channels", "templates")
    )
    for other in others:
        if other.window_end < directive.window_start or other.window_start > directive.window_end:
            continue
        channels = sorted(mine_channels & {c.code for c in other.channels.all()})
        elements = sorted(mine_elements & {t.element for t in other.templates.all()})
        if channels and elements:
            out.append((other, channels, elements))
    return out


def zone_abbreviation(zone_name: str) -> str:
    """The regional name PLN staff use for an IANA zone (WIB for Asia/Jakarta, WITA,
    WIT), from the time zone aliases of the policy; the IANA name when none is set."""
    for code, iana in TimeZoneAlias.objects.order_by("code").values_list("code", "iana_name"):
        if iana == zone_name or code.upper() == (zone_name or "").upper():
            return code
    return zone_name
