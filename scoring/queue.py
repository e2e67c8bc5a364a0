"""Sending chunks to the workers, by the task's registered name.

The imports run one way: ``scoring.tasks`` imports the services (a task claims a chunk
and calls ``chunk_score``), so the services, which must queue chunks (after an upload
commits, on resume, from the sweeper), do not import the tasks back. They queue through
this module, which looks the task up by name in the Celery app: the same task object
and the same ``delay`` as before, so its options, the eager mode of the tests and a
broker that is down all behave as they did. ``ScoringConfig.ready`` imports the tasks,
so every process that can queue a chunk knows the name.
"""

from __future__ import annotations

from celery import current_app

SCORE_CHUNK = "scoring.tasks.score_chunk"
INGEST_BATCH = "scoring.tasks.ingest_batch"


def send_score_chunk(chunk_id: int) -> None:
    """Queue one chunk for scoring; raises when the broker cannot be reached."""
    current_app.tasks[SCORE_CHUNK].delay(chunk_id)


def send_ingest_batch(batch_id: int) -> None:
    """Queue a received upload to be checked and stored; raises when the broker cannot be reached."""
    current_app.tasks[INGEST_BATCH].delay(batch_id)
