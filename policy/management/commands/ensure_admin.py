"""Create the first admin account, once, with a password shown only that once."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "Create a superuser with a generated password when none exists, and print the password once. "
        "Does nothing when a superuser already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin", help="Name of the account to create (default: admin).")

    def handle(self, *args, **options):
        User = get_user_model()
        username = options["username"]
        with transaction.atomic():
            existing = User.objects.filter(is_superuser=True).order_by("pk").first()
            if existing is not None:
                name = existing.get_username()
                self.stdout.write(
                    _(
                        "An admin account already exists (%(name)s); "
                        "reset its password with: python manage.py changepassword %(name)s"
                    )
                    % {"name": name}
                )
                return
            if User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
                raise CommandError(
                    _(
                        "A user named %(name)s exists but is not a superuser; "
                        "choose another name with --username, or promote that user in the admin."
                    )
                    % {"name": repr(username)}
                )
            # Generated, never fixed: a known default password is how admin sites get taken.
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(**{User.USERNAME_FIELD: username}, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Admin account created: user %(name)s, password %(password)s "
                    "— shown only this once; change it after logging in"
                )
                % {"name": username, "password": password}
            )
        )
