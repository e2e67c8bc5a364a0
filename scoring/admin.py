"""The QA admin: upload transcripts and follow their scoring, browse transcripts and
scores, rescore, export. Thin ModelAdmins: writes go through scoring.services, the
pages that are not model forms live in scoring.views. Nothing here edits a batch, a
transcript, a message or a score: they are records of what was uploaded and decided.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Subquery, TextField
from django.db.models.functions import Cast
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from rules.vocabulary import FLAG_FESTIVE_ON_PUBLIC
from scoring import dashboard_views, views
from scoring.choices import Result
from scoring.models import Score, ScoreOverride, ScoringChunk, Transcript, UploadBatch
from scoring.services import ingest

UPLOAD_PERMISSION = "scoring.add_uploadbatch"
RESCORE_PERMISSION = "scoring.rescore_transcripts"
OVERRIDE_PERMISSION = "scoring.override_score"
RECENT_BATCHES = 20
NO_ZONE = "-"  # the zone filter's value for scores without a deciding moment


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewing only: the rows are records, written by the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_upload_permission(self, request) -> bool:
        """Uploading makes a batch (rescoring and resuming need the rescore right)."""
        return request.user.has_perm(UPLOAD_PERMISSION)

    def has_rescore_permission(self, request) -> bool:
        """Rescoring and resuming put transcripts back in the queue."""
        return request.user.has_perm(RESCORE_PERMISSION)

    def has_override_permission(self, request) -> bool:
        return request.user.has_perm(OVERRIDE_PERMISSION)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method != "GET" and not self.has_change_permission(request):
            raise PermissionDenied  # a read-only page: there is no form to post
        return self.detail_view(request, object_id)

    def detail_view(self, request, object_id):  # pragma: no cover - every subclass has one
        raise NotImplementedError


# --- list filters ----------------------------------------------------------------------------


class BatchFilter(admin.SimpleListFilter):
    """The recent batches; any batch id works in the URL (``?batch=12``)."""

    title = _("batch")
    parameter_name = "batch"

    def lookups(self, request, model_admin):
        recent = list(UploadBatch.objects.order_by("-pk")[:RECENT_BATCHES])
        if self.value() and self.value().isdigit() and all(str(b.pk) != self.value() for b in recent):
            recent += list(UploadBatch.objects.filter(pk=self.value()))
        return [(str(b.pk), str(b)) for b in recent]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return self.filter_batch(queryset, int(value))

    def filter_batch(self, queryset, batch_id: int):
        raise NotImplementedError


class TranscriptBatchFilter(BatchFilter):
    """Transcripts a batch uploaded or rescored."""

    def filter_batch(self, queryset, batch_id):
        chunks = ScoringChunk.transcripts.through.objects.filter(
            scoringchunk__batch_id=batch_id, transcript_id=OuterRef("pk")
        )
        return queryset.filter(Exists(chunks))


class ScoreBatchFilter(BatchFilter):
    """Scores a batch made."""

    title = _("made by batch")

    def filter_batch(self, queryset, batch_id):
        return queryset.filter(batch_id=batch_id)


class CSOFilter(admin.SimpleListFilter):
    title = _("CSO")
    parameter_name = "cso"
    path = "cso_name"

    def lookups(self, request, model_admin):
        names = Transcript.objects.order_by("cso_name").values_list("cso_name", flat=True).distinct()
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.path: self.value()}) if self.value() else queryset


class ScoreCSOFilter(CSOFilter):
    path = "transcript__cso_name"


class CurrentFilter(admin.SimpleListFilter):
    """Current scores unless asked otherwise: rescoring keeps the old ones (rule S11)."""

    title = _("current")
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("all", "All scores"), ("old", "Superseded only")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Current only",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        if self.value() == "old":
            return queryset.filter(is_current=False)
        return queryset.current()


class FinalResultFilter(admin.SimpleListFilter):
    """The result in force: QA's latest override, else the automatic one."""

    title = _("final result")
    parameter_name = "final"

    def lookups(self, request, model_admin):
        return Result.choices

    def queryset(self, request, queryset):
        return queryset.filter(final=self.value()) if self.value() else queryset


