from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

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
                raise CommandError(f"{raw}: no such file.")
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
                self.stdout.write(f"note: {batch.original_name}: {batch.note}")
            self.stdout.write(
                f"batch {batch.pk}: {batch.original_name}: stored and queued; the workers check it, store its "
                f"transcripts and score them (follow it with: manage.py batch_status {batch.pk} --wait)"
            )

    def _in_work(self, path: Path, exc) -> None:
        self.stdout.write(f"note: {path.name}: {exc}")
        if exc.batch is not None:
            self.stdout.write(f"batch {exc.batch.pk}: {exc.batch.original_name}: {exc.batch.get_status_display()}")

    def _stop_on(self, problems: list[str], unlisted: int = 0) -> None:
        if not problems:
            return
        for line in problems:
            self.stderr.write(line)
        if unlisted:
            self.stderr.write(f"... and {unlisted} more problem(s)")
        raise CommandError(
            f"{len(problems) + unlisted} problem(s) found; nothing was stored. Fix the file(s) and run again."
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
                self.stdout.write(f"note: {batch.original_name}: {batch.note}")
            batch = chunks.batch_score_inline(batch=batch)
            batches.append(batch)
            self.stdout.write(
                f"batch {batch.pk}: {batch.original_name}: {batch.transcript_count} transcript(s), "
                f"{batch.scored_count} scored, {batch.failed_count} failed ({batch.get_status_display()})"
            )
            for error in batch.errors:
                self.stderr.write(f"  {error.get('transcript')}: {error.get('error')}")
        if any(b.failed_count for b in batches):
            raise CommandError("Some transcripts could not be scored; see above.")
