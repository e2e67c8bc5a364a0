from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from common.commands import acting_user, add_user_argument
from policy.seed import sop_seed


class Command(BaseCommand):
    help = "Load the baseline SOP-PLN123-STD and the directive SOP-PLN123-HPN2023. Safe to run again."

    def add_arguments(self, parser):
        add_user_argument(parser)

    def handle(self, *args, **options):
        created = sop_seed(user=acting_user(options["user"]))
        if not created:
            self.stdout.write(_("The SOP is already loaded; nothing changed."))
            return
        for line in created:
            self.stdout.write(_("created %(object)s") % {"object": line})
        self.stdout.write(self.style.SUCCESS(_("Seeded the SOP (%(count)s objects).") % {"count": len(created)}))
