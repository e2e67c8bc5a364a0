"""A real Celery worker process on the embedded broker scores an upload, as the
README's run command does it."""

import pytest
from django.contrib.auth import get_user_model

from scoring.choices import BatchStatus
from scoring.models import Score, UploadBatch
from scoring.services import ingest
from tests.workers import filesystem_transport_options, real_broker, start_worker, stop_worker, wait_for


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_scores_the_dev_upload(seeded, dev_data, tmp_path):
    """GIVEN a worker process on the filesystem broker and the test database
    WHEN QA uploads the dev transcripts
    THEN the worker scores every transcript and the batch row says done."""
    var_dir = tmp_path / "var"
    options = filesystem_transport_options(var_dir)
    user = get_user_model().objects.create_user("qa", password="x")
    log = tmp_path / "worker.log"
    worker = start_worker(name="w1", broker_url="filesystem://", var_dir=var_dir, log=log)
    try:
        with real_broker("filesystem://", options):
            content = (dev_data / "dev-transcripts.csv").read_bytes()
            batch = ingest.batch_ingest(filename="dev-transcripts.csv", content=content, user=user)

        def finished():
            row = UploadBatch.objects.get(pk=batch.pk)
            return row if row.is_finished else None

        done = wait_for(finished, timeout=120, what="the batch to finish", log=log)
    finally:
        stop_worker(worker)
    assert done.status == BatchStatus.DONE
    assert done.scored_count == 240
    assert done.started_at and done.finished_at
    assert Score.objects.filter(is_current=True).count() == 240
    assert Score.objects.filter(is_current=True, chunk__claimed_by__startswith="w1@").count() == 240
