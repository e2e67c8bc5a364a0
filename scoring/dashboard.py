"""Reads of the compliance dashboard: YES/NO/NA counts and the compliance rate of the
current scores (final results, overrides counted) by channel, CSO, day and zone, the
most common reasons for NO, and the overrides, for one filter.

Every figure is one aggregate query (``values().annotate()``) on the score read model,
so the page costs a handful of queries however many scores there are. Each figure
carries the query string of the score changelist that lists the scores behind it: the
changelist's own filters understand every key used here (see ``scoring.admin``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from policy.models import Channel, Directive
from scoring.choices import Result
from scoring.models import Score, ScoreOverride

TOP_REASONS = 10
TOP_CSOS = 25
RECENT_OVERRIDES = 20


@dataclass(frozen=True)
class DashboardFilter:
    """What the dashboard is asked about; empty fields do not filter."""

    start: dt.date | None = None
    end: dt.date | None = None  # inclusive
    directive: Directive | None = None
    channel: Channel | None = None
    zone: str = ""

    def params(self) -> dict[str, str]:
        """The filter as the score changelist's query parameters."""
        params: dict[str, str] = {}
        if self.start:
            params["transcript__started_at__date__gte"] = self.start.isoformat()
        if self.end:
            params["transcript__started_at__date__lte"] = self.end.isoformat()
        if self.directive:
            params["directive__id__exact"] = str(self.directive.pk)
        if self.channel:
            params["transcript__channel__id__exact"] = str(self.channel.pk)
        if self.zone:
            params["zone_label"] = self.zone
        return params

    def apply(self, queryset: QuerySet[Score]) -> QuerySet[Score]:
        """The same filter on a queryset, the way the changelist applies those parameters."""
        if self.start:
            queryset = queryset.filter(transcript__started_at__date__gte=self.start)
        if self.end:
            queryset = queryset.filter(transcript__started_at__date__lte=self.end)
        if self.directive:
            queryset = queryset.filter(directive=self.directive)
        if self.channel:
            queryset = queryset.filter(transcript__channel=self.channel)
        if self.zone:
            queryset = queryset.filter(zone_label="" if self.zone == NO_ZONE else self.zone)
        return queryset


@dataclass
class Tally:
    """The final results of one group of scores, and where to list them."""

    label: str
    yes: int = 0
    no: int = 0
    na: int = 0
    params: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.yes + self.no + self.na

    @property
    def rate(self) -> float | None:
        """Compliance: YES among the scores that owed a greeting (NA left out)."""
        judged = self.yes + self.no
        return self.yes / judged if judged else None

    @property
    def rate_percent(self) -> str:
        rate = self.rate
        return "-" if rate is None else f"{100 * rate:.1f}%"

    def query(self, **more: str) -> str:
        return urlencode({**self.params, **more})

    @property
    def links(self) -> dict[str, str]:
        """Query strings of the changelist behind each number."""
        return {
            "total": self.query(),
            "yes": self.query(final=Result.YES),
            "no": self.query(final=Result.NO),
            "na": self.query(final=Result.NA),
        }


@dataclass
class Dashboard:
    filter: DashboardFilter
    total: Tally
    by_channel: list[Tally]
    by_cso: list[Tally]
    cso_count: int
    by_day: list[Tally]
    by_zone: list[Tally]
    reasons: list[tuple[str, int, str]]  # reason, count, query string
    override_count: int
    override_moves: list[tuple[str, str, int]]  # automatic, final, count
    overrides: list[ScoreOverride]
    overrides_query: str


def dashboard_scores(flt: DashboardFilter) -> QuerySet[Score]:
    """The current scores the filter selects."""
    return flt.apply(Score.objects.current())


_BUCKET = {Result.YES: "yes", Result.NO: "no", Result.NA: "na"}


def _overridden(queryset: QuerySet[Score]) -> QuerySet[Score]:
    return queryset.filter(Exists(ScoreOverride.objects.filter(score=OuterRef("pk"))))


