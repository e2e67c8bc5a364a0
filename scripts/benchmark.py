#!/usr/bin/env python
"""Throughput and memory of the scoring path, measured on this machine in one run.

    .venv/bin/python scripts/benchmark.py [--transcripts 100000] [--naive-transcripts N] [--workers 2]
        [--seed 0] [--database-url postgres://USER@HOST:PORT/DB] [--broker-url redis://HOST:PORT/N]

It generates N transcripts with the project's generator (``scoring.synthetic``: every
case of the rules, the same ones for the same seed, each with its label) into a CSV
file, then measures, side by side:

1. the engine alone, no database, in this process: transcripts per CPU-second on one
   core (the ceiling), on the whole mix and on its compliant (YES) and non-compliant
   (NO) transcripts;
2. the site's real path, as an operator runs it: ``import_transcripts FILE`` (a
   subprocess), scored by ``celery -A config worker`` processes the benchmark starts,
   ``export_scores``; timed per stage (the import returned, the upload stored, the
   scoring done, the file exported) from the batch row, with one worker process and
   with ``--workers`` of them;
3. the naive path a Django team writes first (``scripts/bench_naive.py``): a
   django-import-export resource importing the message rows and one Celery task per
   transcript, on a smaller N (``--naive-transcripts``) and scaled to N;
4. the ratios: real/naive, two workers/one, engine/real; and the peak memory (RSS) of
   every process (each worker, the import, the export), sampled with psutil.

Every exported file is checked against the generator's labels. Each run has a fresh
database of its own: SQLite files and the embedded filesystem broker in a temporary
folder by default; with ``--database-url`` (or ``BENCH_DATABASE_URL``) databases named
``pln123_bench_*`` are created on that PostgreSQL server (connecting to the URL's
database only to create and drop them), and ``--broker-url`` (or ``BENCH_BROKER_URL``)
names a Redis database that must be empty. Everything is removed at the end unless
``--workdir`` is given (the files are kept there).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_infra import (  # noqa: E402
    MANAGE,
    Broker,
    CommandFailed,
    Database,
    Env,
    MemoryWatch,
    Worker,
    manage,
    new_database,
    run_command,
)

# The batch row's statuses that mean "finished" (scoring.choices.BatchStatus); words
# that, in a status, mean the upload is still being read and stored by a worker.
FINISHED = ("done", "incomplete")
BROKEN = ("stalled", "failed", "rejected", "invalid", "error")
STORING_WORDS = ("receiv", "stor", "ingest", "valid", "pars", "upload", "import")
MB = 1024 * 1024
TARGETS = {
    "csv_to_export_embedded": 45.0,
    "csv_to_export_pg_redis": 30.0,
    "engine_per_core": 10_000,
    "peak_rss_mb": 300,
    "two_over_one": 1.7,
    "real_over_naive": 20.0,
    "kill_recovery_s": 60.0,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", file=sys.stderr, flush=True)


# --- results ----------------------------------------------------------------------------


@dataclass
class EngineFigure:
    mix: str
    transcripts: int
    cpu_seconds: float
    wall_seconds: float
    agreement: int

    @property
    def rate(self) -> float:
        return self.transcripts / self.cpu_seconds if self.cpu_seconds else 0.0


@dataclass
class PathFigure:
    """One run of a path: seconds from the start of the import to each stage."""

    name: str
    workers: int
    transcripts: int
    import_returned: float
    stored: float
    scored: float
    exported: float
    agreement: int
    failed: int = 0
    scale: float = 1.0  # >1: measured on transcripts/scale and multiplied
    memory: dict = field(default_factory=dict)  # role -> (peak bytes, processes)
    export_path: str = ""

    @property
    def file_to_scored_rate(self) -> float:
        return self.transcripts / self.scored

    @property
    def scoring_rate(self) -> float:
        return self.transcripts / max(self.scored - self.stored, 1e-9)

    @property
    def total(self) -> float:
        return self.exported


# --- the input --------------------------------------------------------------------------


def write_input(path: Path, labels: Path, count: int, seed: int) -> tuple[float, int]:
    """The upload file and its labels, streamed by the generator; returns the seconds
    it took and the message rows written."""
    from scoring import synthetic

    start = time.perf_counter()
    synthetic.save(path, count, seed=seed, labels_path=labels)
    seconds = time.perf_counter() - start
    with open(path, newline="", encoding="utf-8") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1  # some texts hold line breaks
    return seconds, rows


def read_labels(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["transcript_id"]: row for row in csv.DictReader(handle)}


def agrees(label: dict, *, result: str, directive: str, expected_greeting: str, flags: str) -> bool:
    """A score as labelled: the result and the flags, and where a greeting was owed
    (YES, NO) the deciding document and the greeting; a NA label names neither."""
    same_flags = sorted(f for f in flags.split(";") if f) == sorted(f for f in label["flags"].split(";") if f)
    if result != label["result"] or not same_flags:
        return False
    return label["result"] == "NA" or (
        directive == label["directive"] and expected_greeting == label["expected_greeting"]
    )


def export_agreement(path: Path, labels: dict[str, dict]) -> int:
    """How many labelled transcripts the exported file scores as labelled."""
    agree = 0
    seen = set()
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            label = labels.get(row["transcript_id"])
            if label is None or row["transcript_id"] in seen:
                continue
            seen.add(row["transcript_id"])
            fields = ("result", "directive", "expected_greeting", "flags")
            agree += agrees(label, **{name: row[name] for name in fields})
    return agree


# --- (1) the engine alone ---------------------------------------------------------------


def stage_engine(count: int, seed: int) -> list[EngineFigure]:
    """The engine's plain functions on parsed transcripts, in this process, one core."""
    from policy.selectors import policy_snapshot
    from rules import engine
    from scoring import synthetic
    from scoring.parsers import parse_upload
    from scoring.selectors import upload_vocabulary

    items = list(synthetic.generate(count, seed=seed))
    labels = {item.label.transcript_id: item.label.row() for item in items}
    content = synthetic.upload_bytes(synthetic.transcripts_of(items), "jsonl")
    parsed = parse_upload("engine.jsonl", content, **upload_vocabulary())
    del items, content
    policy = policy_snapshot()
    for transcript in parsed[:200]:  # warm the caches a worker's first chunk warms too
        engine.score_transcript(policy, transcript)
    mixes = {
        "mix": parsed,
        "YES": [t for t in parsed if labels[t.external_id]["result"] == "YES"],
        "NO": [t for t in parsed if labels[t.external_id]["result"] == "NO"],
    }
    figures = []
    for name, transcripts in mixes.items():
        wall, cpu = time.perf_counter(), time.process_time()
        verdicts = [engine.score_transcript(policy, t) for t in transcripts]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        agree = sum(
            1
            for t, v in zip(transcripts, verdicts, strict=True)
            if v
            and agrees(
                labels[t.external_id],
                result=v[0].result,
                directive=v[0].directive.reference if v[0].directive else "",
                expected_greeting=v[0].expected_greeting,
                flags=";".join(v[0].flags),
            )
        )
        figures.append(EngineFigure(name, len(transcripts), cpu, wall, agree))
    return figures


