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

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum

from policy.models import Channel, Directive
from scoring.choices import Result
from scoring.models import ReasonTally, Score, ScoreOverride, ScoreTally

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

    def apply(self, queryset: QuerySet) -> QuerySet:
        """The same filter on a queryset, the way the changelist applies those parameters:
        on scores, or on the dashboard's tallies, which have the same columns."""
        return queryset.filter(**self.lookups())

    def lookups(self) -> dict:
        # On the score's own copies of the transcript's day and channel (written with the
        # score), which hold what the changelist's transcript filters read.
        lookups: dict = {}
        if self.start:
            lookups["started_on__gte"] = self.start
        if self.end:
            lookups["started_on__lte"] = self.end
        if self.directive:
            lookups["directive_id"] = self.directive.pk
        if self.channel:
            lookups["channel_id"] = self.channel.pk
        if self.zone:
            lookups["zone_label"] = "" if self.zone == NO_ZONE else self.zone
        return lookups


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

# The groups the dashboard shows, as columns of the score row itself (copied from the
# transcript when the score is written), so no count joins another table.
_CUBE = ("started_on", "channel_id", "zone_label")
_GROUPS = {"channel": "channel_id", "cso": "cso_name", "day": "started_on", "zone": "zone_label"}


def _overridden(queryset: QuerySet[Score]) -> QuerySet[Score]:
    # Driven from the overrides (few) to their scores by primary key, not a probe of the
    # overrides for every score selected.
    return queryset.filter(pk__in=ScoreOverride.objects.values("score_id"))


def _counts() -> dict:
    return defaultdict(lambda: {"yes": 0, "no": 0, "na": 0})


def _final_counts(flt: DashboardFilter) -> tuple[dict, dict[str, dict], dict[str, int], list]:
    """The final results of the selected scores: in all, per group (channel id, CSO, day,
    zone), the NO per reason, and the overrides' moves (automatic, final, count).

    The final result is the automatic one except where QA overrode it. The automatic
    results are added up from the tallies the scoring service keeps per group (a few
    thousand rows however many scores), then corrected by the overridden scores alone,
    the only ones whose final result may differ (few: QA writes each by hand), in one
    query on the scores' own copies of the groups."""
    total, reasons = _counts()[None], defaultdict(int)
    groups = {name: _counts() for name in _GROUPS}
    tallies = flt.apply(ScoreTally.objects.filter(count__gt=0)).order_by()
    for row in tallies.values(*_CUBE, "result").annotate(n=Sum("count")):
        for name in ("channel", "day", "zone"):
            groups[name][row[_GROUPS[name]]][_BUCKET[row["result"]]] += row["n"]
        total[_BUCKET[row["result"]]] += row["n"]
    for row in tallies.values("cso_name", "result").annotate(n=Sum("count")):
        groups["cso"][row["cso_name"]][_BUCKET[row["result"]]] += row["n"]
    for row in flt.apply(ReasonTally.objects.filter(count__gt=0)).order_by().values("reason").annotate(n=Sum("count")):
        reasons[row["reason"]] = row["n"]

    queryset = dashboard_scores(flt)
    moves: dict[tuple[str, str], int] = defaultdict(int)
    corrections = (
        _overridden(queryset)
        .with_final_result()
        .order_by()
        .values(*_GROUPS.values(), "reason", "result", "final")
        .annotate(n=Count("pk"))
    )
    for row in corrections:
        automatic, final, n = row["result"], row["final"], row["n"]
        moves[automatic, final] += n
        if automatic == final:
            continue
        for bucket in (total, *(groups[name][row[column]] for name, column in _GROUPS.items())):
            bucket[_BUCKET[automatic]] -= n
            bucket[_BUCKET[final]] += n
        if Result.NO in (automatic, final):
            reasons[row["reason"]] += n if final == Result.NO else -n
    ordered = sorted(moves.items(), key=lambda item: (-item[1], item[0]))
    return total, groups, reasons, [(automatic, final, n) for (automatic, final), n in ordered]


def _tallies(counts: dict, base: dict[str, str], param: str, *, label=str, sort=None):
    tallies = []
    for value, bucket in counts.items():
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
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # These few short aggregates cost more to JIT-compile (~0.1 s each on a
            # million scores) than to run; for this transaction only.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _compliance_dashboard(flt)


def _compliance_dashboard(flt: DashboardFilter) -> Dashboard:
    scores = dashboard_scores(flt)
    base = flt.params()
    counts, groups, reason_counts, moves = _final_counts(flt)
    total = Tally("all", params=base, **counts)

    # The changelist filters channels by id; the dashboard shows their codes.
    codes = dict(Channel.objects.values_list("pk", "code"))
    by_channel = _tallies(
        {codes.get(pk, "") if pk is not None else None: bucket for pk, bucket in groups["channel"].items()},
        base,
        "transcript__channel__id__exact",
    )
    ids = {code: pk for pk, code in codes.items()}
    for tally in by_channel:
        tally.params["transcript__channel__id__exact"] = str(ids.get(tally.label, ""))

    all_csos = _tallies(
        groups["cso"],
        base,
        "cso",
        sort=lambda t: (-t.no, t.label),  # the CSOs with most NO first: who needs coaching
    )
    by_day = _tallies(
        groups["day"],
        base,
        "transcript__started_at__date",
        label=lambda day: day.isoformat() if day else "-",
    )
    by_zone = _tallies(groups["zone"], base, "zone_label", label=lambda z: z or "-")

    top = sorted(((n, reason) for reason, n in reason_counts.items() if n > 0), key=lambda p: (-p[0], p[1]))
    reasons = [
        (reason, n, urlencode({**base, "final": Result.NO, "reason": reason})) for n, reason in top[:TOP_REASONS]
    ]

    recent = list(
        ScoreOverride.objects.filter(score__in=_overridden(scores).values("pk"))
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
    """The zones current scores were decided in (WIB, WITA, WIT...), from the tallies."""
    return list(
        ScoreTally.objects.filter(count__gt=0)
        .exclude(zone_label="")
        .order_by("zone_label")
        .values_list("zone_label", flat=True)
        .distinct()
    )
