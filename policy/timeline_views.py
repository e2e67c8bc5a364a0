"""The directive timeline: which published directives are, were and will be in force on
each channel over a period, where they overlap (the winner by rule S4 first) and where
none is (the baseline applies). Wired through DirectiveAdmin.get_urls()."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from policy.forms import TimelineForm
from policy.models import Channel
from policy.selectors import policy_snapshot
from rules.timeline import channel_timeline, windows_on
from rules.vocabulary import Element

PALETTE = ("#0969da", "#bf3989", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#1b7c83", "#953800")
PAD = dt.timedelta(days=7)


def _default_period(policy) -> tuple[dt.date, dt.date]:
    """Every published window, with a week each side; around today when there is none."""
    starts = [d.window_start for d in policy.directives if d.window_start]
    ends = [d.window_end for d in policy.directives if d.window_end]
    today = timezone.localdate()
    if not starts:
        return today - dt.timedelta(days=30), today + dt.timedelta(days=60)
    return (min(starts) - PAD).date(), (max(ends) + PAD).date()


def _place(start: dt.datetime, end: dt.datetime, lo: dt.datetime, span: float) -> dict:
    left = max((start - lo).total_seconds(), 0) / span
    right = min((end - lo).total_seconds(), span) / span
    return {"left": f"{100 * left:.3f}", "width": f"{max(100 * (right - left), 0.15):.3f}"}


def _ticks(lo: dt.date, hi: dt.date, span: float, lo_dt: dt.datetime) -> list[dict]:
    """Month starts, or weeks on a short period."""
    days = (hi - lo).days
    ticks, day = [], lo
    while day <= hi:
        if (days > 70 and day.day == 1) or (days <= 70 and day.weekday() == 0):
            seconds = (dt.datetime.combine(day, dt.time()) - lo_dt).total_seconds()
            ticks.append({"left": f"{100 * seconds / span:.3f}", "label": f"{day:%d/%m/%Y}"})
        day += dt.timedelta(days=1)
    return ticks


def directive_timeline(request, *, model_admin):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    policy = policy_snapshot()
    start, end = _default_period(policy)
    form = TimelineForm(request.GET or None, initial={"start": start, "end": end, "element": Element.OPENING})
    element = Element.OPENING
    if request.GET and form.is_valid():
        start, end, element = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["element"]
    elif request.GET:
        start = end = None
    rows, ticks, now = [], [], None
    if start and end:
        lo = dt.datetime.combine(start, dt.time())
        hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
        span = (hi - lo).total_seconds()
        colour = {d.id: PALETTE[i % len(PALETTE)] for i, d in enumerate(sorted(policy.directives, key=lambda d: d.id))}
        for channel in Channel.objects.order_by("code"):
            bars = [
                {
                    "reference": d.reference,
                    "title": d.title,
                    "window": d.window_label(),
                    "priority": d.priority,
                    "url": reverse("admin:policy_directive_change", args=[d.id]),
                    "colour": colour[d.id],
                    **_place(d.window_start, d.window_end, lo, span),
                }
                for d in windows_on(policy, channel=channel.code, start=lo, end=hi)
            ]
            stretches = [
                {
                    "start": s.start,
                    "end": s.end,
                    "winner": s.winner.reference if s.winner else policy.baseline.reference,
                    "losers": [d.reference for d in s.documents[1:]],
                    "gap": s.gap,
                    "overlap": s.overlap,
                    "colour": colour[s.winner.id] if s.winner else "",
                    **_place(s.start, s.end, lo, span),
                }
                for s in channel_timeline(policy, channel=channel.code, element=element, start=lo, end=hi)
            ]
            rows.append(
                {
                    "channel": channel,
                    "bars": bars,
                    "stretches": stretches,
                    "overlaps": [s for s in stretches if s["overlap"]],
                }
            )
        ticks = _ticks(start, end, span, lo)
        wall = timezone.localtime().replace(tzinfo=None)
        if lo <= wall < hi:
            now = f"{100 * (wall - lo).total_seconds() / span:.3f}"
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Directive timeline"),
        "form": form,
        "rows": rows,
        "ticks": ticks,
        "now": now,
        "baseline": policy.baseline,
        "start": start,
        "end": end,
    }
    return TemplateResponse(request, "admin/policy/directive/timeline.html", context)
