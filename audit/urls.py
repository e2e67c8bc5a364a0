"""The audit pages, inside the admin: its login, its look, its staff check.

Mounted by config.urls under ``admin/``; the old address under the directive admin
redirects here, so bookmarks keep working."""

from django.contrib import admin
from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("audit-trail/", admin.site.admin_view(views.audit_trail_view), name="trail"),
]
