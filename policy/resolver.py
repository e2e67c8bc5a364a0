"""What is owed when: the resolver over plain data (rules S1, S3-S6).

``selectors.policy_snapshot()`` reads the policy from the database once into the
frozen dataclasses below; everything here is plain functions over them, so the
scoring engine can use them for thousands of transcripts without a query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policy.choices import SLOT_CSO_NAME, DirectiveKind, Element, Visibility
from policy.templating import render_template


class PolicyError(ValueError):
    """The policy data cannot answer the question (no baseline, unknown zone, ...)."""


@dataclass(frozen=True)
class Band:
    """A time-of-day word and the local minutes it covers (rule S6)."""

    word: str
    start: dt.time
    end: dt.time

    def contains(self, moment: dt.time) -> bool:
        minute = (moment.hour, moment.minute)
        start, end = (self.start.hour, self.start.minute), (self.end.hour, self.end.minute)
        if start <= end:
            return start <= minute <= end
        return minute >= start or minute <= end


@dataclass(frozen=True)
class Template:
    element: str
    channel: str | None  # None: every channel of the document
    text: str


@dataclass(frozen=True)
class Rule:
    """A published baseline or directive, as the resolver sees it."""

    id: int
    kind: str
    reference: str
    title: str
    version: int
    history_id: int | None
    priority: int
    published_at: dt.datetime | None
    window_start: dt.datetime | None  # naive local wall-clock time
    window_end: dt.datetime | None  # inclusive
    channels: frozenset[str]  # empty on a baseline: every channel
    templates: tuple[Template, ...]
    first_contact_only: bool
    public_owed_categories: frozenset[str]  # lower-case
    typo_ratio: float
    typo_min_length: int
    forms_of_address: tuple[str, ...] = ()

    @property
    def is_baseline(self) -> bool:
        return self.kind == DirectiveKind.BASELINE

    def covers(self, channel: str) -> bool:
        return self.is_baseline or channel in self.channels

    def in_window(self, local: dt.datetime) -> bool:
        if self.is_baseline:
            return True
        wall = local.replace(tzinfo=None, microsecond=0)
        return self.window_start <= wall <= self.window_end

    def template_for(self, element: str, channel: str) -> Template | None:
        generic = None
        for template in self.templates:
            if template.element != element:
                continue
            if template.channel == channel:
                return template
            if template.channel is None:
                generic = template
        return generic

    def window_label(self) -> str:
        if self.is_baseline:
            return "standing"
        return f"{self.window_start:%Y-%m-%d %H:%M} to {self.window_end:%Y-%m-%d %H:%M:%S} local time"


@dataclass(frozen=True)
class Parameter:
    code: str
    name: str
    channel: str
    element: str


@dataclass(frozen=True)
class CSORecord:
    cso_id: str
    full_name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    """Everything the resolver and the scoring engine need, read once."""

    baseline: Rule
    directives: tuple[Rule, ...]
    bands: tuple[Band, ...]
    zone_aliases: dict[str, str]
    default_zone: str
    parameters: tuple[Parameter, ...]
    csos: dict[str, CSORecord] = field(default_factory=dict)
    channels: dict[str, bool] = field(default_factory=dict)  # code -> allows public

    @property
    def forms_of_address(self) -> tuple[str, ...]:
        return self.baseline.forms_of_address

    def rules(self) -> tuple[Rule, ...]:
        return (self.baseline, *self.directives)

    def parameters_for(self, channel: str, element: str | None = None) -> list[Parameter]:
        return [p for p in self.parameters if p.channel == channel and (element is None or p.element == element)]


@dataclass(frozen=True)
class Expectation:
    """The answer of the resolver: what is owed, under which rule, and why."""

    owed: bool
    reason: str
    rule: Rule | None
    local: dt.datetime | None
    zone_label: str
    band: Band | None = None
    template: str | None = None
    greeting: str | None = None
    parameter: Parameter | None = None
    overlapping: tuple[Rule, ...] = ()

    def as_json(self) -> dict:
        return {
            "owed": self.owed,
            "greeting": self.greeting if self.owed else None,
            "directive": self.rule.reference if self.rule else None,
            "version": self.rule.version if self.rule else None,
            "parameter_code": self.parameter.code if self.parameter else None,
            "parameter_name": self.parameter.name if self.parameter else None,
            "reason": self.reason,
        }


# --- rule S1: local time ------------------------------------------------------------


def resolve_zone(name: str | None, *, zone_aliases: dict[str, str], default: str) -> ZoneInfo:
    """Rule S1: an alias such as ``WITA`` (any case), an IANA name, or ``default``
    when blank. Raises LookupError for anything else."""
    label = (name or "").strip() or default
    try:
        return ZoneInfo(zone_aliases.get(label.upper(), label))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise LookupError(label) from exc


def zone_for(policy: Policy, name: str | None) -> tuple[ZoneInfo, str]:
    """The zone of a transcript and the label to show for it (WIB, Asia/Jayapura...)."""
    label = (name or "").strip() or policy.default_zone
    try:
        return resolve_zone(label, zone_aliases=policy.zone_aliases, default=policy.default_zone), label
    except LookupError:
        known = ", ".join(sorted(policy.zone_aliases))
        raise PolicyError(f"unknown time zone {label!r} (use an IANA name or one of {known})") from None


def local_time(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A timestamp with an offset is converted to the zone; one without is already local."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def short_zone_label(policy: Policy, label: str) -> str:
    """Prefer the regional name (WITA) over the IANA one when an alias exists."""
    for code, iana in policy.zone_aliases.items():
        if label == iana or label.upper() == code:
            return code
    return label


# --- rule S6: time-of-day word ------------------------------------------------------


def band_at(policy: Policy, local: dt.datetime) -> Band:
    moment = local.timetz().replace(tzinfo=None)
    for band in policy.bands:
        if band.contains(moment):
            return band
    raise PolicyError(f"no time-of-day band of {policy.baseline.reference} covers {moment:%H:%M}")


# --- rule S4: which document decides -------------------------------------------------


def rules_in_force(policy: Policy, *, channel: str, element: str, local: dt.datetime) -> list[Rule]:
    """Published directives in force for this channel and element at this local
    instant, the winner first (higher priority, then later publication)."""
    candidates = [
        rule
        for rule in policy.directives
        if rule.covers(channel) and rule.in_window(local) and rule.template_for(element, channel)
    ]
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    candidates.sort(key=lambda r: (r.priority, r.published_at or epoch, r.id), reverse=True)
    return candidates


def deciding_rule(policy: Policy, *, channel: str, element: str, local: dt.datetime) -> tuple[Rule, tuple[Rule, ...]]:
    candidates = rules_in_force(policy, channel=channel, element=element, local=local)
    if candidates:
        return candidates[0], tuple(candidates[1:])
    return policy.baseline, ()


# --- rule S5: whether it is owed -----------------------------------------------------


def audience_exemption(rule: Rule, *, visibility: str, category: str | None, first_contact: bool) -> str | None:
    """Why no greeting is owed under this rule's audience rule, or None when it is owed."""
    if rule.first_contact_only and not first_contact:
        return "not a first contact: a follow-up in an existing thread owes no opening greeting"
    if visibility == Visibility.PUBLIC:
        cat = (category or "").strip()
        if cat.lower() not in rule.public_owed_categories:
            allowed = " or ".join(sorted(c.title() for c in rule.public_owed_categories)) or "no category"
            shown = cat or "none"
            return (
                f"public post with category {shown!r}: under {rule.reference} a public post owes it only for {allowed}"
            )
    return None


