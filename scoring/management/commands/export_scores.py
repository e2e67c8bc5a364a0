from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from scoring.exports import format_for_path, render_scores
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
        target.write_bytes(render_scores(scores.iterator(chunk_size=500), format_for_path(path)))
        self.stdout.write(_("wrote %(count)s score(s) to %(path)s") % {"count": scores.count(), "path": target})
