"""Import and export of the policy (django-import-export), keyed by what a person
can read and edit in a spreadsheet: a directive by its reference, a channel by its
code, a template by directive reference + element + channel code, a scored
parameter by code + channel code, a CSO by its id.

Imports write history like any other change: rows are saved one by one (never in
bulk), each carrying the acting user and the reason ``Imported from <file>``.

Imported directives arrive as **drafts**: the ``status`` column (and version,
publication stamps) is exported for information and ignored on import, so a file
can never publish a directive past the checks of ``directive_publish``. Pusat
publishes an imported directive with the admin's Publish action.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from policy.choices import DirectiveStatus
from policy.models import CSO, Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand
from policy.services import directive_record_change

IMPORT_HELP = (
    "Rows are matched by their natural key and saved one by one with your name and the reason "
    '"Imported from <file name>" in the history. Imported directives arrive as drafts: the status, '
    "version and publication columns are for information and are ignored; publish a directive with "
    "the Publish action once it is complete. Changing an existing directive or its templates gives "
    "it a new version."
)


def import_reason(kwargs) -> str:
    file_name = kwargs.get("file_name")
    return f"Imported from {file_name}" if file_name else "Imported (django-import-export)"


# --- widgets with messages a person understands -------------------------------------


class CodeWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the related object's natural key; an unknown key is
    a row error naming it (not a silent None, not a traceback)."""

    def __init__(self, model, field, *, noun: str, **kwargs):
        self.noun = noun
        super().__init__(model, field=field, **kwargs)

    def clean(self, value, row=None, **kwargs):
        value = (str(value).strip() if value is not None else "") or None
        if value is None:
            return None
        try:
            return self.get_queryset(value, row).get(**{self.field: value})
        except self.model.DoesNotExist:
            known = ", ".join(self.get_queryset(value, row).values_list(self.field, flat=True)[:20])
            raise ValueError(f"unknown {self.noun} {value!r} (known: {known or 'none'})") from None


class CodesWidget(widgets.ManyToManyWidget):
    """Many-to-many as comma-separated codes; unknown codes are an error, not dropped."""

    def __init__(self, model, field, *, noun: str, **kwargs):
        self.noun = noun
        super().__init__(model, separator=",", field=field, **kwargs)

    def codes(self, value) -> list[str]:
        return [c.strip() for c in str(value or "").split(self.separator) if c.strip()]

    def clean(self, value, row=None, **kwargs):
        codes = self.codes(value)
        found = self.model.objects.filter(**{f"{self.field}__in": codes})
        missing = sorted(set(codes) - {getattr(o, self.field) for o in found})
        if missing:
            known = ", ".join(self.model.objects.values_list(self.field, flat=True))
            raise ValueError(f"unknown {self.noun} {', '.join(missing)} (known: {known})")
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return ",".join(sorted(str(getattr(o, self.field)) for o in value.all()))


# --- the shared behaviour -----------------------------------------------------------


class HistoryResource(resources.ModelResource):
    """Non-bulk saves that stamp the history with the importing user and file."""

    class Meta:
        abstract = True

    def get_instance(self, instance_loader, row):
        # An unknown natural key (channel code...) is reported as a field error of the
        # row by import_instance, with its row number, rather than a traceback here.
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None

    def before_save_instance(self, instance, row, **kwargs):
        instance._change_reason = import_reason(kwargs)
        user = kwargs.get("user")
        if user is not None and getattr(user, "is_authenticated", False):
            instance._history_user = user


# --- the resources --------------------------------------------------------------------


