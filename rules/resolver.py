"""What is owed when (rules S1, S3-S7): plain functions over a policy snapshot.

The scoring engine asks the same question for every transcript, so nothing here
queries anything: the answer comes from the :class:`rules.snapshot.Policy` alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.messages import N_, Message, english, joined, msg
from rules.snapshot import Band, DirectiveSnapshot, Parameter, Policy
from rules.templates import render_template
from rules.vocabulary import SLOT_CSO_NAME, Element, Visibility


class PolicyError(ValueError):
    """The policy data cannot answer the question (no baseline, unknown zone, ...)."""


@dataclass(frozen=True)
class Expectation:
    """The answer of the resolver: what is owed, which document decides, and why."""

    owed: bool
    reason: str  # English; the same as messages in reason_parts
    directive: DirectiveSnapshot | None  # the baseline or directive that decides
    local: dt.datetime | None
    zone_label: str
    band: Band | None = None
    template: str | None = None
    greeting: str | None = None
    parameter: Parameter | None = None
    overlapping: tuple[DirectiveSnapshot, ...] = ()  # in force too, but lost (S4)
    reason_parts: tuple[Message, ...] = ()

    def as_json(self) -> dict:
        return {
            "owed": self.owed,
            "greeting": self.greeting if self.owed else None,
            "directive": self.directive.reference if self.directive else None,
            "version": self.directive.version if self.directive else None,
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
    zones = policy.derived("zones", dict)  # a handful of names: asked for every transcript
    found = zones.get(name)
    if found is None:
        found = _zone_for(policy, name)
        if len(zones) < 1000:
            zones[name] = found
    return found


def _zone_for(policy: Policy, name: str | None) -> tuple[ZoneInfo, str]:
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
    return policy.derived(("short zone label", label), lambda: _short_zone_label(policy, label))


def _short_zone_label(policy: Policy, label: str) -> str:
    for code, iana in policy.zone_aliases.items():
        if label == iana or label.upper() == code:
            return code
    return label


# --- rule S6: time-of-day word ------------------------------------------------------


def band_at(policy: Policy, local: dt.datetime) -> Band:
    # Only the hour and minute count (S6): one answer per minute of the day, kept.
    bands = policy.derived("band by minute", dict)
    minute = (local.hour, local.minute)
    found = bands.get(minute)
    if found is None:
        found = bands[minute] = _band_at(policy, local)
    return found


def _band_at(policy: Policy, local: dt.datetime) -> Band:
    moment = local.timetz().replace(tzinfo=None)
    for band in policy.bands:
        if band.contains(moment):
            return band
    raise PolicyError(f"no time-of-day band of {policy.baseline.reference} covers {moment:%H:%M}")


# --- rule S4: which document decides -------------------------------------------------


def directives_in_force(policy: Policy, *, channel: str, element: str, local: dt.datetime) -> list[DirectiveSnapshot]:
    """Published directives that set ``element`` on ``channel`` and whose window holds
    this local instant, the winner first (:func:`rules.snapshot.precedence_key`)."""
    candidates = [
        directive
        for directive in policy.directives
        if directive.covers(channel) and directive.in_window(local) and directive.template_for(element, channel)
    ]
    candidates.sort(key=DirectiveSnapshot.precedence, reverse=True)
    return candidates


def deciding_document(
    policy: Policy, *, channel: str, element: str, local: dt.datetime
) -> tuple[DirectiveSnapshot, tuple[DirectiveSnapshot, ...]]:
    """The document that decides (the winning directive, else the baseline) and the
    directives in force that lost to it."""
    candidates = directives_in_force(policy, channel=channel, element=element, local=local)
    if candidates:
        return candidates[0], tuple(candidates[1:])
    return policy.baseline, ()


# --- rule S5: whether it is owed -----------------------------------------------------


def audience_exemption(
    document: DirectiveSnapshot, *, visibility: str, category: str | None, first_contact: bool
) -> Message | None:
    """Why no greeting is owed under this document's audience rule, or None when it is owed."""
    if document.first_contact_only and not first_contact:
        return msg(N_("not a first contact: a follow-up in an existing thread owes no opening greeting"))
    if visibility == Visibility.PUBLIC:
        cat = (category or "").strip()
        if cat.lower() not in document.public_owed_categories:
            owed = sorted(c.title() for c in document.public_owed_categories)
            allowed = joined(owed, N_(" or ")) if owed else msg(N_("no category"))
            shown = repr(cat) if cat else msg(N_("'none'"))
            return msg(
                N_(
                    "public post with category %(category)s: "
                    "under %(reference)s a public post owes it only for %(allowed)s"
                ),
                category=shown,
                reference=document.reference,
                allowed=allowed,
            )
    return None


