"""How long a what-if takes over many stored transcripts, in the background.

    .venv/bin/python scripts/whatif_benchmark.py                    # 100,000 transcripts, SQLite + embedded broker
    .venv/bin/python scripts/whatif_benchmark.py --transcripts 20000 --workers 2

In a fresh database of its own (a SQLite file in a temporary folder), as an operator
would: ``migrate``, ``seed_sop``, the project's generator writes N labelled transcripts,
``import_transcripts --inline`` stores and scores them. Then Pusat's draft is made: the
HPN greeting again, ahead of HPN, with its number mistyped ("PLN 132"), so the what-if
has verdicts to flip. The what-if is started as the publish page starts it
(``whatif_start``), and ``celery -A config worker`` processes work through its chunks
while this script reads the run row every two seconds and prints its progress. At the
end: the seconds from start to done, transcripts per second, what the report counted,
and the peak memory of each worker. The real scores are checked untouched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_infra import Env, MemoryWatch, Worker, manage, new_database, run_command  # noqa: E402

DRAFT = """
from common.users import system_user
from policy.models import Channel, Directive, GreetingTemplate
from policy.seed import HPN_CHANNELS, HPN_OPENING
from policy.services import directive_content_save
mistyped = HPN_OPENING.replace("PLN 123 selamat", "PLN 132 selamat")
assert mistyped != HPN_OPENING, "the seeded HPN greeting no longer holds 'PLN 123 selamat'"
hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
draft = Directive(reference="SOP-PLN123-HPN-TYPO", title="HPN with a mistyped number", priority=hpn.priority + 1)
for name in ("kind", "valid_from_date", "valid_from_time", "valid_until_date", "valid_until_time",
             "first_contact_only", "public_owed_categories", "typo_ratio", "typo_min_length", "forms_of_address"):
    setattr(draft, name, getattr(hpn, name))
directive_content_save(
    directive=draft, fields={}, channels=Channel.objects.filter(code__in=HPN_CHANNELS),
    templates=[GreetingTemplate(element="opening", text=mistyped)],
    user=system_user(), reason="what-if benchmark",
)
"""

START = """
from common.users import system_user
from policy.models import Directive
from whatif.services import whatif_start
run = whatif_start(directive=Directive.objects.get(reference="SOP-PLN123-HPN-TYPO"), user=system_user())
print(run.pk, run.transcript_count, run.chunk_count)
"""

SCORES = "SELECT COUNT(*) AS n, SUM(CASE WHEN is_current THEN 1 ELSE 0 END) AS current FROM scoring_score"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transcripts", type=int, default=100_000, help="stored transcripts (default 100,000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the run (default 3600)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pln123-whatif-") as name:
        folder = Path(name)
        db = new_database(None, folder, "whatif")
        env = Env(db.url, "filesystem://", folder)
        memory = MemoryWatch()
        workers: list[Worker] = []
        try:
            run_command(manage("migrate", "-v", "0"), env)
            run_command(manage("seed_sop"), env)
            csv_path = folder / "transcripts.csv"
            log(f"generating {options.transcripts:,} transcripts")
            run_command(
                [
                    "-c",
                    "import sys; from scoring import synthetic; "
                    "synthetic.save(sys.argv[1], int(sys.argv[2]), seed=int(sys.argv[3]))",
                    str(csv_path),
                    str(options.transcripts),
                    str(options.seed),
                ],
                env,
            )
            log("storing and scoring them (import_transcripts --inline)")
            seconds, _ = run_command(manage("import_transcripts", str(csv_path), "--inline"), env)
            log(f"stored and scored in {seconds:.1f} s")
            run_command(manage("shell", "-c", DRAFT), env)
            before = db.rows(SCORES)[0]

            for number in range(1, options.workers + 1):
                worker = Worker(
                    app="config", queues=["scoring"], name=f"whatif{number}", env=env, log=folder / f"w{number}.log"
                )
                memory.watch(f"worker {number}", worker.process.pid)
                workers.append(worker)
            for worker in workers:
                worker.wait_ready()

            started = time.perf_counter()
            _, out = run_command(manage("shell", "-c", START), env)
            run_id, in_scope, chunk_count = (int(v) for v in out.split()[-3:])
            log(f"what-if {run_id} started: {in_scope:,} transcripts in scope, {chunk_count} chunks")
            row = {}
            while time.perf_counter() - started < options.timeout:
                row = db.rows("SELECT * FROM whatif_whatifrun WHERE id = %s", (run_id,))[0]
                log(
                    f"{row['status']}: {row['done_count']:,}/{row['transcript_count']:,} transcripts, "
                    f"{row['chunks_done']}/{row['chunk_count']} chunks, {row['changed_count']:,} would change"
                )
                if row["status"] in ("done", "failed"):
                    break
                time.sleep(2)
            seconds = time.perf_counter() - started
            after = db.rows(SCORES)[0]
        finally:
            for worker in workers:
                worker.stop()
            memory.close()
            db.drop()

    figures = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPU(s), Python {platform.python_version()}",
        "transcripts_stored": options.transcripts,
        "in_scope": in_scope,
        "workers": options.workers,
        "status": row.get("status"),
        "seconds": round(seconds, 1),
        "per_second": round(row.get("done_count", 0) / seconds) if seconds else 0,
        "compared": row.get("compared_count"),
        "would_change": row.get("changed_count"),
        "scores_untouched": before == after,
        "worker_peak_mb": {
            f"worker {n}": round(memory.peak(f"worker {n}") / 2**20) for n in range(1, len(workers) + 1)
        },
    }
    print(json.dumps(figures, indent=2))
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))
    return 0 if row.get("status") == "done" and before == after else 1


if __name__ == "__main__":
    sys.exit(main())
