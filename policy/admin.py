"""The policy admin: thin ModelAdmins whose writes go through policy.services, with
a reason on every change, field-by-field history, import/export and the greeting
preview. Views with their own pages live in policy.views."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import construct_change_message
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, JSON, XLSX
from simple_history.admin import SimpleHistoryAdmin

from policy import timeline_views, views
from policy.choices import DirectiveKind, DirectiveStatus
from policy.examples import directive_examples_check
from policy.forms import (
    ChangeReasonForm,
    DirectiveAdminForm,
    DirectiveChildFormSet,
    GreetingTemplateAdminForm,
    GreetingTemplateFormSet,
    TimeBandAdminForm,
    WithdrawForm,
)
from policy.models import (
    CSO,
    Channel,
    Directive,
    DirectiveExample,
    GreetingTemplate,
    ScoredParameter,
    TimeBand,
    TimeZoneAlias,
)
from policy.resources import (
    IMPORT_HELP,
    ChannelResource,
    CSOResource,
    DirectiveExampleResource,
    DirectiveResource,
    GreetingTemplateResource,
    ScoredParameterResource,
    TimeBandResource,
)
from policy.services import (
    DIRECTIVE_CONTENT_FIELDS,
    directive_content_save,
    directive_examples_save,
    directive_overlap_warnings,
    directive_publish,
    directive_validate_scope,
    directive_withdraw,
    stamp,
)

CREATED_REASON = "Created in admin"
DELETED_REASON = "Deleted in admin"


def automatic_reason(changed: list[str]) -> str:
    return "Changed in admin: " + ", ".join(changed) if changed else "Saved in admin (no field changed)"


def unreadable_file_message(format_index, exc: Exception, model_admin) -> str:
    """Why an import file could not be read at all, and what to do about it."""
    try:
        title = model_admin.get_import_formats()[int(format_index)]().get_title().upper()
    except (TypeError, ValueError, IndexError):
        title = "the chosen format"
    if isinstance(exc, UnicodeError):
        reason = 'it is not UTF-8 text (in Excel choose Save As, "CSV UTF-8")'
    elif title == "XLSX":
        reason = "it is not an Excel workbook (.xlsx), or it is damaged"
    else:
        reason = f"it is not well-formed {title}"
    return (
        f"The file could not be read as {title}: {reason}. Choose the format the file is in "
        "(CSV, XLSX or JSON), or export from this page to get a file of the right shape."
    )


def error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


class ReasonedHistoryAdmin(SimpleHistoryAdmin):
    """Every change made here carries the acting user and a reason in the history,
    and the history page lists, per row, the fields changed old -> new."""

    form = ChangeReasonForm

    @admin.display(description=_("Reason for this change"))
    def change_reason(self, obj):
        # The label of the form's reason field where a viewer sees the form read-only.
        return ""

    def reason_for_change(self, form, change: bool, extra_changes: list[str] = ()) -> str:
        written = form.written_reason() if hasattr(form, "written_reason") else ""
        if written:
            return written
        if not change:
            return CREATED_REASON
        return automatic_reason([*form.content_changed(), *extra_changes])

    def save_model(self, request, obj, form, change):
        stamp(obj, user=request.user, reason=self.reason_for_change(form, change))
        obj.save()

    def delete_model(self, request, obj):
        stamp(obj, user=request.user, reason=DELETED_REASON)
        obj.delete()

    def delete_queryset(self, request, queryset):
        # One by one, so each deletion leaves a history row with who and why.
        for obj in queryset:
            self.delete_model(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history saves a posted revert after checking view permission only.
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        # Who may not revert sees a snapshot: fields that look, and are, read-only.
        record = self.model.history.filter(history_id=version_id).select_related("history_user").first()
        extra_context = {
            **(extra_context or {}),
            "read_only": self.revert_disabled(request) or not self.has_change_permission(request),
            "record": record,
        }
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)


class ImportExportHistoryAdmin(ImportExportMixin, ReasonedHistoryAdmin):
    formats = [CSV, XLSX, JSON]
    import_error_display = ("message",)
    import_template_name = "admin/policy/import.html"

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["import_help"] = IMPORT_HELP
        return context

    def add_data_read_fail_error_to_form(self, form, e):
        # import-export names the exception ('BadZipFile' encountered...); say what to do.
        form.add_error("import_file", unreadable_file_message(form.cleaned_data.get("format"), e, self))


# --- Channel, zone aliases, CSOs, scored parameters ----------------------------------


@admin.register(Channel)
class ChannelAdmin(ImportExportHistoryAdmin):
    resource_classes = [ChannelResource]
    list_display = ("code", "name", "allows_public")
    search_fields = ("code", "name")


@admin.register(TimeZoneAlias)
class TimeZoneAliasAdmin(ReasonedHistoryAdmin):
    list_display = ("code", "iana_name")
    search_fields = ("code", "iana_name")


@admin.register(ScoredParameter)
class ScoredParameterAdmin(ImportExportHistoryAdmin):
    resource_classes = [ScoredParameterResource]
    list_display = ("code", "name", "channel", "element", "active")
    list_filter = ("channel", "element", "active")
    search_fields = ("code", "name", "channel__code")
    list_select_related = ("channel",)


@admin.register(CSO)
class CSOAdmin(ImportExportHistoryAdmin):
    resource_classes = [CSOResource]
    list_display = ("cso_id", "full_name", "aliases", "active")
    list_filter = ("active",)
    search_fields = ("cso_id", "full_name", "aliases")


# --- templates and bands: part of a directive's content -------------------------------


class DirectiveContentAdmin(ImportExportHistoryAdmin):
    """A template or band edited on its own page: a change is a new version of its directive."""

    parent_field = "directive"
    related_name = "templates"  # the directive's set this object belongs to

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append(self.parent_field)  # a template or band stays with its document
        return fields

    def save_model(self, request, obj, form, change):
        self.save_content(request, obj, keep=True, reason=self.reason_for_change(form, change))

    def delete_model(self, request, obj):
        try:
            self.save_content(request, obj, keep=False, reason=DELETED_REASON)
        except ValidationError as exc:
            self.message_user(
                request,
                _("%(object)s was not deleted: %(error)s") % {"object": obj, "error": error_text(exc)},
                messages.ERROR,
            )

    def save_content(self, request, obj, *, keep: bool, reason: str):
        directive = getattr(obj, self.parent_field)
        others = [child for child in getattr(directive, self.related_name).all() if child.pk != obj.pk]
        directive_content_save(
            directive=directive,
            fields={},
            **{self.related_name: [*others, obj] if keep else others},
            user=request.user,
            reason=f"{obj}: {reason}",
        )


@admin.register(GreetingTemplate)
class GreetingTemplateAdmin(DirectiveContentAdmin):
    resource_classes = [GreetingTemplateResource]
    form = GreetingTemplateAdminForm
    list_display = ("directive", "element", "channel", "text")
    list_filter = ("element", "channel", "directive__kind", "directive__status")
    search_fields = ("text", "directive__reference")
    list_select_related = ("directive", "channel")


@admin.register(TimeBand)
class TimeBandAdmin(DirectiveContentAdmin):
    resource_classes = [TimeBandResource]
    form = TimeBandAdminForm
    parent_field = "baseline"
    related_name = "time_bands"
    list_display = ("word", "starts_at", "ends_at", "baseline")
    list_filter = ("baseline",)
    search_fields = ("word", "baseline__reference")


@admin.register(DirectiveExample)
class DirectiveExampleAdmin(ImportExportHistoryAdmin):
    """Labelled examples on their own list, for import and export with the directives."""

    resource_classes = [DirectiveExampleResource]
    list_display = ("directive", "channel", "local_date", "local_time", "timezone", "cso_name", "expected")
    list_filter = ("expected", "channel", "directive")
    search_fields = ("directive__reference", "cso_name", "opening")
    list_select_related = ("directive", "channel")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        DirectiveAdmin.report_examples(request, obj.directive)


# --- directives ---------------------------------------------------------------------


class GreetingTemplateInline(admin.TabularInline):
    model = GreetingTemplate
    formset = GreetingTemplateFormSet
    fields = ("element", "channel", "text")
    extra = 0
    verbose_name_plural = "greeting templates (empty channel: every channel of the document)"


class TimeBandInline(admin.TabularInline):
    model = TimeBand
    fk_name = "baseline"
    formset = DirectiveChildFormSet
    fields = ("word", "starts_at", "ends_at")
    extra = 0
    verbose_name_plural = "time-of-day bands (rule S6)"


class DirectiveExampleInline(admin.StackedInline):
    model = DirectiveExample
    formset = DirectiveChildFormSet
    fields = (
        ("channel", "local_date", "local_time", "timezone"),
        ("visibility", "category", "first_contact"),
        ("cso_name", "expected"),
        "opening",
        "note",
    )
    extra = 0
    classes = ("collapse",)
    verbose_name_plural = gettext_lazy(
        "labelled examples (scored as if this directive were published; failing ones stop publication)"
    )


@admin.register(Directive)
class DirectiveAdmin(ImportExportHistoryAdmin):
    """The baseline and the directives, told apart by the ``kind`` filter."""

    resource_classes = [DirectiveResource]
    form = DirectiveAdminForm
    inlines = [GreetingTemplateInline, TimeBandInline, DirectiveExampleInline]
    list_display = ("reference", "kind", "status", "window", "channel_codes", "priority", "version", "preview")
    list_filter = ("kind", "status", "channels")
    search_fields = ("reference", "title", "issuing_unit", "memo_text")
    filter_horizontal = ("channels",)
    actions = ["publish_selected", "withdraw_selected"]
    history_list_display = ["version", "status"]
    object_history_template = "admin/policy/directive/object_history.html"
    change_form_template = "admin/policy/directive/change_form.html"
    import_export_change_list_template = "admin/policy/directive/change_list.html"
    readonly_fields = (
        "status",
        "version",
        "published_at",
        "published_by",
        "withdrawn_at",
        "withdrawn_by",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("kind", "reference", "title", "issuing_unit", "status", "version", "priority")}),
        (
            _("Validity window (local time of the transcript, rule S4; empty on the baseline)"),
            {"fields": (("valid_from_date", "valid_from_time"), ("valid_until_date", "valid_until_time"), "channels")},
        ),
        (_("Who owes it (rule S5)"), {"fields": ("first_contact_only", "public_owed_categories")}),
        (_("Matching tolerance (rule S8)"), {"fields": ("typo_ratio", "typo_min_length", "forms_of_address")}),
        (_("Memo"), {"fields": ("memo_text", "memo_file"), "classes": ("collapse",)}),
        (
            _("Publication"),
            {
                "fields": ("published_at", "published_by", "withdrawn_at", "withdrawn_by", "created_at", "updated_at"),
                "classes": ("collapse",),
            },
        ),
        (_("Why"), {"fields": ("change_reason",)}),
    )

    # --- list --------------------------------------------------------------------

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("channels")

    @admin.display(description=_("window (local time)"))
    def window(self, obj):
        if obj.is_baseline:
            return _("standing")
        if obj.window_start is None or obj.window_end is None:
            return "-"
        return _("%(start)s to %(end)s") % {
            "start": f"{obj.window_start:%d/%m/%Y %H:%M}",
            "end": f"{obj.window_end:%d/%m/%Y %H:%M}",
        }

    @admin.display(description=_("channels"))
    def channel_codes(self, obj):
        if obj.is_baseline:
            return _("all")
        return ", ".join(c.code for c in obj.channels.all()) or "-"

    @admin.display(description=_("preview"))
    def preview(self, obj):
        url = reverse("admin:policy_directive_preview") + f"?directive={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Preview greeting"))

    # --- form ----------------------------------------------------------------------

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("kind")  # a directive does not become the baseline, nor back
        return fields

    def get_inline_instances(self, request, obj=None):
        # Bands belong to the baseline only.
        return [
            inline
            for inline in super().get_inline_instances(request, obj)
            if not isinstance(inline, TimeBandInline) or (obj is not None and obj.kind == DirectiveKind.BASELINE)
        ]

    # --- save: one version and one history row per admin save ---------------------------

    def get_formset_kwargs(self, request, obj, inline, prefix):
        # The inlines check what the directive's form was sent with them: the reason,
        # and the channels their templates must stay within.
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "POST":
            kwargs["change_reason"] = request.POST.get("change_reason", "")
            kwargs["channels"] = Channel.objects.filter(
                pk__in=[pk for pk in request.POST.getlist("channels") if pk.isdigit()]
            )
        return kwargs

    def save_model(self, request, obj, form, change):
        """Written in save_related, together with its channels and inlines."""

    def save_related(self, request, form, formsets, change):
        inlines = {formset.model: formset for formset in formsets}
        fields = [name for name in form.changed_data if name in DIRECTIVE_CONTENT_FIELDS]
        directive = directive_content_save(
            directive=form.instance,
            fields={name: getattr(form.instance, name) for name in fields},
            channels=form.cleaned_data.get("channels"),
            templates=self.inline_rows(inlines, GreetingTemplate),
            time_bands=self.inline_rows(inlines, TimeBand),
            user=request.user,
            reason=self.reason_for_change(form, change, self.changed_inlines(formsets)),
        )
        examples = self.inline_rows(inlines, DirectiveExample)
        if examples is not None:
            directive_examples_save(
                directive=directive,
                examples=examples,
                user=request.user,
                reason=self.reason_for_change(form, change, self.changed_inlines(formsets)),
            )
        self.warn_after_save(request, directive)
        self.report_examples(request, directive)

    @staticmethod
    def report_examples(request, directive):
        """Every save scores the labelled examples as if the directive were published."""
        results = directive_examples_check(directive)
        failed = [r for r in results if not r.passed]
        for result in failed:
            messages.error(request, _("Labelled example failed: %(detail)s") % {"detail": result.describe()})
        if results and not failed:
            messages.success(
                request,
                _("All %(n)d labelled examples of %(ref)s pass as if it were published.")
                % {"n": len(results), "ref": directive.reference},
            )

    @staticmethod
    def changed_inlines(formsets) -> list[str]:
        return [str(fs.model._meta.verbose_name_plural) for fs in formsets if fs.has_changed()]

    @staticmethod
    def inline_rows(inlines: dict, model) -> list | None:
        formset = inlines.get(model)
        return formset.surviving_instances() if formset is not None else None

    def construct_change_message(self, request, form, formsets, add=False):
        # The inlines are saved by the service, not by formset.save(): name the
        # changed ones instead of Django's per-object details.
        message = construct_change_message(form, None, add)
        changed = self.changed_inlines(formsets)
        if changed and not add:
            message.append({"changed": {"fields": changed}})
        return message

    def warn_after_save(self, request, directive):
        if directive.kind != DirectiveKind.DIRECTIVE:
            return
        if directive.status == DirectiveStatus.DRAFT:
            for problem in directive_validate_scope(directive=directive):
                messages.warning(
                    request,
                    _("Before %(reference)s can be published: %(problem)s")
                    % {"reference": directive.reference, "problem": problem},
                )
        elif directive.status == DirectiveStatus.PUBLISHED:
            for warning in directive_overlap_warnings(directive=directive):
                messages.warning(request, warning)

    # --- publish and withdraw ---------------------------------------------------------

    def has_publish_permission(self, request, obj=None) -> bool:
        """Publishing and withdrawing: Pusat's right (policy.publish_directive)."""
        return request.user.has_perm("policy.publish_directive")

    @admin.action(description=_("Publish selected directives"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        for directive in queryset:
            self.publish_one(request, directive, reason="")

    def publish_one(self, request, directive, *, reason: str) -> bool:
        try:
            with transaction.atomic():
                warnings = directive_publish(directive=directive, user=request.user, reason=reason)
        except ValidationError as exc:
            directive.refresh_from_db()
            self.message_user(
                request,
                _("%(reference)s was not published: %(error)s")
                % {"reference": directive.reference, "error": error_text(exc)},
                messages.ERROR,
            )
            return False
        self.message_user(
            request,
            _("%(reference)s v%(version)s is published.")
            % {"reference": directive.reference, "version": directive.version},
            messages.SUCCESS,
        )
        for warning in warnings:
            self.message_user(request, warning, messages.WARNING)
        return True

    @admin.action(description=_("Withdraw selected directives (asks why)"), permissions=["publish"])
    def withdraw_selected(self, request, queryset):
        form = WithdrawForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            for directive in queryset:
                self.withdraw_one(request, directive, reason=form.cleaned_data["reason"])
            return None  # back to the list
        context = {
            **self.admin_site.each_context(request),
            "title": _("Withdraw directives"),
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action": "withdraw_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/policy/directive/withdraw_confirmation.html", context)

    def withdraw_one(self, request, directive, *, reason: str) -> bool:
        try:
            with transaction.atomic():
                directive_withdraw(directive=directive, user=request.user, reason=reason)
        except ValidationError as exc:
            directive.refresh_from_db()
            self.message_user(
                request,
                _("%(reference)s was not withdrawn: %(error)s")
                % {"reference": directive.reference, "error": error_text(exc)},
                messages.ERROR,
            )
            return False
        self.message_user(
            request, _("%(reference)s is withdrawn.") % {"reference": directive.reference}, messages.SUCCESS
        )
        return True

    # --- extra pages ---------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(self.preview_view), name="policy_directive_preview"),
            path("timeline/", wrap(self.timeline_view), name="policy_directive_timeline"),
            path("<path:object_id>/publish/", wrap(self.publish_view), name="policy_directive_publish"),
            path("<path:object_id>/withdraw/", wrap(self.withdraw_view), name="policy_directive_withdraw"),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        return views.directive_preview(request, model_admin=self)

    def timeline_view(self, request):
        return timeline_views.directive_timeline(request, model_admin=self)

    def publish_view(self, request, object_id):
        return views.directive_publish_view(request, model_admin=self, object_id=object_id)

    def withdraw_view(self, request, object_id):
        return views.directive_withdraw_view(request, model_admin=self, object_id=object_id)

    def revert_disabled(self, request, obj=None):
        # A revert from the history page would bypass the inlines and the version
        # number; an old version is restored by editing the directive.
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            self.message_user(
                request, _("Restore an old version by editing the directive, so it gets a new version."), messages.ERROR
            )
            return HttpResponseRedirect(reverse("admin:policy_directive_history", args=[object_id]))
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)

    def history_view(self, request, object_id, extra_context=None):
        extra_context = {**(extra_context or {}), "content_history": views.content_history(object_id)}
        return super().history_view(request, object_id, extra_context=extra_context)