# --- the whole question ---------------------------------------------------------------


def accepted_names(policy: Policy, *, cso_name: str | None, cso_id: str | None = None) -> list[str]:
    """Rule S7: the full registered name, any single word of it, or an alias."""
    names: list[str] = []
    record = policy.csos.get(cso_id or "") if cso_id else None
    if record is None and cso_name:
        by_name = policy.derived("csos by name", lambda: _csos_by_name(policy))
        record = by_name.get(cso_name.strip().lower())
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


def _csos_by_name(policy: Policy) -> dict:
    """Registered CSOs by lower-case full name; where two share one, the first registered."""
    out = {}
    for record in policy.csos.values():
        out.setdefault(record.full_name.lower(), record)
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
    """What a CSO must say on ``channel`` at ``at`` (rules S1, S3-S7)."""
    if channel not in policy.channels:
        raise PolicyError(f"unknown channel {channel!r} (one of {', '.join(sorted(policy.channels))})")
    if visibility == Visibility.PUBLIC and not policy.channels[channel]:
        raise PolicyError(f"channel {channel!r} has no public posts")
    zone, label = zone_for(policy, timezone)
    local = local_time(at, zone)
    zone_label = short_zone_label(policy, label)
    document, overlapping = deciding_document(policy, channel=channel, element=element, local=local)
    parameters = policy.derived(("parameters", channel, element), lambda: policy.parameters_for(channel, element))
    parameter = parameters[0] if parameters else None
    when = f"{local:%Y-%m-%d %H:%M} {zone_label}"
    exemption = audience_exemption(document, visibility=visibility, category=category, first_contact=first_contact)
    if exemption:
        return Expectation(
            False,
            exemption.text(),
            document,
            local,
            zone_label,
            parameter=parameter,
            overlapping=overlapping,
            reason_parts=(exemption,),
        )
    template = document.template_for(element, channel)
    if template is None:
        why = msg(
            N_("%(reference)s sets no %(element)s greeting for %(channel)s"),
            reference=document.reference,
            element=element,
            channel=channel,
        )
        return Expectation(False, why.text(), document, local, zone_label, parameter=parameter, reason_parts=(why,))
    band = band_at(policy, local)
    greeting = _rendered(policy, template.text, band.word, cso_name or None)
    if document.is_baseline:
        parts = [
            msg(
                N_("no directive is in force on %(channel)s at %(when)s: the baseline %(reference)s applies"),
                channel=channel,
                when=when,
                reference=document.reference,
            )
        ]
    else:
        parts = [
            msg(
                N_("%(reference)s v%(version)s is in force on %(channel)s at %(when)s (%(window)s)"),
                reference=document.reference,
                version=document.version,
                channel=channel,
                when=when,
                window=window_message(policy, document),
            )
        ]
    parts.append(
        msg(
            N_("%(time)s is %(word)s (%(start)s-%(end)s)"),
            time=f"{local:%H:%M}",
            word=band.word,
            start=f"{band.start:%H:%M}",
            end=f"{band.end:%H:%M}",
        )
    )
    if overlapping:
        parts.append(
            msg(
                N_("it overrides %(references)s (higher priority or later)"),
                references=", ".join(r.reference for r in overlapping),
            )
        )
    if cso_name is None and SLOT_CSO_NAME in template.text:
        parts.append(msg(N_("{nama_cso} is the CSO's name")))
    return Expectation(
        True,
        english(parts),
        document,
        local,
        zone_label,
        band,
        template.text,
        greeting,
        parameter,
        overlapping,
        reason_parts=tuple(parts),
    )


def _rendered(policy: Policy, text: str, waktu: str, nama_cso: str | None) -> str:
    """The owed greeting, rendered once per template, band and CSO name of a snapshot."""
    greetings = policy.derived("greetings", dict)
    key = (text, waktu, nama_cso)
    found = greetings.get(key)
    if found is None:
        if len(greetings) >= 20_000:
            greetings.clear()  # names come from uploads: keep the memory bounded
        found = greetings[key] = render_template(text, waktu=waktu, nama_cso=nama_cso)
    return found


def window_label(policy: Policy, document: DirectiveSnapshot) -> str:
    """``document.window_label()``, formatted once per snapshot (it is in most reasons)."""
    return policy.derived(("window label", id(document)), document.window_label)


def window_message(policy: Policy, document: DirectiveSnapshot):
    """``document.window_message()`` (the window as a translatable message), built once per snapshot."""
    return policy.derived(("window message", id(document)), document.window_message)
