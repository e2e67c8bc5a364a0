"""The audit trail page and its CSV, served inside the admin (see audit.urls)."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.exports import audit_trail_csv
from audit.forms import AuditTrailForm
from audit.selectors import audit_trail
from policy.history import TRACKED
from policy.models import Directive


def audit_trail_view(request):
    """Who changed which rule when and why, over a date range; as a page or as CSV.
    Open to whoever may view every tracked policy model."""
    if not all(request.user.has_perm(f"{m._meta.app_label}.view_{m._meta.model_name}") for m in TRACKED):
        raise PermissionDenied
    today = timezone.localdate()
    entries = None
    if "start" in request.GET:
        form = AuditTrailForm(request.GET)
        if form.is_valid():
            zone = timezone.get_current_timezone()
            start = dt.datetime.combine(form.cleaned_data["start"], dt.time.min, tzinfo=zone)
            end = dt.datetime.combine(form.cleaned_data["end"], dt.time.max, tzinfo=zone)
            entries = audit_trail(start, end)
            if request.GET.get("format") == "csv":
                response = HttpResponse(audit_trail_csv(entries), content_type="text/csv; charset=utf-8")
                name = f"audit-trail-{form.cleaned_data['start']:%Y%m%d}-{form.cleaned_data['end']:%Y%m%d}.csv"
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                return response
    else:
        form = AuditTrailForm(initial={"start": today - dt.timedelta(days=30), "end": today})
    context = {
        **admin.site.each_context(request),
        # The breadcrumbs lead through the policy, where the trail has always been found.
        "opts": Directive._meta,
        "title": _("Audit trail"),
        "form": form,
        "entries": entries,
        "csv_query": request.GET.urlencode() + "&format=csv" if entries is not None else "",
    }
    return TemplateResponse(request, "audit/audit_trail.html", context)
