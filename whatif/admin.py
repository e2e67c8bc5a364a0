"""The directive admin with the what-if: the publish page shows the labelled examples,
the overlap warnings and the what-if report before the button. It extends
policy's DirectiveAdmin (policy must not import this app), and lists the runs."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from policy.admin import DirectiveAdmin
from policy.models import Directive
from whatif import views
from whatif.models import WhatIfRun


class WhatIfDirectiveAdmin(DirectiveAdmin):
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/whatif/", wrap(self.whatif_view), name="policy_directive_whatif"),
            *super().get_urls(),
        ]

    def publish_view(self, request, object_id):
        return views.publish_page(request, model_admin=self, object_id=object_id)

    def whatif_view(self, request, object_id):
        return views.whatif_start_view(request, model_admin=self, object_id=object_id)


admin.site.unregister(Directive)
admin.site.register(Directive, WhatIfDirectiveAdmin)


@admin.register(WhatIfRun)
class WhatIfRunAdmin(admin.ModelAdmin):
    """The what-if jobs, read only: status, progress and counts."""

    list_display = ("pk", "directive", "directive_version", "status", "progress", "changed_count", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in WhatIfRun._meta.fields]

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return f"{obj.done_count}/{obj.transcript_count} ({obj.progress_percent}%)"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
