"""The benchmark runs end to end, as anyone would run it, and its figures rest on
correct scores: a tiny N on SQLite and the embedded broker, real worker processes.
No timing is asserted; only that every figure is printed and every path scored right."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scoring import synthetic
from tests.labels import mismatches

ROOT = Path(__file__).resolve().parent.parent
N, NAIVE, SEED = 200, 20, 3


def run_script(name: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    """One of scripts/ run as anyone would run it: the SQLite default and the embedded
    broker (no test settings, database or broker of this process leak into it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_", "DATABASE_URL", "CELERY_"))}
    env.pop("BENCH_DATABASE_URL", None)
    env.pop("BENCH_BROKER_URL", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bench")
    figures = workdir / "figures.json"
    result = run_script(
        "benchmark.py",
        "--transcripts",
        str(N),
        "--naive-transcripts",
        str(NAIVE),
        "--kill-transcripts",
        str(N),
        "--kill-timeout",
        "5",
        "--seed",
        str(SEED),
        "--timeout",
        "600",
        "--workdir",
        str(workdir / "files"),
        "--json",
        str(figures),
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout, json.loads(figures.read_text()), workdir / "files"


def _labels(count: int) -> dict[str, dict[str, str]]:
    return {item.label.transcript_id: item.label.row() for item in synthetic.generate(count, seed=SEED)}


def _export(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_every_figure_is_printed(run):
    """GIVEN the benchmark at a tiny N WHEN it has run THEN its report holds a row per
    path, per ratio and target, and per process, with the machine and the date."""
    out, figures, _ = run
    for row in (
        "| (1) engine alone, one core, mix |",
        "| (1) engine alone, one core, YES |",
        "| (1) engine alone, one core, NO |",
        "| (2) real path, 1 worker(s) |",
        "| (2) real path, 2 worker(s) |",
        f"| (3) naive path, 2 worker(s), measured on {NAIVE} and scaled ×10.0 |",
        "| 100,000 transcripts CSV → exported scores |",
        "| engine alone, transcripts/s per core",
        "| 2 workers / 1, scoring stage |",
        "| real / naive, file → scored (2 worker(s) each) |",
        "| engine (one core) / real path (2 worker(s)), file → scored |",
        "| peak RSS of any process of the real path |",
        "| a SIGKILLed worker's chunk scored by another",
        "| (2) real1 import_transcripts |",
        "| (2) real1 worker 1 |",
        "| (2) real2 worker 1 |",
        "| (2) real2 worker 2 |",
        "| (2) real2 export_scores |",
        "| (3) naive import (django-import-export) |",
        "| (3) naive worker 2 |",
    ):
        assert row in out, f"{row!r} missing from:\n{out}"
    assert "CPU(s)" in out and "Python 3." in out and "SQLite" in out and "embedded filesystem broker" in out
    assert figures["machine"]["date"][:4].isdigit()
    for path in figures["real"]:
        assert path["transcripts"] == N and path["agreement"] == N
        assert 0 < path["import_returned"] and 0 < path["stored"] <= path["scored"] <= path["exported"]
        assert all(peak > 0 for peak, _ in path["memory"].values())
    assert figures["naive"]["agreement"] == NAIVE
    assert all(engine["agreement"] == engine["transcripts"] for engine in figures["engine"])


@pytest.mark.slow
def test_exported_scores_agree_with_the_labels(run):
    """GIVEN the files the benchmark kept WHEN its exports are read back THEN every
    path scored every generated transcript as the generator labelled it."""
    _, _, files = run
    fields = ("result", "directive", "expected_greeting", "flags")
    for name in ("real1", "real2"):
        assert mismatches(_export(files / name / "export.csv"), _labels(N), fields=fields) == []
    assert mismatches(_export(files / "naive" / "export.csv"), _labels(NAIVE), fields=fields) == []


@pytest.mark.slow
def test_the_whatif_benchmark_runs_a_draft_in_the_background_and_counts_its_flips(tmp_path):
    """scripts/whatif_benchmark.py at a tiny N: the run ends done, it compared every
    transcript in scope, the mistyped number flips verdicts, and no score was written."""
    figures = tmp_path / "whatif.json"
    result = run_script("whatif_benchmark.py", "--transcripts", "300", "--json", str(figures), timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(figures.read_text())
    assert report["status"] == "done"
    assert report["scores_untouched"] is True
    assert 0 < report["in_scope"] <= 300 and report["compared"] == report["in_scope"]
    assert report["would_change"] > 0
    assert "done:" in result.stdout