# --- (2) the real path, (3) the naive path ----------------------------------------------


def _batch(db: Database, after: int) -> dict | None:
    rows = db.rows("SELECT * FROM scoring_uploadbatch WHERE id > %s ORDER BY id LIMIT 1", (after,))
    return rows[0] if rows else None


def _is_stored(row: dict, expected: int) -> bool:
    """The upload is stored: every transcript is in, cut into chunks, and the batch no
    longer says it is reading the file. True at once when ``import_transcripts``
    stores before it returns; later when a worker ingests the file."""
    status = str(row.get("status", "")).lower()
    if any(word in status for word in STORING_WORDS):
        return False
    return (row.get("chunk_count") or 0) > 0 and (row.get("transcript_count") or 0) >= expected


def _watch_import(
    db: Database, process: subprocess.Popen, *, expected: int, after: int, start: float, timeout: float, workers
) -> tuple[float, float, float, dict]:
    """Poll the batch row until it is scored; returns the seconds (from ``start``) at
    which the import returned, the upload was stored and the scoring was done."""
    returned = stored = done = None
    deadline = time.monotonic() + timeout
    while True:
        now = time.perf_counter() - start
        if returned is None and process.poll() is not None:
            returned = now
            if process.returncode != 0:
                output = process.stdout.read().decode(errors="replace")
                raise CommandFailed(f"import_transcripts exited with {process.returncode}:\n{output[-3000:]}")
        row = _batch(db, after)
        if row is not None:
            status = str(row["status"]).lower()
            # The row appears when the import commits: stored then, if it stores itself.
            if stored is None and _is_stored(row, expected):
                stored = now
            if done is None and status in FINISHED:
                done = now
            if done is not None and returned is not None:
                return returned, stored if stored is not None else done, done, row
            if any(word in status for word in BROKEN):
                raise CommandFailed(f"batch {row['id']} is {status}: {row.get('errors') or row.get('note')}")
        for worker in workers:
            if worker.process.poll() is not None:
                raise CommandFailed(f"worker {worker.name} died:\n{worker.tail()}")
        if time.monotonic() > deadline:
            raise CommandFailed(f"not scored after {timeout:.0f}s; batch row: {row}")
        time.sleep(0.05)


