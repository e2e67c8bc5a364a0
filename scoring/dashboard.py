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
    """The current scores the filter selects, with their final result (``final``)."""
    return flt.apply(Score.objects.current()).with_final_result()


def _counts() -> dict:
    return {
        "yes": Count("pk", filter=Q(final=Result.YES)),
        "no": Count("pk", filter=Q(final=Result.NO)),
        "na": Count("pk", filter=Q(final=Result.NA)),
    }


def _tallies(queryset, key: str, base: dict[str, str], param: str, *, label=str, order=None, limit=None):
    rows = queryset.values(key).annotate(**_counts()).order_by(*(order or [key]))
    if limit:
        rows = rows[:limit]
    tallies = []
    for row in rows:
        value = row[key]
        shown = "" if value is None else value
        tallies.append(
            Tally(
                label=label(shown),
                yes=row["yes"],
                no=row["no"],
                na=row["na"],
                params={**base, **_param(param, shown)},
            )
        )
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
    total_row = scores.aggregate(**_counts())
    total = Tally("all", total_row["yes"], total_row["no"], total_row["na"], params=base)

    by_channel = _tallies(scores, "transcript__channel__code", base, "transcript__channel__id__exact")
    # The changelist filters channels by id: map each code to its id.
    ids = dict(Channel.objects.values_list("code", "pk"))
    for tally in by_channel:
        tally.params["transcript__channel__id__exact"] = str(ids.get(tally.label, ""))

    cso_rows = scores.values("transcript__cso_name")
    by_cso = _tallies(
        scores,
        "transcript__cso_name",
        base,
        "cso",
        # The CSOs with most NO first: who needs coaching.
        order=["-no", "transcript__cso_name"],
        limit=TOP_CSOS,
    )
    by_day = _tallies(
        scores.annotate(day=TruncDate("transcript__started_at")),
        "day",
        base,
        "transcript__started_at__date",
        label=lambda day: day.isoformat() if day else "-",
    )
    by_zone = _tallies(scores, "zone_label", base, "zone_label", label=lambda z: z or "-")

    reasons = [
        (row["reason"], row["n"], urlencode({**base, "final": Result.NO, "reason": row["reason"]}))
        for row in scores.filter(final=Result.NO)
        .values("reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")[:TOP_REASONS]
    ]

    overridden = scores.filter(Exists(ScoreOverride.objects.filter(score=OuterRef("pk"))))
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
        by_cso=by_cso,
        cso_count=cso_rows.distinct().count(),
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
