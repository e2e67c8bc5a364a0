from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from common.commands import acting_user, add_user_argument
from scoring.services import chunks, ingest
from scoring.types import UploadInvalid


class Command(BaseCommand):
    help = (
        "Store transcript files (.jsonl, .json, .csv, .xlsx) and queue them for the workers, which check, store "
        "and score them; prints the batch ids (follow one with batch_status ID --wait). With --inline, check, "
        "store and score them in this process and return when done."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--inline", action="store_true", help="check, store and score in this process")
        add_user_argument(parser)

    def handle(self, *args, paths, inline, user, **options):
        user = acting_user(user)
        files = []
        for raw in paths:
            path = Path(raw)
            if not path.is_file():
                raise CommandError(_("%(path)s: no such file.") % {"path": raw})
            files.append(path)
        problems = []
        for path in files:
            try:
                ingest.upload_check_size(filename=path.name, size=path.stat().st_size)
            except UploadInvalid as exc:
                problems.extend(f"{path}: {error}" for error in exc.errors)
        self._stop_on(problems)
        if inline:
            self._inline(files, user)
            return
        batches = []
        with transaction.atomic():
            for path in files:
                with open(path, "rb") as fh:
                    try:
                        batches.append(
                            ingest.batch_receive(filename=path.name, file=File(fh, name=path.name), user=user)
                        )
                    except ingest.BatchInWork as exc:
                        self._in_work(path, exc)
        for batch in batches:
            if batch.duplicate_of_id:
                self.stdout.write(_("note: %(file)s: %(note)s") % {"file": batch.original_name, "note": batch.note})
            self.stdout.write(
                _(
                    "batch %(batch)s: %(file)s: stored and queued; the workers check it, store its "
                    "transcripts and score them (follow it with: manage.py batch_status %(batch)s --wait)"
                )
                % {"batch": batch.pk, "file": batch.original_name}
            )

    def _in_work(self, path: Path, exc) -> None:
        self.stdout.write(_("note: %(file)s: %(note)s") % {"file": path.name, "note": exc})
        if exc.batch is not None:
            self.stdout.write(
                _("batch %(batch)s: %(file)s: %(status)s")
                % {"batch": exc.batch.pk, "file": exc.batch.original_name, "status": exc.batch.get_status_display()}
            )

    def _stop_on(self, problems: list[str], unlisted: int = 0) -> None:
        if not problems:
            return
        for line in problems:
            self.stderr.write(line)
        if unlisted:
            self.stderr.write(_("... and %(count)s more problem(s)") % {"count": unlisted})
        raise CommandError(
            _("%(count)s problem(s) found; nothing was stored. Fix the file(s) and run again.")
            % {"count": len(problems) + unlisted}
        )

    def _inline(self, files: list[Path], user) -> None:
        # Every file is checked before any is stored: a bad file stores nothing. One
        # file is checked by batch_ingest itself, before it stores anything.
        if len(files) > 1:
            problems, unlisted = [], 0
            for path in files:
                try:
                    ingest.upload_check_path(path=path)
                except UploadInvalid as exc:
                    problems.extend(f"{path}: {error}" for error in exc.errors)
                    unlisted += exc.unlisted
            self._stop_on(problems, unlisted)
        batches = []
        for path in files:
            try:
                batch = ingest.batch_ingest(filename=path.name, path=path, user=user, enqueue=False)
            except UploadInvalid as exc:
                self._stop_on([f"{path}: {error}" for error in exc.errors], exc.unlisted)
            except ingest.BatchInWork as exc:
                self._in_work(path, exc)
                continue
            if batch.duplicate_of_id:
                self.stdout.write(_("note: %(file)s: %(note)s") % {"file": batch.original_name, "note": batch.note})
            batch = chunks.batch_score_inline(batch=batch)
            batches.append(batch)
            self.stdout.write(
                _(
                    "batch %(batch)s: %(file)s: %(count)s transcript(s), "
                    "%(scored)s scored, %(failed)s failed (%(status)s)"
                )
                % {
                    "batch": batch.pk,
                    "file": batch.original_name,
                    "count": batch.transcript_count,
                    "scored": batch.scored_count,
                    "failed": batch.failed_count,
                    "status": batch.get_status_display(),
                }
            )
            for error in batch.errors:
                self.stderr.write(f"  {error.get('transcript')}: {error.get('error')}")
        if any(b.failed_count for b in batches):
            raise CommandError(_("Some transcripts could not be scored; see above."))