class FlagFilter(admin.SimpleListFilter):
    title = _("flags")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [(FLAG_FESTIVE_ON_PUBLIC, "festive greeting on a public complaint (S10)"), ("none", "no flag")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # As text, so it works on SQLite too (no JSON containment there).
        queryset = queryset.annotate(flags_text=Cast("flags", TextField()))
        if self.value() == "none":
            return queryset.exclude(flags_text__contains='"')
        return queryset.filter(flags_text__contains=f'"{self.value()}"')


class OverriddenFilter(admin.SimpleListFilter):
    """Scores QA has overridden (the dashboard's override figures link here)."""

    title = _("overridden")
    parameter_name = "overridden"

    def lookups(self, request, model_admin):
        return [("yes", _("Overridden by QA")), ("no", _("Not overridden"))]

    def queryset(self, request, queryset):
        overridden = Exists(ScoreOverride.objects.filter(score=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(overridden)
        if self.value() == "no":
            return queryset.exclude(overridden)
        return queryset


class ZoneFilter(admin.SimpleListFilter):
    """The zone the score's deciding moment was read in (WIB, WITA, WIT)."""

    title = _("zone")
    parameter_name = "zone_label"

    def lookups(self, request, model_admin):
        labels = Score.objects.current().exclude(zone_label="").order_by("zone_label")
        return [(z, z) for z in labels.values_list("zone_label", flat=True).distinct()] + [
            (NO_ZONE, _("none (the CSO never replied)"))
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(zone_label="" if self.value() == NO_ZONE else self.value())


# --- batches ---------------------------------------------------------------------------------


@admin.register(UploadBatch)
class UploadBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "name",
        "kind",
        "status",
        "uploaded_by",
        "counts",
        "progress",
        "created_at",
        "finished_at",
    ]
    list_display_links = ["id", "name"]
    list_filter = ["status", "kind"]
    search_fields = ["original_name"]
    date_hierarchy = "created_at"
    list_select_related = ["uploaded_by"]
    actions = ["rescore_selected", "resume_selected"]
    change_list_template = "admin/scoring/uploadbatch/change_list.html"

    @admin.display(description=_("file"), ordering="original_name")
    def name(self, obj):
        return obj.original_name or obj.get_kind_display()

    @admin.display(description=_("scored / failed / total"))
    def counts(self, obj):
        return f"{obj.scored_count} / {obj.failed_count} / {obj.transcript_count}"

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return format_html('<progress value="{}" max="100"></progress> {}%', obj.progress_percent, obj.progress_percent)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name="scoring_uploadbatch_upload"),
            path(
                "upload/problems/<str:token>/", wrap(self.upload_errors_view), name="scoring_uploadbatch_upload_errors"
            ),
            path("<path:object_id>/progress/", wrap(self.progress_view), name="scoring_uploadbatch_progress"),
            path("<path:object_id>/problems/", wrap(self.problems_view), name="scoring_uploadbatch_problems"),
            path("<path:object_id>/rescore/", wrap(self.rescore_view), name="scoring_uploadbatch_rescore"),
            path("<path:object_id>/resume/", wrap(self.resume_view), name="scoring_uploadbatch_resume"),
            path(
                "<path:object_id>/export/<str:fmt>/",
                wrap(self.export_view),
                name="scoring_uploadbatch_export",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_upload_permission": self.has_upload_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:scoring_uploadbatch_upload"))

    def upload_view(self, request):
        return views.batch_upload(request, model_admin=self)

    def upload_errors_view(self, request, token):
        return views.upload_errors_download(request, model_admin=self, token=token)

    def detail_view(self, request, object_id):
        return views.batch_detail(request, model_admin=self, object_id=object_id)

    def problems_view(self, request, object_id):
        return views.batch_problems_download(request, model_admin=self, object_id=object_id)

    def progress_view(self, request, object_id):
        return views.batch_progress(request, model_admin=self, object_id=object_id)

    def rescore_view(self, request, object_id):
        return views.batch_rescore_view(request, model_admin=self, object_id=object_id)

    def resume_view(self, request, object_id):
        return views.batch_resume_view(request, model_admin=self, object_id=object_id)

    def export_view(self, request, object_id, fmt):
        if fmt not in views.CONTENT_TYPES:
            return HttpResponseRedirect(reverse("admin:scoring_uploadbatch_change", args=[object_id]))
        return views.batch_export(request, model_admin=self, object_id=object_id, fmt=fmt)

    @admin.action(description=_("Rescore the transcripts of the selected batches"), permissions=["rescore"])
    def rescore_selected(self, request, queryset):
        new = [views.rescore_batch(request, batch=batch, user=request.user) for batch in queryset.order_by("pk")]
        new = [batch for batch in new if batch is not None]
        if len(new) == 1:
            return HttpResponseRedirect(views.batch_url(new[0]))
        return None

    @admin.action(
        description=_("Resume the selected batches (queue their waiting chunks again)"), permissions=["rescore"]
    )
    def resume_selected(self, request, queryset):
        for batch in queryset.order_by("pk"):
            views.resume_batch(request, batch=batch)


# --- transcripts -----------------------------------------------------------------------------


@admin.register(Transcript)
class TranscriptAdmin(ReadOnlyAdmin):
    list_display = [
        "external_id",
        "channel",
        "platform",
        "visibility",
        "category",
        "cso_name",
        "first_contact",
        "started_at",
        "current_result",
        "last_batch",
    ]
    list_filter = [
        "channel",
        "visibility",
        "category",
        "first_contact",
        TranscriptBatchFilter,
        ("last_batch", admin.RelatedOnlyFieldListFilter),
        CSOFilter,
    ]
    search_fields = ["external_id", "cso_name", "cso_id"]
    date_hierarchy = "started_at"
    list_select_related = ["channel", "last_batch"]
    actions = ["rescore_selected"]

    def get_queryset(self, request):
        # The final result of the transcript's first current score (by parameter code).
        final = (
            Score.objects.current()
            .filter(transcript=OuterRef("pk"))
            .with_final_result()
            .order_by("parameter__code")
            .values("final")[:1]
        )
        return super().get_queryset(request).annotate(current_result=Subquery(final))

    @admin.display(description=_("current result (final)"), ordering="current_result")
    def current_result(self, obj):
        return obj.current_result or "-"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/rescore/", wrap(self.rescore_view), name="scoring_transcript_rescore"),
            *super().get_urls(),
        ]

    def detail_view(self, request, object_id):
        return views.transcript_detail(request, model_admin=self, object_id=object_id)

    def rescore_view(self, request, object_id):
        return views.transcript_rescore_view(request, model_admin=self, object_id=object_id)

    @admin.action(description=_("Rescore selected transcripts"), permissions=["rescore"])
    def rescore_selected(self, request, queryset):
        try:
            batch = ingest.batch_rescore(transcripts=queryset, user=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return None
        self.message_user(
            request,
            _("Batch %(batch)s: %(count)s transcript(s) queued for rescoring.")
            % {"batch": batch.pk, "count": batch.transcript_count},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(views.batch_url(batch))


# --- scores ----------------------------------------------------------------------------------


@admin.register(Score)
class ScoreAdmin(ReadOnlyAdmin):
    # The reason next to the result, where it is read on a laptop without scrolling.
    list_display = [
        "transcript_link",
        "channel",
        "cso",
        "parameter_code",
        "final_result_display",
        "short_reason",
        "result",
        "directive_display",
        "flag_list",
        "is_current",
        "scored_at",
    ]
    list_display_links = None
    list_filter = [
        CurrentFilter,
        "result",
        FinalResultFilter,
        ("transcript__channel", admin.RelatedOnlyFieldListFilter),
        ("directive", admin.RelatedOnlyFieldListFilter),
        ScoreCSOFilter,
        FlagFilter,
        ScoreBatchFilter,
        OverriddenFilter,
        ZoneFilter,
    ]
    search_fields = ["transcript__external_id", "transcript__cso_name", "reason"]
    date_hierarchy = "transcript__started_at"
    list_select_related = ["transcript", "transcript__channel", "parameter", "directive"]
    actions = ["export_csv", "export_xlsx", "evidence_zip"]
    change_list_template = "admin/scoring/score/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).with_final_result()

    @admin.display(description=_("transcript id"), ordering="transcript__external_id")
    def transcript_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:scoring_score_change", args=[obj.pk]), obj.transcript.external_id
        )

    @admin.display(description=_("channel"), ordering="transcript__channel__code")
    def channel(self, obj):
        return obj.transcript.channel.code

    @admin.display(description=_("CSO"), ordering="transcript__cso_name")
    def cso(self, obj):
        return obj.transcript.cso_name

    @admin.display(description=_("parameter"), ordering="parameter__code")
    def parameter_code(self, obj):
        return obj.parameter.code

    @admin.display(description=_("final result"), ordering="final")
    def final_result_display(self, obj):
        return obj.final if obj.final == obj.result else format_html("<strong>{}</strong> (overridden)", obj.final)

    @admin.display(description=_("directive"), ordering="directive__reference")
    def directive_display(self, obj):
        if obj.directive is None:
            return "-"
        return f"{obj.directive.reference} v{obj.directive_version}"

    @admin.display(description=_("reason"))
    def short_reason(self, obj):
        return Truncator(obj.reason_shown).chars(80)

    @admin.display(description=_("flags"))
    def flag_list(self, obj):
        return ", ".join(obj.flags or []) or "-"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("dashboard/", wrap(self.dashboard_view), name="scoring_score_dashboard"),
            path("dashboard/export/", wrap(self.dashboard_export_view), name="scoring_score_dashboard_export"),
            path("export/<str:fmt>/", wrap(self.export_view), name="scoring_score_export"),
            path("<path:object_id>/override/", wrap(self.override_view), name="scoring_score_override"),
            path("<path:object_id>/evidence/", wrap(self.evidence_view), name="scoring_score_evidence"),
            *super().get_urls(),
        ]

    def detail_view(self, request, object_id):
        return views.score_detail(request, model_admin=self, object_id=object_id)

    def dashboard_view(self, request):
        return dashboard_views.dashboard_view(request, model_admin=self)

    def dashboard_export_view(self, request):
        return dashboard_views.dashboard_export(request, model_admin=self)

    def evidence_view(self, request, object_id):
        return views.score_evidence(request, model_admin=self, object_id=object_id)

    @admin.action(description=_("Download evidence packs of selected (ZIP)"), permissions=["view"])
    def evidence_zip(self, request, queryset):
        return views.evidence_zip_response(queryset)

    def override_view(self, request, object_id):
        return views.score_override_view(request, model_admin=self, object_id=object_id)

    def export_view(self, request, fmt):
        if fmt not in views.CONTENT_TYPES:
            return HttpResponseRedirect(reverse("admin:scoring_score_changelist"))
        return views.scores_export(request, model_admin=self, fmt=fmt)

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return views.export_response(views.export_queryset(queryset), "csv")

    @admin.action(description=_("Export selected as XLSX"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        return views.export_response(views.export_queryset(queryset), "xlsx")
