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
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from import_export import fields, resources, widgets

from policy.models import CSO, Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand
from policy.services import DIRECTIVE_CONTENT_FIELDS, directive_content_save, stamp

IMPORT_HELP = gettext_lazy(
    "Rows are matched by their natural key and saved one by one with your name and the reason "
    '"Imported from <file name>" in the history. Imported directives arrive as drafts: the status, '
    "version and publication columns are for information and are ignored; publish a directive with "
    "the Publish action once it is complete. Changing an existing directive or its templates gives "
    "it a new version."
)


def import_reason(kwargs) -> str:
    file_name = kwargs.get("file_name")
    return f"Imported from {file_name}" if file_name else "Imported (django-import-export)"


def import_user(kwargs):
    """The importing user, or None (then simple-history falls back to the request's user)."""
    user = kwargs.get("user")
    return user if user is not None and getattr(user, "is_authenticated", False) else None


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
            raise ValueError(
                gettext("unknown %(noun)s %(value)s (known: %(known)s)")
                % {"noun": gettext(self.noun), "value": repr(value), "known": known or gettext("none")}
            ) from None


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
            raise ValueError(
                gettext("unknown %(noun)s %(value)s (known: %(known)s)")
                % {"noun": gettext(self.noun), "value": ", ".join(missing), "known": known}
            )
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
        stamp(instance, user=import_user(kwargs), reason=import_reason(kwargs))


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
        attribute="channels",
        column_name="channels",
        widget=CodesWidget(Channel, "code", noun=gettext_noop("channel code")),
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
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        # The row's fields and channels in one write: a new draft, or one new version.
        directive_content_save(
            directive=instance,
            fields={
                field.attribute: getattr(instance, field.attribute)
                for field in self.get_import_fields()
                if field.column_name in row and field.attribute in DIRECTIVE_CONTENT_FIELDS
            },
            channels=self.fields["channels"].clean(row) if "channels" in row else None,
            user=import_user(kwargs),
            reason=import_reason(kwargs),
        )

    def save_m2m(self, instance, row, **kwargs):
        """Nothing: save_instance wrote the channels with the directive."""


class DirectiveChildResource(HistoryResource):
    """A row that belongs to a directive. The rows of a file are written per directive
    once the file is read, by directive_content_save: one new version per directive."""

    related_name = "templates"  # the directive's set the rows belong to

    class Meta:
        abstract = True

    def before_import(self, dataset, **kwargs):
        self.rows_by_directive: dict[int, list] = {}

    def save_instance(self, instance, is_create, row, **kwargs):
        # Written in after_import, with the file's other rows of the same directive.
        self.rows_by_directive.setdefault(getattr(instance, f"{self.parent_field}_id"), []).append(instance)

    def after_import(self, dataset, result, **kwargs):
        for directive_id, rows in self.rows_by_directive.items():
            directive = Directive.objects.get(pk=directive_id)
            replaced = {row.pk for row in rows if row.pk}
            kept = [child for child in getattr(directive, self.related_name).all() if child.pk not in replaced]
            directive_content_save(
                directive=directive,
                fields={},
                **{self.related_name: [*kept, *rows]},
                user=import_user(kwargs),
                reason=import_reason(kwargs),
            )


class GreetingTemplateResource(DirectiveChildResource):
    """A template by directive reference + element + channel code (empty: every channel)."""

    directive = fields.Field(
        attribute="directive",
        column_name="directive",
        widget=CodeWidget(Directive, "reference", noun=gettext_noop("directive reference")),
    )
    channel = fields.Field(
        attribute="channel",
        column_name="channel",
        widget=CodeWidget(Channel, "code", noun=gettext_noop("channel code")),
    )

    class Meta:
        model = GreetingTemplate
        fields = ("directive", "element", "channel", "text")
        import_id_fields = ("directive", "element", "channel")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    parent_field = "directive"


class TimeBandResource(DirectiveChildResource):
    """A time-of-day band by baseline reference + word."""

    baseline = fields.Field(
        attribute="baseline",
        column_name="baseline",
        widget=CodeWidget(Directive, "reference", noun=gettext_noop("baseline reference")),
    )

    class Meta:
        model = TimeBand
        fields = ("baseline", "word", "starts_at", "ends_at")
        import_id_fields = ("baseline", "word")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    parent_field = "baseline"
    related_name = "time_bands"


class ScoredParameterResource(HistoryResource):
    """A line of the QA form by code + channel code."""

    channel = fields.Field(
        attribute="channel",
        column_name="channel",
        widget=CodeWidget(Channel, "code", noun=gettext_noop("channel code")),
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
