"""Issue 9: an upload of a million message rows is checked and stored in bounded memory,
measured on a separate process doing what the ingest worker does."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time

import psutil
import pytest
from django.db import connection

from scoring import synthetic
from scoring.choices import BatchStatus
from scoring.models import Message, ScoringChunk, Transcript, UploadBatch
from tests.workers import ROOT
from tests.workers import test_database_url as database_url

ROWS = 1_000_000
CEILING_MB = 300

# The child stores the file as the upload request does, then runs the ingest task's
# body as a worker does (its chunks go to a broker folder nobody reads: scoring is not
# measured here), and reports its own peak resident memory.
CHILD = """
import json, resource, sys
import django
django.setup()
from django.core.files import File
from scoring.services import ingest
from scoring.tasks import ingest_batch
path = sys.argv[1]
with open(path, "rb") as fh:
    batch = ingest.batch_receive(filename="month.csv", file=File(fh, name="month.csv"), user=None)
ingest_batch.run(batch.pk)
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"batch": batch.pk, "peak_mb": peak_kb / 1024}))
"""


def million_rows(path) -> tuple[int, int]:
    """A CSV of exactly ROWS message rows from the project's generator, written streaming;
    returns (transcripts, rows)."""
    counted = {"rows": 0, "transcripts": 0}

    def transcripts():
        for transcript in synthetic.transcripts_of(synthetic.generate(ROWS, seed=9)):
            left = ROWS - counted["rows"]
            if left <= 0:
                return
            messages = transcript["messages"][:left]
            counted["rows"] += len(messages)
            counted["transcripts"] += 1
            yield {**transcript, "messages": messages}

    with open(path, "wb") as out:
        synthetic.write_upload(transcripts(), out, "csv")
    return counted["transcripts"], counted["rows"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_million_message_rows_are_ingested_in_bounded_memory(seeded, tmp_path):
    if connection.vendor == "postgresql":
        # 13.5 minutes on PostgreSQL against 7.5 on SQLite on the CI machine, which runs
        # the suite on both: the memory measured is the parsers' and the store's
        # grouping, the same code on both; PostgreSQL's ingest (COPY) is covered by the
        # other ingest tests.
        pytest.skip(
            "run in the SQLite pass only: the PostgreSQL path's memory is the same code, "
            "and its ingest is covered by the other tests"
        )
    """GIVEN a CSV of 1,000,000 message rows (about 280,000 transcripts)
    WHEN a separate process stores it and runs the ingest task on it
    THEN every transcript and message is stored, its chunks are queued, and the
    process's peak memory stays under the ceiling (it held 1.9 GB before, issue 9)."""
    path = tmp_path / "month.csv"
    transcripts, rows = million_rows(path)
    assert rows == ROWS
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_", "DATABASE_URL", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": "filesystem://",
            "PLN123_VAR_DIR": str(tmp_path / "var"),
            "PLN123_CHUNK_SIZE": "1000",
            "PLN123_LOG_LEVEL": "WARNING",
        }
    )
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Polled as well, in case the child's own figure ever misses part of its life.
    polled = 0
    watched = psutil.Process(child.pid)
    while child.poll() is None:
        try:
            polled = max(polled, watched.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.1)
    out, err = child.communicate()
    assert child.returncode == 0, err[-3000:]
    report = json.loads(out.strip().splitlines()[-1])

    assert report["peak_mb"] < CEILING_MB, report
    assert polled / 2**20 < CEILING_MB
    batch = UploadBatch.objects.get(pk=report["batch"])
    assert batch.status == BatchStatus.QUEUED
    assert (batch.rows_read, batch.message_count, batch.transcript_count) == (ROWS, ROWS, transcripts)
    assert Transcript.objects.count() == transcripts
    assert Message.objects.count() == ROWS
    assert ScoringChunk.objects.filter(batch=batch).count() == batch.chunk_count == -(-transcripts // 1000)
    assert set(itertools.islice(Transcript.objects.values_list("last_batch", flat=True), 5)) == {batch.pk}