class ChannelResource(HistoryResource):
    class Meta:
        model = Channel
        fields = ("code", "name", "allows_public")
        import_id_fields = ("code",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class DirectiveResource(HistoryResource):
    """A directive by its reference; channels as comma-separated codes."""

    channels = fields.Field(
        attribute="channels", column_name="channels", widget=CodesWidget(Channel, "code", noun="channel code")
    )
    status = fields.Field(attribute="status", column_name="status", readonly=True)
    version = fields.Field(attribute="version", column_name="version", readonly=True)
    published_at = fields.Field(
        attribute="published_at", column_name="published_at", readonly=True, widget=widgets.DateTimeWidget()
    )

    class Meta:
        model = Directive
        fields = (
            "reference",
            "kind",
            "title",
            "issuing_unit",
            "status",
            "version",
            "published_at",
            "priority",
            "valid_from_date",
            "valid_from_time",
            "valid_until_date",
            "valid_until_time",
            "channels",
            "first_contact_only",
            "public_owed_categories",
            "typo_ratio",
            "typo_min_length",
            "forms_of_address",
            "memo_text",
        )
        import_id_fields = ("reference",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        # Many-to-many values are only written after the save; check them now so a
        # bad code is a validation error of its row and nothing is stored.
        if "channels" in row:
            try:
                self.fields["channels"].clean(row)
            except ValueError as exc:
                errors["channels"] = [str(exc)]
        if instance.pk is None:
            instance.status = DirectiveStatus.DRAFT
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        # One history row per change: an existing directive is saved once, by
        # directive_record_change after its channels are set (see save_m2m).
        self.before_save_instance(instance, row, **kwargs)
        if is_create:
            self.do_instance_save(instance, is_create)
        self.after_save_instance(instance, row, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        is_update = not getattr(instance, "_import_created", True)
        if is_update:
            instance.skip_history_when_saving = True
        try:
            super().save_m2m(instance, row, **kwargs)
        finally:
            if is_update:
                del instance.skip_history_when_saving
        if is_update:
            directive_record_change(
                directive=instance, user=getattr(instance, "_history_user", None), reason=import_reason(kwargs)
            )

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._import_created = new


class DirectiveChildResource(HistoryResource):
    """A row that belongs to a directive: a change to it is a new version of that directive."""

    class Meta:
        abstract = True

    def before_import(self, dataset, **kwargs):
        self._touched_directives: dict[int, Directive] = {}

    def after_save_instance(self, instance, row, **kwargs):
        directive = self.parent_of(instance)
        self._touched_directives.setdefault(directive.pk, directive)

    def after_import(self, dataset, result, **kwargs):
        if kwargs.get("dry_run"):
            return  # rolled back anyway; a failed real import is rolled back with its bumps
        user = kwargs.get("user")
        user = user if user is not None and getattr(user, "is_authenticated", False) else None
        for directive in getattr(self, "_touched_directives", {}).values():
            directive.refresh_from_db()
            directive_record_change(directive=directive, user=user, reason=import_reason(kwargs))

    def parent_of(self, instance) -> Directive:
        raise NotImplementedError


class GreetingTemplateResource(DirectiveChildResource):
    """A template by directive reference + element + channel code (empty: every channel)."""

    directive = fields.Field(
        attribute="directive",
        column_name="directive",
        widget=CodeWidget(Directive, "reference", noun="directive reference"),
    )
    channel = fields.Field(
        attribute="channel", column_name="channel", widget=CodeWidget(Channel, "code", noun="channel code")
    )

    class Meta:
        model = GreetingTemplate
        fields = ("directive", "element", "channel", "text")
        import_id_fields = ("directive", "element", "channel")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def parent_of(self, instance) -> Directive:
        return instance.directive


class TimeBandResource(DirectiveChildResource):
    """A time-of-day band by baseline reference + word."""

    baseline = fields.Field(
        attribute="baseline",
        column_name="baseline",
        widget=CodeWidget(Directive, "reference", noun="baseline reference"),
    )

    class Meta:
        model = TimeBand
        fields = ("baseline", "word", "starts_at", "ends_at")
        import_id_fields = ("baseline", "word")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def parent_of(self, instance) -> Directive:
        return instance.baseline


class ScoredParameterResource(HistoryResource):
    """A line of the QA form by code + channel code."""

    channel = fields.Field(
        attribute="channel", column_name="channel", widget=CodeWidget(Channel, "code", noun="channel code")
    )

    class Meta:
        model = ScoredParameter
        fields = ("code", "channel", "name", "element", "active")
        import_id_fields = ("code", "channel")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class CSOResource(HistoryResource):
    """A CSO by cso_id; aliases comma-separated."""

    class Meta:
        model = CSO
        fields = ("cso_id", "full_name", "aliases", "active")
        import_id_fields = ("cso_id",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
