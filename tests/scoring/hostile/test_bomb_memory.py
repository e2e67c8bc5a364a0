"""Issue 10: the process reading a bomb keeps its memory under 300 MB. Each bomb is
written to disk (small where it is compressed, as a real upload would be), then checked
by a separate process as the ingest worker checks a file, with the site's own limits;
its peak resident memory is measured by the child itself (VmHWM of its own address
space: getrusage's ru_maxrss would also count the forking test process's size, which
Linux carries across exec) and by polling it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psutil
import pytest

from tests.scoring.hostile.corpus import expanding_xlsx, far_cell_xlsx, shared_strings_bomb
from tests.workers import ROOT

CEILING_MB = 300

CHILD = """
import json, sys
import django
django.setup()
from scoring.parsers import UploadReader
from scoring.services.ingest import upload_limits
from scoring.types import UploadInvalid
from pathlib import Path
reader = UploadReader.for_path(
    Path(sys.argv[1]), channels={"live_chat": False}, zone_aliases={"WITA": "Asia/Makassar"},
    default_zone="Asia/Jakarta", limits=upload_limits(),
)
try:
    reader.check()
    errors = []
except UploadInvalid as exc:
    errors = [str(e) for e in exc.errors]
status = Path("/proc/self/status").read_text()
peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
print(json.dumps({"errors": errors, "peak_mb": peak_kb / 1024}))
"""

MESSAGE = b'{"sent_at": "2023-09-10T08:15:10+08:00", "sender": "cso", "text": "PLN 123 selamat Pagi"}'


def one_transcript_of_a_million_messages(path) -> None:
    """90 MB of JSON that ijson.items would build whole (700 MB) before counting."""
    with open(path, "wb") as out:
        out.write(b'[{"id": "A", "channel": "live_chat", "cso_name": "Rina", "messages": [')
        out.write(MESSAGE)
        for _ in range(1_000_000):
            out.write(b"," + MESSAGE)
        out.write(b"]}]")


def a_line_that_never_ends(path) -> None:
    """200 MB after an opening quote never closed, without a line break."""
    with open(path, "wb") as out:
        out.write(b"transcript_id,channel,cso_name,sent_at,sender,text\n")
        out.write(b'A,live_chat,Rina,2023-09-10T08:00:00,cso,"')
        block = b"x" * 2**20
        for _ in range(200):
            out.write(block)


BOMBS = {
    "far-cell.xlsx": (lambda p: p.write_bytes(far_cell_xlsx()), None),
    "blank-300mb.xlsx": (
        lambda p: p.write_bytes(expanding_xlsx(300)),
        "the workbook holds a text or blank stretch of 300.0 MB",
    ),
    "texts-70mb.xlsx": (lambda p: p.write_bytes(shared_strings_bomb()), "the workbook's table of texts is 70 MB"),
    "million-messages.json": (one_transcript_of_a_million_messages, "the transcript has 1,000,001 messages"),
    "unclosed-200mb.csv": (a_line_that_never_ends, "a cell is longer than 131,072 characters"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BOMBS))
def test_reading_a_bomb_stays_under_300_mb(name, tmp_path):
    make, expected = BOMBS[name]
    path = tmp_path / name
    make(path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    polled = 0
    watched = psutil.Process(child.pid)
    while child.poll() is None:
        try:
            polled = max(polled, watched.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.05)
    out, err = child.communicate()
    assert child.returncode == 0, err.decode()[-3000:]
    report = json.loads(out.decode().strip().splitlines()[-1])
    print(f"{name}: peak {report['peak_mb']:.0f} MB (polled {polled / 2**20:.0f} MB)")
    assert report["peak_mb"] < CEILING_MB and polled / 2**20 < CEILING_MB, report
    if expected is None:  # the far cell: read as its one real row, not padded out
        assert report["errors"] == []
    else:
        assert len(report["errors"]) == 1 and expected in report["errors"][0], report