def _final_counts(queryset: QuerySet[Score], key: str | None, *, counted: QuerySet[Score] | None = None) -> dict:
    """Final results per value of ``key`` (one group when None): {value: {yes, no, na}}.

    The final result is the automatic one except where QA overrode it. Counting ``final``
    row by row costs a subquery per score; instead the automatic results are counted in
    one plain aggregate (indexed, no subquery) and then corrected by the overridden scores
    alone, the only ones whose final result may differ (few: QA writes each by hand)."""
    counts: dict = defaultdict(lambda: {"yes": 0, "no": 0, "na": 0})
    # ``counted``: a part of ``queryset`` that holds every automatic result wanted (the NO
    # for the reasons); the corrections still come from all overridden scores.
    counted = queryset if counted is None else counted
    automatic = {bucket: Count("pk", filter=Q(result=value)) for value, bucket in _BUCKET.items()}
    if key is None:
        counts[None].update(counted.order_by().aggregate(**automatic))
        corrections = _overridden(queryset).with_final_result().values("result", "final")
    else:
        for row in counted.order_by().values(key).annotate(**automatic):
            counts[row[key]].update({bucket: row[bucket] for bucket in _BUCKET.values()})
        corrections = _overridden(queryset).with_final_result().values(key, "result", "final")
    for row in corrections.annotate(n=Count("pk")).order_by():
        if row["result"] != row["final"]:
            value = row[key] if key is not None else None
            counts[value][_BUCKET[row["result"]]] -= row["n"]
            counts[value][_BUCKET[row["final"]]] += row["n"]
    return counts


def _tallies(queryset, key: str, base: dict[str, str], param: str, *, label=str, sort=None):
    tallies = []
    for value, bucket in _final_counts(queryset, key).items():
        shown = "" if value is None else value
        tallies.append(Tally(label=label(shown), params={**base, **_param(param, shown)}, **bucket))
    # By label (ISO days sort by date), the empty group (no zone, no day) last.
    tallies.sort(key=sort or (lambda t: (t.label in ("", "-"), t.label)))
    return tallies


NO_ZONE = "-"  # as scoring.admin.ZoneFilter names "no zone" (the CSO never replied)


def _param(param: str, value) -> dict[str, str]:
    if value == "" and param == "zone_label":
        return {param: NO_ZONE}
    if value == "" and param.endswith("__date"):  # a transcript with no time: its own filter
        return {param.removesuffix("__date") + "__isnull": "True"}
    if isinstance(value, dt.date):
        value = value.isoformat()
    return {param: str(value)}


def compliance_dashboard(flt: DashboardFilter) -> Dashboard:
    scores = dashboard_scores(flt)
    base = flt.params()
    total = Tally("all", params=base, **_final_counts(scores, None)[None])

    by_channel = _tallies(scores, "transcript__channel__code", base, "transcript__channel__id__exact")
    # The changelist filters channels by id: map each code to its id.
    ids = dict(Channel.objects.values_list("code", "pk"))
    for tally in by_channel:
        tally.params["transcript__channel__id__exact"] = str(ids.get(tally.label, ""))

    all_csos = _tallies(
        scores,
        "transcript__cso_name",
        base,
        "cso",
        sort=lambda t: (-t.no, t.label),  # the CSOs with most NO first: who needs coaching
    )
    by_day = _tallies(
        scores.annotate(day=TruncDate("transcript__started_at")),
        "day",
        base,
        "transcript__started_at__date",
        label=lambda day: day.isoformat() if day else "-",
    )
    by_zone = _tallies(scores, "zone_label", base, "zone_label", label=lambda z: z or "-")

    # Only the automatic NO are grouped by their reason's text (then corrected by the overrides).
    reason_counts = {
        reason: bucket["no"]
        for reason, bucket in _final_counts(scores, "reason", counted=scores.filter(result=Result.NO)).items()
    }
    top = sorted(((n, reason) for reason, n in reason_counts.items() if n > 0), key=lambda p: (-p[0], p[1]))
    reasons = [
        (reason, n, urlencode({**base, "final": Result.NO, "reason": reason})) for n, reason in top[:TOP_REASONS]
    ]

    overridden = _overridden(scores).with_final_result()
    moves = [
        (row["result"], row["final"], row["n"])
        for row in overridden.values("result", "final").annotate(n=Count("pk")).order_by("-n", "result", "final")
    ]
    recent = list(
        ScoreOverride.objects.filter(score__in=overridden.values("pk"))
        .select_related("score__transcript", "score__parameter", "created_by")
        .newest_first()[:RECENT_OVERRIDES]
    )
    return Dashboard(
        filter=flt,
        total=total,
        by_channel=by_channel,
        by_cso=all_csos[:TOP_CSOS],
        cso_count=len(all_csos),
        by_day=by_day,
        by_zone=by_zone,
        reasons=reasons,
        override_count=sum(n for _, _, n in moves),
        override_moves=moves,
        overrides=recent,
        overrides_query=urlencode({**base, "overridden": "yes"}),
    )


def zone_labels() -> list[str]:
    """The zones current scores were decided in (WIB, WITA, WIT...)."""
    return list(
        Score.objects.current()
        .exclude(zone_label="")
        .order_by("zone_label")
        .values_list("zone_label", flat=True)
        .distinct()
    )