# --- the whole question ---------------------------------------------------------------


def accepted_names(policy: Policy, *, cso_name: str | None, cso_id: str | None = None) -> list[str]:
    """Rule S7: the full registered name, any single word of it, or an alias."""
    names: list[str] = []
    record = policy.csos.get(cso_id or "") if cso_id else None
    if record is None and cso_name:
        record = next((r for r in policy.csos.values() if r.full_name.lower() == cso_name.strip().lower()), None)
    for full in filter(None, [cso_name, record.full_name if record else None]):
        names.append(full.strip())
        names.extend(full.split())
    if record:
        names.extend(record.aliases)
    seen, out = set(), []
    for name in names:
        key = name.lower()
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out


def expected_greeting(
    policy: Policy,
    *,
    channel: str,
    at: dt.datetime,
    timezone: str | None = None,
    visibility: str = Visibility.PRIVATE,
    category: str | None = None,
    cso_name: str | None = None,
    first_contact: bool = True,
    element: str = Element.OPENING,
) -> Expectation:
    """What a CSO must say on ``channel`` at ``at`` (rules S1, S3-S6)."""
    if channel not in policy.channels:
        raise PolicyError(f"unknown channel {channel!r} (one of {', '.join(sorted(policy.channels))})")
    if visibility == Visibility.PUBLIC and not policy.channels[channel]:
        raise PolicyError(f"channel {channel!r} has no public posts")
    zone, label = zone_for(policy, timezone)
    local = local_time(at, zone)
    zone_label = short_zone_label(policy, label)
    rule, overlapping = deciding_rule(policy, channel=channel, element=element, local=local)
    parameters = policy.parameters_for(channel, element)
    parameter = parameters[0] if parameters else None
    when = f"{local:%Y-%m-%d %H:%M} {zone_label}"
    exemption = audience_exemption(rule, visibility=visibility, category=category, first_contact=first_contact)
    if exemption:
        return Expectation(False, exemption, rule, local, zone_label, parameter=parameter, overlapping=overlapping)
    template = rule.template_for(element, channel)
    if template is None:
        return Expectation(
            False,
            f"{rule.reference} sets no {element} greeting for {channel}",
            rule,
            local,
            zone_label,
            parameter=parameter,
        )
    band = band_at(policy, local)
    greeting = render_template(template.text, waktu=band.word, nama_cso=cso_name or None)
    if rule.is_baseline:
        reason = f"no directive is in force on {channel} at {when}: the baseline {rule.reference} applies"
    else:
        reason = f"{rule.reference} v{rule.version} is in force on {channel} at {when} ({rule.window_label()})"
    reason += f"; {local:%H:%M} is {band.word} ({band.start:%H:%M}-{band.end:%H:%M})"
    if overlapping:
        reason += "; it overrides " + ", ".join(r.reference for r in overlapping) + " (higher priority or later)"
    if cso_name is None and SLOT_CSO_NAME in template.text:
        reason += "; {nama_cso} is the CSO's name"
    return Expectation(True, reason, rule, local, zone_label, band, template.text, greeting, parameter, overlapping)
