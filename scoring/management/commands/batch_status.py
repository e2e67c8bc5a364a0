import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

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
            raise CommandError(
                _("There is no batch %(batch)s.") % {"batch": batch}
                if batch is not None
                else _("There is no batch yet.")
            )
        deadline = time.monotonic() + timeout
        while True:
            row.refresh_from_db()
            self.stdout.write(self._line(row))
            if not wait or row.is_finished:
                break
            if time.monotonic() > deadline:
                raise CommandError(
                    _("Batch %(batch)s is not finished after %(seconds)ss.") % {"batch": row.pk, "seconds": timeout}
                )
            time.sleep(2)
        workers = Counter(
            name.rsplit(":", 1)[0]
            for name in row.chunks.filter(status=ChunkStatus.DONE).values_list("claimed_by", flat=True)
        )
        if workers:
            scored_by = ", ".join(f"{w} ({n})" for w, n in sorted(workers.items()))
            self.stdout.write(_("chunks scored by: %(workers)s") % {"workers": scored_by})
        if row.is_finished and row.failed_count:
            for error in row.errors:
                self.stderr.write(f"  {error.get('transcript')}: {error.get('error')}")
        if row.status == BatchStatus.REJECTED:
            for line in row.row_error_lines:
                self.stderr.write(f"{row.original_name}: {line}")
            if row.row_error_count > len(row.row_errors):
                self.stderr.write(
                    _("... and %(count)s more problem(s)") % {"count": row.row_error_count - len(row.row_errors)}
                )
            if wait:
                raise CommandError(
                    _(
                        "Batch %(batch)s was rejected: %(count)s problem(s) in %(file)s; "
                        "nothing was stored. Fix the file and import it again."
                    )
                    % {"batch": row.pk, "count": row.row_error_count, "file": row.original_name}
                )

    def _line(self, row: UploadBatch) -> str:
        head = _("batch %(batch)s (%(file)s): %(status)s") % {
            "batch": row.pk,
            "file": row.original_name,
            "status": row.get_status_display(),
        }
        if row.status in (BatchStatus.RECEIVED, BatchStatus.CHECKING):
            return _("%(head)s, %(count)s row(s) checked") % {"head": head, "count": row.rows_read}
        if row.status == BatchStatus.REJECTED:
            return _("%(head)s, %(count)s problem(s) in the file") % {"head": head, "count": row.row_error_count}
        stored = _(", %(count)s stored") % {"count": row.transcript_count} if row.status == BatchStatus.STORING else ""
        return _(
            "%(head)s%(stored)s, %(seen)s/%(total)s (%(percent)s%%), "
            "%(failed)s failed, %(chunks_done)s/%(chunks)s chunks"
        ) % {
            "head": head,
            "stored": stored,
            "seen": row.scored_count + row.failed_count,
            "total": row.transcript_count,
            "percent": row.progress_percent,
            "failed": row.failed_count,
            "chunks_done": row.chunks_done,
            "chunks": row.chunk_count,
        }
