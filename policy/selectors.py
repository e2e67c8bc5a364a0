"""Reads of the policy: the snapshot the resolver and the scoring engine use, and
checks across rows (overlapping directives)."""

from __future__ import annotations

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
from policy.resolver import Band, CSORecord, Parameter, Policy, PolicyError, Rule, Template


def _rule(directive: Directive, history_id: int | None, baseline_forms: tuple[str, ...]) -> Rule:
    forms = tuple(split_list(directive.forms_of_address)) or baseline_forms
    return Rule(
        id=directive.pk,
        kind=directive.kind,
        reference=directive.reference,
        title=directive.title,
        version=directive.version,
        history_id=history_id,
        priority=directive.priority,
        published_at=directive.published_at,
        window_start=directive.window_start,
        window_end=directive.window_end,
        channels=frozenset(c.code for c in directive.channels.all()),
        templates=tuple(
            Template(t.element, t.channel.code if t.channel_id else None, t.text) for t in directive.templates.all()
        ),
        first_contact_only=directive.first_contact_only,
        public_owed_categories=frozenset(c.lower() for c in directive.public_categories()),
        typo_ratio=float(directive.typo_ratio),
        typo_min_length=directive.typo_min_length,
        forms_of_address=forms,
    )


def published_documents():
    return (
        Directive.objects.filter(status=DirectiveStatus.PUBLISHED)
        .prefetch_related(
            "channels",
            Prefetch("templates", queryset=GreetingTemplate.objects.select_related("channel")),
        )
        .order_by("-priority", "-published_at", "-pk")
    )


def latest_history_ids(directive_ids) -> dict[int, int]:
    rows = (
        Directive.history.model.objects.filter(id__in=list(directive_ids))
        .values("id")
        .annotate(latest=Max("history_id"))
    )
    return {row["id"]: row["latest"] for row in rows}


def policy_snapshot() -> Policy:
    """The published policy as plain data. Raises PolicyError when there is no
    published baseline to fall back on."""
    documents = list(published_documents())
    history = latest_history_ids(d.pk for d in documents)
    baselines = [d for d in documents if d.kind == DirectiveKind.BASELINE]
    if not baselines:
        raise PolicyError("no published baseline: run `manage.py seed_sop` or publish one in the admin")
    baseline_obj = baselines[0]
    baseline_forms = tuple(split_list(baseline_obj.forms_of_address))
    baseline = _rule(baseline_obj, history.get(baseline_obj.pk), baseline_forms)
    directives = tuple(
        _rule(d, history.get(d.pk), baseline_forms) for d in documents if d.kind == DirectiveKind.DIRECTIVE
    )
    bands = tuple(Band(b.word, b.starts_at, b.ends_at) for b in TimeBand.objects.filter(baseline=baseline_obj))
    parameters = tuple(
        Parameter(p.code, p.name, p.channel.code, p.element)
        for p in ScoredParameter.objects.filter(active=True).select_related("channel")
    )
    csos = {c.cso_id: CSORecord(c.cso_id, c.full_name, tuple(c.alias_list())) for c in CSO.objects.filter(active=True)}
    return Policy(
        baseline=baseline,
        directives=directives,
        bands=bands,
        zone_aliases={z.code.upper(): z.iana_name for z in TimeZoneAlias.objects.all()},
        default_zone=settings.TIME_ZONE,
        parameters=parameters,
        csos=csos,
        channels={c.code: c.allows_public for c in Channel.objects.all()},
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
