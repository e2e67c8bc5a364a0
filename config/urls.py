from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from config import health

admin.site.site_header = _("PLN 123 SOP & QA scoring")
admin.site.site_title = _("PLN 123 SOP")
admin.site.index_title = _("SOP directives and transcript scoring")

handler403 = "config.errors.permission_denied"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("health/", health.health, name="health"),
    path("health/live/", health.live, name="health-live"),
    # The language switcher of the admin header posts to set_language here.
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", include("audit.urls")),
    # Where the audit trail was before it had its own app.
    path(
        "admin/policy/directive/audit-trail/",
        RedirectView.as_view(pattern_name="audit:trail", query_string=True, permanent=False),
    ),
    path("admin/", admin.site.urls),
]
