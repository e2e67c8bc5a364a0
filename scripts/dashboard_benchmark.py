"""How fast the compliance dashboard answers on many stored scores.

    .venv/bin/python scripts/dashboard_benchmark.py --scores 1000000
    .venv/bin/python scripts/dashboard_benchmark.py --scores 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/postgres [--explain]

It fills a fresh database (a temporary SQLite file, or a dedicated PostgreSQL database
``pln123_dash_bench`` made on the server of ``--database-url`` and dropped after) with the
seeded SOP and N current scores written by plain bulk SQL (not the scoring path, which the
main benchmark measures): transcripts across channels, CSOs, zones and 90 days, a few
older superseded scores, and overrides on a few scores. Then it times the dashboard's
selector (``compliance_dashboard``) and its page through the test client as a QA user,
unfiltered and filtered, and prints a table (the best and the median of the runs).

The work runs in a child process with its own settings, so ``measure_dashboard`` can be
imported and called from another script whatever Django that one has set up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "pln123_dash_bench"
RUNS = 3


def measure_dashboard(n_scores: int, database_url: str | None = None, *, explain: bool = False) -> list[dict]:
    """Fill a fresh database with ``n_scores`` current scores and time the dashboard;
    returns one row per measure: {"what", "best", "median", "runs"} (seconds)."""
    with tempfile.TemporaryDirectory(prefix="pln123-dash-") as folder:
        if database_url:
            url = _create_database(database_url)
        else:
            url = f"sqlite:///{Path(folder) / 'dash.sqlite3'}"
        try:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "DJANGO_SETTINGS_MODULE": "config.settings.local",
                "ALLOWED_HOSTS": "testserver,localhost",
                "DJANGO_DEBUG": "0",
                "PLN123_VAR_DIR": folder,
            }
            out = Path(folder) / "result.json"
            command = [sys.executable, __file__, "--child", str(n_scores), str(out)]
            if explain:
                command.append("--explain")
            subprocess.run(command, env=env, cwd=ROOT, check=True)
            return json.loads(out.read_text())
        finally:
            if database_url:
                _drop_database(database_url)


def _server_url(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection(database_url: str):
    import psycopg

    return psycopg.connect(
        _server_url(database_url, "postgres").replace("postgres://", "postgresql://"), autocommit=True
    )


def _create_database(database_url: str) -> str:
    with _admin_connection(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}"')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return _server_url(database_url, BENCH_DATABASE)


def _drop_database(database_url: str) -> None:
    with _admin_connection(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')


# ---- the child: Django set up on the bench database ---------------------------------

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
ZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
CSOS = 300
DAYS = 90
REASONS = (
    "No greeting in the CSO's first turn.",
    "The greeting names the wrong time of day.",
    "The CSO's name is missing from the greeting.",
    "The closing greeting is missing.",
    "The greeting was sent after the first reply window.",
)


def _fill(n_scores: int) -> dict:
    import datetime as dt
    import random
    from collections import Counter

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from common.users import system_user
    from policy.models import Directive, ScoredParameter
    from policy.seed import sop_seed
    from scoring.models import Score, ScoreOverride, Transcript
    from scoring.services.bulk import rows_insert
    from scoring.services.chunks import dashboard_columns
    from scoring.services.tallies import GROUP, tallies_move

    sop_seed(user=system_user())
    from django.contrib.auth import get_user_model

    qa = get_user_model().objects.create_user("bench-qa", password=None, is_staff=True)
    qa.groups.add(Group.objects.get(name="QA"))
    parameters: dict[int, list[int]] = {}
    for pk, channel_id in ScoredParameter.objects.values_list("pk", "channel_id"):
        parameters.setdefault(channel_id, []).append(pk)
    channels = sorted(parameters)
    directives = {
        channel_id: Directive.objects.filter(channels=channel_id).values_list("pk", flat=True).first()
        for channel_id in channels
    }
    rng = random.Random(123)
    start = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    now = timezone.now()
    transcripts, scores = [], []
    superseded = n_scores // 20  # older scores of rescored transcripts, not current
    transcript_id = 0
    while len(scores) < n_scores + superseded:
        transcript_id += 1
        channel_id = channels[transcript_id % len(channels)]
        cso = transcript_id * 7919 % CSOS
        zone = ZONES[cso % len(ZONES)]
        started = start + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
        cso_name = f"CSO {cso:03d}"
        transcripts.append(
            (transcript_id, f"BENCH-{transcript_id:08d}", channel_id, "", "private", "", zone, "", cso_name, True)
            + (started, "h", now, now)
        )
        columns = dashboard_columns(channel_id, cso_name, started)
        current = len(scores) >= superseded
        for parameter_id in parameters[channel_id]:
            result = rng.choices(("YES", "NO", "NA"), weights=(70, 20, 10))[0]
            reason = rng.choice(REASONS) if result == "NO" else "Greeting found."
            scores.append(
                (transcript_id, parameter_id, result, directives[channel_id], 1, "PLN 123 Selamat pagi", "", reason, [])
                + (started,)
                + (ZONE_LABELS[zone], "bench", "h", now, current, *columns)
            )
    rows_insert(
        Transcript,
        (
            "id",
            "external_id",
            "channel_id",
            "platform",
            "visibility",
            "category",
            "timezone",
            "cso_id",
            "cso_name",
            "first_contact",
            "started_at",
            "content_hash",
            "created_at",
            "updated_at",
        ),
        transcripts,
    )
    score_fields = (
        "transcript_id",
        "parameter_id",
        "result",
        "directive_id",
        "directive_version",
        "expected_greeting",
        "matched_passage",
        "reason",
        "flags",
        "local_time",
        "zone_label",
        "scorer_version",
        "content_hash",
        "scored_at",
        "is_current",
        "channel_id",
        "cso_name",
        "started_on",
    )
    # The dashboard's tallies, as the scoring service keeps them: the current scores' groups.
    at, current_at = [score_fields.index(name) for name in GROUP], score_fields.index("is_current")
    tallies_move(removed=Counter(), added=(tuple(row[i] for i in at) for row in scores if row[current_at]))
    # The superseded scores first (the same transcripts' first parameters), then the current.
    for first in range(0, len(scores), 100_000):
        rows_insert(Score, score_fields, scores[first : first + 100_000])
    overridden = list(Score.objects.current().filter(pk__in=range(1, len(scores) + 1, 200)).values_list("pk", "result"))
    flip = {"YES": "NO", "NO": "YES", "NA": "YES"}
    rows_insert(
        ScoreOverride,
        ("score_id", "result", "justification", "created_by_id", "created_at"),
        [(pk, flip[result], "Checked by hand.", qa.pk, now) for pk, result in overridden],
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('scoring_transcript', 'id'), %s)", [transcript_id])
    return {
        "current": Score.objects.current().count(),
        "all": Score.objects.count(),
        "overrides": len(overridden),
        "qa": qa.pk,
    }


def _timed(function, runs: int = RUNS) -> dict:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return {"best": min(times), "median": statistics.median(times), "runs": runs}


def _explain(function) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    for query in captured.captured_queries:
        sql = query["sql"]
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        with connection.cursor() as cursor:
            began = time.perf_counter()
            cursor.execute(prefix + sql)
            plan = "\n    ".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
            if connection.vendor != "postgresql":  # SQLite's plan has no times: run the query
                began = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
        print(f"\n{time.perf_counter() - began:.3f}s  {sql[:300]}\n    {plan}", file=sys.stderr)


def _child(n_scores: int, out: Path, explain: bool) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse

    from policy.models import Channel
    from scoring.dashboard import DashboardFilter, compliance_dashboard

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    with transaction.atomic():  # one commit for the whole fill, not one per row
        facts = _fill(n_scores)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What autovacuum does on a live server: statistics and the visibility map
            # (index-only scans), here at once.
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    filled = time.perf_counter()
    print(
        f"migrated in {migrated - began:.1f}s, filled {facts['current']} current scores "
        f"({facts['all']} in all, {facts['overrides']} overridden) in {filled - migrated:.1f}s",
        file=sys.stderr,
    )
    channel = Channel.objects.order_by("pk").first()
    period = DashboardFilter(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31), channel=channel)
    client = Client()
    client.force_login(get_user_model().objects.get(pk=facts["qa"]))
    url = reverse("admin:scoring_score_dashboard")
    query = f"?start=01/10/2026&end=31/10/2026&channel={channel.pk}"

    def page(suffix=""):
        response = client.get(url + suffix)
        assert response.status_code == 200, response.status_code
        assert b"dashboard" in response.content

    if explain:
        _explain(lambda: compliance_dashboard(DashboardFilter()))
        _explain(lambda: compliance_dashboard(period))
    rows = []
    for what, function in (
        ("selector, unfiltered", lambda: compliance_dashboard(DashboardFilter())),
        ("selector, one channel in October", lambda: compliance_dashboard(period)),
        ("page as QA, unfiltered", page),
        ("page as QA, one channel in October", lambda: page(query)),
    ):
        rows.append({"what": what, **_timed(function)})
    board = compliance_dashboard(DashboardFilter())
    assert board.total.total == facts["current"], (board.total.total, facts["current"])
    out.write_text(json.dumps(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scores", type=int, default=1_000_000, help="current scores to store (default 1,000,000)")
    parser.add_argument("--database-url", help="a PostgreSQL server (postgres://...); a temporary SQLite file if unset")
    parser.add_argument(
        "--explain", action="store_true", help="print each query's plan (EXPLAIN ANALYZE on PostgreSQL)"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(int(args.child[0]), Path(args.child[1]), args.explain)
        return 0
    if args.scores < 1:
        parser.error("--scores must be at least 1")
    rows = measure_dashboard(args.scores, args.database_url, explain=args.explain)
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\nDashboard on {args.scores:,} current scores, {database}, {platform.node()}, {time.strftime('%Y-%m-%d')}")
    print(f"{'measure':<40} {'best s':>8} {'median s':>9}")
    for row in rows:
        print(f"{row['what']:<40} {row['best']:>8.3f} {row['median']:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
