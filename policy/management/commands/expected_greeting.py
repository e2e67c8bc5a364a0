import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from common.reasons import messages_shown
from policy.choices import Visibility
from policy.selectors import policy_snapshot
from rules.resolver import PolicyError, expected_greeting


class Command(BaseCommand):
    help = "Print the opening greeting a CSO owes in a situation, the directive that decides it, and why."

    def add_arguments(self, parser):
        parser.add_argument("--channel", required=True, help="voice, live_chat, email or social_media")
        parser.add_argument("--at", required=True, help="ISO 8601 instant; without an offset it is local time")
        parser.add_argument("--timezone", default=None, help="IANA name or WIB/WITA/WIT (default: site zone)")
        parser.add_argument("--visibility", default=Visibility.PRIVATE, choices=Visibility.values)
        parser.add_argument("--category", default=None, help="QA category, e.g. Informasi, Padam")
        parser.add_argument("--cso", default=None, help="the CSO's name, to fill {nama_cso}")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        try:
            at = dt.datetime.fromisoformat(options["at"])
        except ValueError:
            raise CommandError(
                _("--at %(value)s is not an ISO 8601 date and time.") % {"value": repr(options["at"])}
            ) from None
        try:
            answer = expected_greeting(
                policy_snapshot(),
                channel=options["channel"],
                at=at,
                timezone=options["timezone"],
                visibility=options["visibility"],
                category=options["category"],
                cso_name=options["cso"],
            )
        except PolicyError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(answer.as_json(), ensure_ascii=False))
            return
        if answer.owed:
            self.stdout.write(_("Owed: %(greeting)s") % {"greeting": answer.greeting})
        else:
            self.stdout.write(_("No greeting is owed."))
        if answer.directive:
            self.stdout.write(
                _("Decided by: %(reference)s version %(version)s")
                % {"reference": answer.directive.reference, "version": answer.directive.version}
            )
        if answer.parameter:
            self.stdout.write(
                _("Parameter: %(code)s. %(name)s") % {"code": answer.parameter.code, "name": answer.parameter.name}
            )
        self.stdout.write(_("Why: %(reason)s") % {"reason": messages_shown(answer.reason_parts, answer.reason)})