def _start_workers(*, app, queues, prefix, count, env, memory, folder) -> list[Worker]:
    workers = [
        Worker(app=app, queues=queues, name=f"{prefix}{i}", env=env, log=folder / f"worker-{i}.log")
        for i in range(1, count + 1)
    ]
    for i, worker in enumerate(workers, 1):
        memory.watch(f"{prefix} worker {i}", worker.process.pid)
    for worker in workers:
        worker.wait_ready()
    return workers


def stage_real(*, name, db, broker, workers, csv_path, expected, queues, memory, folder, labels, timeout) -> PathFigure:
    folder.mkdir(parents=True, exist_ok=True)
    env = Env(db.url, broker.url, folder / "var")
    broker.reset(queues)
    log(f"{name}: starting {workers} worker(s)")
    pool = _start_workers(
        app="config", queues=queues, prefix=name, count=workers, env=env, memory=memory, folder=folder
    )
    try:
        after = db.rows("SELECT COALESCE(MAX(id), 0) AS last FROM scoring_uploadbatch")[0]["last"]
        log(f"{name}: import_transcripts {csv_path.name}")
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "import_transcripts", str(csv_path)],
            cwd=ROOT,
            env=env.as_dict(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        memory.watch(f"{name} import_transcripts", process.pid)
        returned, stored, scored, row = _watch_import(
            db, process, expected=expected, after=after, start=start, timeout=timeout, workers=pool
        )
        log(f"{name}: scored ({row['scored_count']} scored, {row['failed_count']} failed)")
    finally:
        for worker in pool:
            worker.stop()
    out = folder / "export.csv"
    seconds, _ = run_command(
        manage("export_scores", str(out), "--batch", str(row["id"])), env, memory=memory, role=f"{name} export_scores"
    )
    roles = [f"{name} import_transcripts", *(f"{name} worker {i}" for i in range(1, workers + 1))]
    roles.append(f"{name} export_scores")
    return PathFigure(
        name=name,
        workers=workers,
        transcripts=expected,
        import_returned=returned,
        stored=stored,
        scored=scored,
        exported=scored + seconds,
        agreement=export_agreement(out, labels),
        failed=row["failed_count"],
        memory={role: (memory.peak(role), memory.processes(role)) for role in roles},
        export_path=str(out),
    )


def stage_naive(*, db, broker, workers, csv_path, count, scale, memory, folder, labels, timeout) -> PathFigure:
    from bench_naive import NAIVE_QUEUE

    name = "naive"
    folder.mkdir(parents=True, exist_ok=True)
    env = Env(db.url, broker.url, folder / "var")
    broker.reset([NAIVE_QUEUE])
    log(f"naive: starting {workers} worker(s)")
    pool = _start_workers(
        app="bench_naive", queues=[NAIVE_QUEUE], prefix=name, count=workers, env=env, memory=memory, folder=folder
    )
    try:
        log(f"naive: import of {count} transcripts with django-import-export")
        start = time.perf_counter()
        returned, _ = run_command(
            [str(ROOT / "scripts" / "bench_naive.py"), "import", str(csv_path)],
            env,
            memory=memory,
            role="naive import (django-import-export)",
        )
        deadline = time.monotonic() + timeout
        while True:
            done = db.rows(
                "SELECT COUNT(DISTINCT transcript_id) AS n FROM scoring_score WHERE is_current = %s", (True,)
            )[0]["n"]
            if done >= count:
                break
            for worker in pool:
                if worker.process.poll() is not None:
                    raise CommandFailed(f"naive worker {worker.name} died:\n{worker.tail()}")
            if time.monotonic() > deadline:
                raise CommandFailed(f"naive path: {done}/{count} scored after {timeout:.0f}s")
            time.sleep(0.1)
        scored = time.perf_counter() - start
        log("naive: scored")
    finally:
        for worker in pool:
            worker.stop()
    out = folder / "export.csv"
    seconds, _ = run_command(manage("export_scores", str(out)), env, memory=memory, role="naive export_scores")
    roles = ["naive import (django-import-export)", *(f"naive worker {i}" for i in range(1, workers + 1))]
    return PathFigure(
        name=name,
        workers=workers,
        transcripts=count,
        import_returned=returned,
        stored=returned,
        scored=scored,
        exported=scored + seconds,
        agreement=export_agreement(out, labels),
        scale=scale,
        memory={role: (memory.peak(role), memory.processes(role)) for role in roles},
        export_path=str(out),
    )


# --- (5) a killed worker ----------------------------------------------------------------


@dataclass
class KillFigure:
    transcripts: int
    chunk: int | None = None
    back_after: float | None = None  # seconds from the kill to the chunk scored by another
    rescored_by: str = ""
    scores: int = 0  # scores the batch holds at the end: one per transcript, or a chunk was scored twice
    waited: float = 0.0
    note: str = ""


def stage_kill(*, db, broker, csv_path, expected, queues, memory, folder, timeout, kill_timeout) -> KillFigure:
    """Two workers and the sweeper (``celery beat``) with the site's settings; worker 1
    is SIGKILLed while it holds a chunk; the clock runs until another worker has scored
    that chunk."""
    from bench_infra import start_beat

    folder.mkdir(parents=True, exist_ok=True)
    env = Env(db.url, broker.url, folder / "var")
    broker.reset(queues)
    log("kill: starting 2 workers and the sweeper")
    pool = _start_workers(app="config", queues=queues, prefix="kill", count=2, env=env, memory=memory, folder=folder)
    beat = start_beat(env, folder / "beat.log")
    figure = KillFigure(transcripts=expected)
    try:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "import_transcripts", str(csv_path)],
            cwd=ROOT,
            env=env.as_dict(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        held, before = [], None
        while not held:
            claimed = db.rows(
                "SELECT id FROM scoring_scoringchunk WHERE status = %s AND claimed_by LIKE %s ORDER BY id",
                ("claimed", "kill1@%"),
            )
            # A claim seen the moment it is made: the worker is surely still scoring it.
            if before is not None:
                held = [row for row in claimed if row["id"] not in before]
            before = {row["id"] for row in claimed}
            batch = _batch(db, 0)
            if (
                held
                or time.monotonic() > deadline
                or (process.poll() is not None and process.returncode != 0)
                or (batch is not None and str(batch["status"]).lower() in FINISHED)
            ):
                break
            time.sleep(0.05)
        if not held:
            process.wait()
            figure.note = "worker 1 held no chunk (use a larger --kill-transcripts)"
            return figure
        pool[0].kill()
        killed = time.perf_counter()
        process.wait()  # the import may still be returning: after the kill, not before
        figure.chunk = held[0]["id"]
        log(f"kill: worker 1 SIGKILLed holding chunk {figure.chunk}; waiting up to {kill_timeout:.0f}s")
        while time.perf_counter() - killed < kill_timeout:
            row = db.rows("SELECT status, claimed_by FROM scoring_scoringchunk WHERE id = %s", (figure.chunk,))[0]
            if row["status"] == "done":
                figure.rescored_by = str(row["claimed_by"]).split("@")[0]
                if figure.rescored_by == "kill1":
                    figure.note = "worker 1 finished its chunk before the kill landed"
                else:
                    figure.back_after = time.perf_counter() - killed
                break
            time.sleep(0.1)
        figure.waited = time.perf_counter() - killed
        if figure.back_after is not None:
            batch = _batch(db, 0)
            while str(batch["status"]).lower() not in FINISHED and time.monotonic() < deadline:
                time.sleep(0.2)
                batch = _batch(db, 0)
            figure.scores = db.rows("SELECT COUNT(*) AS n FROM scoring_score WHERE batch_id = %s", (batch["id"],))[0][
                "n"
            ]
    finally:
        for worker in pool:
            worker.stop()
        beat.terminate()
        beat.wait(timeout=30)
    return figure


# --- the report -------------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds:,.1f} s"


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _pct(agree: int, total: int) -> str:
    return f"{agree:,}/{total:,} ({100 * agree / total:.2f}%)" if total else "–"


def _mb(value: int) -> str:
    return f"{value / MB:,.0f} MB"


def report(
    *, machine: dict, engine: list[EngineFigure], real: list[PathFigure], naive: PathFigure | None, n: int, kill=None
):
    lines = [f"## PLN 123 benchmark, {machine['date']}", ""]
    lines.append(
        f"- machine: {machine['cpus']} CPU(s) ({machine['cpu_model']}), {machine['os']}, Python {machine['python']}, "
        f"load average {machine['load']} at the start (a shared machine moves every figure)"
    )
    lines.append(f"- database: {machine['database']}; broker: {machine['broker']}")
    lines.append(
        f"- input: {n:,} transcripts from `scoring.synthetic` (seed {machine['seed']}), a CSV of "
        f"{machine['csv_mb']:.1f} MB and {machine['csv_rows']:,} message rows, "
        f"written in {machine['generate_s']:.1f} s; "
        f"chunk size {machine['chunk_size']}"
    )
    lines += [
        "",
        "Times are seconds from the start of `import_transcripts`; each worker is one "
        "`celery -A config worker --concurrency 1` process. The engine's rate is per CPU-second of one process.",
        "",
        "| path | transcripts | import returned | upload stored | scoring done | exported | "
        "file → scored, transcripts/s | scoring stage, transcripts/s | agrees with labels |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for figure in engine:
        lines.append(
            f"| (1) engine alone, one core, {figure.mix} | {figure.transcripts:,} | – | – | "
            f"{figure.cpu_seconds:,.2f} s CPU | – | – | {_n(figure.rate)} | "
            f"{_pct(figure.agreement, figure.transcripts)} |"
        )
    for figure in real:
        lines.append(
            f"| (2) real path, {figure.workers} worker(s) | {figure.transcripts:,} | {_s(figure.import_returned)} | "
            f"{_s(figure.stored)} | {_s(figure.scored)} | {_s(figure.exported)} | {_n(figure.file_to_scored_rate)} | "
            f"{_n(figure.scoring_rate)} | {_pct(figure.agreement, figure.transcripts)} |"
        )
    if naive is not None:
        k = naive.scale
        scaled = "" if k == 1 else f", measured on {naive.transcripts:,} and scaled ×{k:,.1f}"
        lines.append(
            f"| (3) naive path, {naive.workers} worker(s){scaled} | {round(naive.transcripts * k):,} | "
            f"{_s(naive.import_returned * k)} | {_s(naive.stored * k)} | {_s(naive.scored * k)} | "
            f"{_s(naive.exported * k)} | {_n(naive.file_to_scored_rate)} | {_n(naive.scoring_rate)} | "
            f"{_pct(naive.agreement, naive.transcripts)} |"
        )
    lines += ["", "| figure | measured | target | met |", "|---|---:|---:|---|"]
    for row in targets(machine, engine, real, naive, n, kill):
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "| process | peak RSS (largest process of it) | processes |", "|---|---:|---:|"]
    lines.append(f"| this benchmark (generator, engine stage) | {_mb(machine['self_rss'])} | 1 |")
    for figure in [*real, *([naive] if naive else [])]:
        for role, (peak, count) in figure.memory.items():
            lines.append(f"| ({'3' if figure is naive else '2'}) {role} | {_mb(peak)} | {count} |")
    return "\n".join(lines)


def targets(machine, engine, real, naive, n, kill=None) -> list[list[str]]:
    rows = []
    embedded = machine["vendor"] == "sqlite" and not machine["redis"]
    limit = TARGETS["csv_to_export_embedded" if embedded else "csv_to_export_pg_redis"]
    best = min(real, key=lambda f: f.total)
    projected = best.total * 100_000 / n
    where = f"N={n:,}, {best.workers} worker(s): {_s(best.total)}"
    if n != 100_000:
        where += f"; ×{100_000 / n:,.1f} → {_s(projected)} at 100,000 if linear"
    rows.append(
        [
            "100,000 transcripts CSV → exported scores",
            where,
            f"≤ {limit:.0f} s ({'SQLite + embedded broker' if embedded else 'PostgreSQL + Redis'})",
            _met(projected <= limit, projected=n != 100_000),
        ]
    )
    mix = next(f for f in engine if f.mix == "mix")
    worst = min(engine, key=lambda f: f.rate)
    rows.append(
        [
            "engine alone, transcripts/s per core (mix; its slowest part)",
            f"{_n(mix.rate)} ({worst.mix}: {_n(worst.rate)})",
            f"≥ {TARGETS['engine_per_core']:,}",
            _met(worst.rate >= TARGETS["engine_per_core"]),
        ]
    )
    one = next((f for f in real if f.workers == 1), None)
    many = max(real, key=lambda f: f.workers)
    if one is not None and many is not one:
        ratio = many.scoring_rate / one.scoring_rate
        # Below a second the stage is the broker's latency, not the scoring.
        short = min(f.scored - f.stored for f in (one, many)) < 1.0
        rows.append(
            [
                f"{many.workers} workers / 1, scoring stage",
                f"{ratio:.2f}×" + (" (a scoring stage under 1 s: too small an N to tell)" if short else ""),
                f"≥ {TARGETS['two_over_one']}×",
                "–" if short else _met(ratio >= TARGETS["two_over_one"]),
            ]
        )
    if naive is not None:
        peer = next((f for f in real if f.workers == naive.workers), many)
        ratio = peer.file_to_scored_rate / naive.file_to_scored_rate
        rows.append(
            [
                f"real / naive, file → scored ({peer.workers} worker(s) each)",
                f"{ratio:,.1f}×",
                f"≥ {TARGETS['real_over_naive']:.0f}×",
                _met(ratio >= TARGETS["real_over_naive"]),
            ]
        )
    rows.append(
        [
            f"engine (one core) / real path ({many.workers} worker(s)), file → scored",
            f"{mix.rate / many.file_to_scored_rate:,.1f}×",
            "–",
            "–",
        ]
    )
    peaks = [(peak, role) for f in real for role, (peak, _) in f.memory.items()]
    peak, role = max(peaks)
    rows.append(
        [
            "peak RSS of any process of the real path",
            f"{_mb(peak)} ({role}, N={n:,})",
            f"< {TARGETS['peak_rss_mb']} MB at 1,000,000 transcripts",
            _met(peak < TARGETS["peak_rss_mb"] * MB, projected=n < 1_000_000),
        ]
    )
    if kill is not None:
        if kill.back_after is not None:
            twice = "" if kill.scores == kill.transcripts else f"; **{kill.scores:,} scores for {kill.transcripts:,}**"
            measured = f"{_s(kill.back_after)} (chunk {kill.chunk}, by {kill.rescored_by}{twice})"
            met = _met(kill.back_after <= TARGETS["kill_recovery_s"] and kill.scores == kill.transcripts)
        else:
            measured = kill.note or f"not back after {_s(kill.waited)}"
            met = "**no**" if not kill.note else "–"
        rows.append(
            [
                f"a SIGKILLed worker's chunk scored by another ({kill.transcripts:,} transcripts, 2 workers, sweeper)",
                measured,
                f"≤ {TARGETS['kill_recovery_s']:.0f} s, no chunk scored twice",
                met,
            ]
        )
    return rows


def _met(ok: bool, *, projected: bool = False) -> str:
    if projected:
        return "on course (at this N)" if ok else "no (at this N)"
    return "yes" if ok else "**no**"


# --- the run ----------------------------------------------------------------------------


def machine_facts(db: Database, broker: Broker) -> dict:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "database": db.server_version() + (" (a file in a temporary folder)" if db.vendor == "sqlite" else ""),
        "vendor": db.vendor,
        "broker": broker.describe(),
        "redis": broker.is_redis,
    }


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=100_000, help="N, the transcripts of the real path")
    parser.add_argument(
        "--naive-transcripts", type=int, default=None, help="the naive path's N (default N/20, at most 2,000)"
    )
    parser.add_argument(
        "--engine-transcripts", type=int, default=None, help="the engine stage's N (default N, at most 20,000)"
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes compared with one (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-kill", action="store_true", help="no SIGKILL recovery stage")
    parser.add_argument(
        "--kill-transcripts", type=int, default=None, help="the kill stage's N (default N, at most 2,000)"
    )
    parser.add_argument("--kill-timeout", type=float, default=120, help="seconds to wait for the killed chunk")
    parser.add_argument("--skip-one-worker", action="store_true", help="only the --workers run of the real path")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL"))
    parser.add_argument("--timeout", type=float, default=3600, help="seconds a stage may take at most")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the files (CSV, labels, exports, logs) here")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.transcripts < 1 or args.workers < 1:
        parser.error("--transcripts and --workers must be at least 1")
    if args.naive_transcripts is None:
        args.naive_transcripts = max(1, min(args.transcripts, max(args.transcripts // 20, 1), 2000))
    args.naive_transcripts = min(args.naive_transcripts, args.transcripts)
    if args.kill_transcripts is None:
        args.kill_transcripts = min(args.transcripts, 2000)
    if args.engine_transcripts is None:
        args.engine_transcripts = min(args.transcripts, 20_000)
    return args


def _interrupted(signum, frame):
    raise KeyboardInterrupt  # so that the workers are stopped and the databases dropped


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    args = parse_args(argv)
    keep = args.workdir is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pln123-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    broker = Broker(args.broker_url)
    broker.check_empty()
    memory = MemoryWatch()
    memory.watch_self("benchmark")
    databases: list[Database] = []
    n = args.transcripts
    try:
        log(f"generating {n:,} transcripts (seed {args.seed}) in {workdir}")
        csv_path, labels_path = workdir / "transcripts.csv", workdir / "labels.csv"
        generate_s, csv_rows = write_input(csv_path, labels_path, n, args.seed)
        labels = read_labels(labels_path)
        template = new_database(args.database_url, workdir, "template")
        databases.append(template)
        log("migrating and seeding the template database")
        template_env = Env(template.url, broker.url, workdir / "template-var")
        run_command(manage("migrate", "--verbosity", "0"), template_env)
        run_command(manage("seed_sop"), template_env)
        runs = ([] if args.skip_one_worker or args.workers == 1 else [1]) + [args.workers]
        copies = {f"real{k}": template.copy(f"real{k}", workdir) for k in runs}
        if not args.skip_naive:
            copies["naive"] = template.copy("naive", workdir)
        if not args.skip_kill:
            copies["kill"] = template.copy("kill", workdir)
        databases += copies.values()
        machine = machine_facts(template, broker)
        machine.update(
            seed=args.seed,
            csv_mb=csv_path.stat().st_size / MB,
            csv_rows=csv_rows,
            generate_s=generate_s,
        )
        template.close()

        # This process reads the policy of the template (the engine stage) and the
        # settings (queues, chunk size), and nothing else.
        os.environ.update(template_env.as_dict())
        import django

        django.setup()
        from django.conf import settings
        from django.db import connections

        queues = sorted(
            {settings.CELERY_TASK_DEFAULT_QUEUE}
            | {route.get("queue") for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values()} - {None}
        )
        machine["chunk_size"] = settings.SCORING_CHUNK_SIZE
        log(f"(1) the engine alone on {args.engine_transcripts:,} transcripts")
        engine_figures = stage_engine(args.engine_transcripts, args.seed)
        connections.close_all()
        machine["self_rss"] = memory.peak("benchmark")

        real = []
        for k in runs:
            real.append(
                stage_real(
                    name=f"real{k}",
                    db=copies[f"real{k}"],
                    broker=broker,
                    workers=k,
                    csv_path=csv_path,
                    expected=n,
                    queues=queues,
                    memory=memory,
                    folder=workdir / f"real{k}",
                    labels=labels,
                    timeout=args.timeout,
                )
            )
        naive = None
        if not args.skip_naive:
            m = args.naive_transcripts
            naive_csv, naive_labels = workdir / "naive.csv", workdir / "naive-labels.csv"
            write_input(naive_csv, naive_labels, m, args.seed)
            naive = stage_naive(
                db=copies["naive"],
                broker=broker,
                workers=args.workers,
                csv_path=naive_csv,
                count=m,
                scale=n / m,
                memory=memory,
                folder=workdir / "naive",
                labels=read_labels(naive_labels),
                timeout=args.timeout,
            )
        kill = None
        if not args.skip_kill:
            k = args.kill_transcripts
            kill_csv = workdir / "kill.csv"
            write_input(kill_csv, workdir / "kill-labels.csv", k, args.seed)
            kill = stage_kill(
                db=copies["kill"],
                broker=broker,
                csv_path=kill_csv,
                expected=k,
                queues=queues,
                memory=memory,
                folder=workdir / "kill",
                timeout=args.timeout,
                kill_timeout=args.kill_timeout,
            )
        text = report(machine=machine, engine=engine_figures, real=real, naive=naive, n=n, kill=kill)
        print(text, flush=True)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "machine": machine,
                        "engine": [asdict(f) | {"rate": f.rate} for f in engine_figures],
                        "real": [asdict(f) | {"scoring_rate": f.scoring_rate} for f in real],
                        "naive": asdict(naive) if naive else None,
                        "kill": asdict(kill) if kill else None,
                        "targets": targets(machine, engine_figures, real, naive, n, kill),
                    },
                    indent=2,
                )
            )
        ok = all(f.agreement == f.transcripts for f in real) and (naive is None or naive.agreement == naive.transcripts)
        return 0 if ok else 1
    except CommandFailed as exc:
        log(f"benchmark failed: {exc}")
        return 2
    finally:
        memory.close()
        for db in databases:
            try:
                db.drop()
            except Exception as exc:  # noqa: BLE001 - say so, and go on removing the others
                log(f"could not drop {db.url}: {exc}")
        broker.reset(["scoring", "naive"])
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
