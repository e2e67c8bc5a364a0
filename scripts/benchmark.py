#!/usr/bin/env python
"""Throughput of the scoring path, measured on this machine.

    .venv/bin/python scripts/benchmark.py [--transcripts 5000] [--seed 0] [--database-url URL]

It generates N transcripts (scoring.synthetic: every case of the rules, the same ones
for the same seed), then times: parsing the upload, the scoring engine alone (plain
functions), and an upload stored and scored inline (parse, store, chunk, score, write
scores) on a fresh database: a temporary SQLite file unless --database-url names
another (it must be empty or disposable: the benchmark migrates it and flushes it).
Figures are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated transcripts")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pln123-bench-"))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["PLN123_VAR_DIR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ.setdefault("PLN123_LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)  # the roles, again, after the flush
    from common.users import system_user
    from policy.seed import sop_seed
    from policy.selectors import policy_snapshot
    from rules import engine
    from scoring import synthetic
    from scoring.services import chunks, ingest

    user = system_user()
    sop_seed(user=user)
    generated = synthetic.generate(args.transcripts, seed=args.seed)
    content = synthetic.upload_bytes(synthetic.transcripts_of(generated), "jsonl")
    n = args.transcripts
    rows = []

    t0 = time.perf_counter()
    transcripts = ingest.batch_validate(filename="bench.jsonl", content=content)
    rows.append(("parse and validate the upload", time.perf_counter() - t0))

    policy = policy_snapshot()
    t0 = time.perf_counter()
    for transcript in transcripts:
        engine.score_transcript(policy, transcript)
    rows.append(("scoring engine alone", time.perf_counter() - t0))

    t0 = time.perf_counter()
    batch = ingest.batch_ingest(filename="bench.jsonl", content=content, user=user, enqueue=False)
    stored = time.perf_counter() - t0
    rows.append(("upload stored (validate, store, chunk)", stored))
    t0 = time.perf_counter()
    batch = chunks.batch_score_inline(batch=batch)
    rows.append(("scored inline, one process (claim, score, write)", time.perf_counter() - t0))
    assert batch.scored_count == n, batch.errors

    engine_name = django.db.connection.vendor
    print(f"{n} transcripts, {engine_name}, Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)\n")
    print("| step | seconds | transcripts/s |")
    print("|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {n / seconds:,.0f} |")


if __name__ == "__main__":
    main()
