from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from scoring.exports import format_for_path, write_scores
from scoring.models import UploadBatch
from scoring.selectors import current_scores


class Command(BaseCommand):
    help = "Write the latest score of every transcript (of one batch with --batch) to a .csv or .xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH")
        parser.add_argument("--batch", type=int, default=None, metavar="ID")

    def handle(self, *args, path, batch, **options):
        source = None
        if batch is not None:
            source = UploadBatch.objects.filter(pk=batch).first()
            if source is None:
                raise CommandError(_("There is no batch %(batch)s.") % {"batch": batch})
        scores = current_scores(batch=source)
        target = Path(path)
        if not target.parent.exists():
            raise CommandError(_("The folder %(folder)s does not exist.") % {"folder": target.parent})
        # Streamed into a file beside the target, then renamed over it: a failed export
        # leaves no half-written file under the name asked for.
        partial = target.with_name(f".{target.name}.partial")
        try:
            with open(partial, "wb") as out:
                count = write_scores(scores, format_for_path(path), out)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(_("wrote %(count)s score(s) to %(path)s") % {"count": count, "path": target})
