"""The users list as the auditor reads it: who is in which group (the roles)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

User = get_user_model()


class RolesUserAdmin(UserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "group_names",
        "is_staff",
        "is_active",
        "last_login",
    )
    list_filter = ("groups", "is_staff", "is_superuser", "is_active")

    def get_queryset(self, request):
        groups = Prefetch("groups", queryset=Group.objects.order_by("name"))
        return super().get_queryset(request).prefetch_related(groups)

    @admin.display(description=_("groups (roles)"))
    def group_names(self, obj):
        names = [group.name for group in obj.groups.all()]
        return ", ".join(names) or "-"


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RolesUserAdmin)
