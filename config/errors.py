"""The refused-page handler: a styled page in the admin's frame with a way back,
never a bare "403 Forbidden"."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def permission_denied(request, exception=None):
    back = request.META.get("HTTP_REFERER", "")
    if not back or not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = ""
    context = {
        **admin.site.each_context(request),
        "title": "",
        "back_url": back,
        "home_url": reverse("admin:index"),
        "path": request.path,
    }
    return render(request, "403.html", context, status=403)
