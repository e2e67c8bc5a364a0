"""The account that acts when no person does."""

from __future__ import annotations

from django.contrib.auth import get_user_model

SYSTEM_USERNAME = "system"


def system_user():
    """The account that commands act as when no person is named: inactive, no password."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "System", "last_name": "(commands)"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
