import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from scoring.choices import BatchStatus, ChunkStatus
from scoring.models import UploadBatch


class Command(BaseCommand):
    help = "Print the progress of a batch (the latest when no id is given); with --wait, until it is finished."

    def add_arguments(self, parser):
        parser.add_argument("batch", nargs="?", type=int, metavar="ID")
        parser.add_argument("--wait", action="store_true", help="print progress until the batch is finished")
        parser.add_argument("--timeout", type=int, default=600, help="seconds to wait at most (default 600)")

    def handle(self, *args, batch, wait, timeout, **options):
        qs = UploadBatch.objects.all()
        row = qs.filter(pk=batch).first() if batch is not None else qs.order_by("-pk").first()
        if row is None:
            raise CommandError(f"There is no batch {batch}." if batch is not None else "There is no batch yet.")
        deadline = time.monotonic() + timeout
        while True:
            row.refresh_from_db()
            self.stdout.write(self._line(row))
            if not wait or row.is_finished:
                break
            if time.monotonic() > deadline:
                raise CommandError(f"Batch {row.pk} is not finished after {timeout}s.")
            time.sleep(2)
        workers = Counter(
            name.rsplit(":", 1)[0]
            for name in row.chunks.filter(status=ChunkStatus.DONE).values_list("claimed_by", flat=True)
        )
        if workers:
            self.stdout.write("chunks scored by: " + ", ".join(f"{w} ({n})" for w, n in sorted(workers.items())))
        if row.is_finished and row.failed_count:
            for error in row.errors:
                self.stderr.write(f"  {error.get('transcript')}: {error.get('error')}")
        if row.status == BatchStatus.REJECTED:
            for line in row.row_error_lines:
                self.stderr.write(f"{row.original_name}: {line}")
            if row.row_error_count > len(row.row_errors):
                self.stderr.write(f"... and {row.row_error_count - len(row.row_errors)} more problem(s)")
            if wait:
                raise CommandError(
                    f"Batch {row.pk} was rejected: {row.row_error_count} problem(s) in {row.original_name}; "
                    "nothing was stored. Fix the file and import it again."
                )

    def _line(self, row: UploadBatch) -> str:
        head = f"batch {row.pk} ({row.original_name}): {row.get_status_display()}"
        if row.status in (BatchStatus.RECEIVED, BatchStatus.CHECKING):
            return f"{head}, {row.rows_read} row(s) checked"
        if row.status == BatchStatus.REJECTED:
            return f"{head}, {row.row_error_count} problem(s) in the file"
        stored = f", {row.transcript_count} stored" if row.status == BatchStatus.STORING else ""
        return (
            f"{head}{stored}, "
            f"{row.scored_count + row.failed_count}/{row.transcript_count} ({row.progress_percent}%), "
            f"{row.failed_count} failed, {row.chunks_done}/{row.chunk_count} chunks"
        )
