"""Small uploads for the service tests: JSON lines of one live-chat transcript each."""

import json

from scoring.services.chunks import batch_score_inline
from scoring.services.ingest import batch_ingest


def line(tid="LC-1", text="PLN 123 Selamat Pagi, dengan Rina Bisa Dibantu", when="2023-10-10T08:15:00", **extra):
    record = {
        "id": tid,
        "channel": "live_chat",
        "timezone": "WIB",
        "cso_name": "Rina Marlina",
        "messages": [
            {"sent_at": "2023-10-10T08:14:00", "sender": "customer", "text": "halo"},
            {"sent_at": when, "sender": "cso", "text": text},
        ],
    }
    record.update(extra)
    return json.dumps(record)


def jsonl(*lines):
    return ("\n".join(lines) + "\n").encode()


def upload_and_score(content, user, name="upload.jsonl"):
    batch = batch_ingest(filename=name, content=content, user=user, enqueue=False)
    return batch_score_inline(batch=batch)


def queued_batch(user, n=3):
    content = jsonl(*(line(f"T-{i}") for i in range(n)))
    return batch_ingest(filename="q.jsonl", content=content, user=user, enqueue=False)
