"""Shared bits of the policy and scoring commands: the acting user."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from common.users import system_user


def add_user_argument(parser):
    parser.add_argument(
        "--user",
        default=None,
        help="Username recorded in the history as the one who acted (default: the inactive 'system' account).",
    )


def acting_user(username: str | None):
    if not username:
        return system_user()
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(_("No user named %(name)s.") % {"name": repr(username)}) from None
