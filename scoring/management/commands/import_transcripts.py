from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from common.commands import acting_user, add_user_argument
from scoring.services import chunks, ingest
from scoring.types import UploadInvalid


class Command(BaseCommand):
    help = (
        "Validate transcript files (.jsonl, .json, .csv, .xlsx), store them and queue them for scoring; "
        "prints the batch id. With --inline, score them in this process and return when done."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--inline", action="store_true", help="score in this process instead of the workers")
        add_user_argument(parser)

    def handle(self, *args, paths, inline, user, **options):
        user = acting_user(user)
        files = []
        for raw in paths:
            path = Path(raw)
            if not path.is_file():
                raise CommandError(_("%(path)s: no such file.") % {"path": raw})
            files.append((path, path.read_bytes()))
        # Every file is checked before any is stored: a bad file stores nothing.
        problems = []
        for path, content in files:
            try:
                ingest.batch_validate(filename=path.name, content=content)
            except UploadInvalid as exc:
                problems.extend(f"{path}: {error}" for error in exc.errors)
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(
                _("%(count)s problem(s) found; nothing was stored. Fix the file(s) and run again.")
                % {"count": len(problems)}
            )
        batches = []
        with transaction.atomic():
            for path, content in files:
                batches.append(ingest.batch_ingest(filename=path.name, content=content, user=user, enqueue=not inline))
        for batch in batches:
            if batch.duplicate_of_id:
                self.stdout.write(_("note: %(file)s: %(note)s") % {"file": batch.original_name, "note": batch.note})
            if inline:
                batch = chunks.batch_score_inline(batch=batch)
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
            else:
                self.stdout.write(
                    _("batch %(batch)s: %(file)s: %(count)s transcript(s) queued for scoring")
                    % {"batch": batch.pk, "file": batch.original_name, "count": batch.transcript_count}
                )
        if inline and any(b.failed_count for b in batches):
            raise CommandError(_("Some transcripts could not be scored; see above."))
