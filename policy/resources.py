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

A file is checked as a whole before anything is kept: a natural key on two rows, a
boolean that is not one, a value longer than its field, a control character, a key
column missing from the header are errors naming the row and the column.

Exported cells go through :func:`common.spreadsheet.neutralise` (no cell runs as a
formula, no character makes a file unwritable), in every format, so a file behaves
the same whichever one is chosen; on import the apostrophe it added is taken off
again (:func:`~common.spreadsheet.unneutralise`), so an export imports unchanged.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from import_export import fields, resources, widgets

from common.spreadsheet import neutralise, unneutralise
from policy.models import CSO, Channel, Directive, DirectiveExample, GreetingTemplate, ScoredParameter, TimeBand
from policy.services import DIRECTIVE_CONTENT_FIELDS, directive_content_save, stamp

logger = logging.getLogger(__name__)

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


class ImportFileInvalid(Exception):
    """A problem with the file as a whole (no key column...), said for a person."""


UNEXPECTED_PROBLEM = gettext_lazy(
    "The import stopped on an unexpected problem and nothing was stored. It has been logged "
    "for the site administrator; please tell them the file name and the time."
)
# Control characters (tab, line feed and carriage return aside) and lone surrogates:
# nothing a person types into a policy, and what breaks the files it is exported to.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _show(value, limit: int = 60) -> str:
    """A value quoted for a message, cut short when long."""
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _rows(numbers: list[int]) -> str:
    shown = [str(n) for n in numbers[:10]]
    more = gettext(" and %(count)s more") % {"count": len(numbers) - 10} if len(numbers) > 10 else ""
    if len(shown) == 1:
        return shown[0]
    return gettext("%(first)s and %(last)s%(more)s") % {"first": ", ".join(shown[:-1]), "last": shown[-1], "more": more}


# --- widgets with messages a person understands -------------------------------------


class StrictBooleanWidget(widgets.BooleanWidget):
    """Yes or no, said in one of the usual ways; anything else is an error of its row
    (import-export's own widget reads ``maybe`` as False)."""

    TRUE_WORDS = frozenset({"1", "true", "yes", "y"})
    FALSE_WORDS = frozenset({"0", "false", "no", "n"})

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)  # a spreadsheet's number cell
        word = str(value if value is not None else "").strip().lower()
        if word in self.TRUE_WORDS:
            return True
        if word in self.FALSE_WORDS:
            return False
        if not word:
            raise ValueError(gettext("is empty; write 1 or 0 (or true/false, yes/no)"))
        raise ValueError(
            gettext("%(value)s is not true or false; write 1 or 0 (or true/false, yes/no)") % {"value": _show(value)}
        )


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
                % {"noun": gettext(self.noun), "value": _show(value), "known": known or gettext("none")}
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
                % {"noun": gettext(self.noun), "value": _show(", ".join(missing))[1:-1], "known": known}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return ",".join(sorted(str(getattr(o, self.field)) for o in value.all()))


# --- the shared behaviour -----------------------------------------------------------


class HistoryResource(resources.ModelResource):
    """Non-bulk saves that stamp the history with the importing user and file; files
    checked whole, row by row, with messages a person can act on; cells exported safe."""

    WIDGETS_MAP = {**resources.ModelResource.WIDGETS_MAP, "BooleanField": StrictBooleanWidget}

    class Meta:
        abstract = True

    # --- export -------------------------------------------------------------------

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if not isinstance(value, str):
            return value  # a typed XLSX cell (date, number, boolean) is never a formula
        raw = field.get_value(instance) if field.attribute else None
        if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
            return value  # "-1" is a number to a spreadsheet, not a formula
        return neutralise(value)

    # --- import: the file as a whole ------------------------------------------------

    def key_columns(self) -> list[str]:
        return [self.fields[name].column_name for name in self.get_import_id_fields()]

    def before_import(self, dataset, **kwargs):
        headers = [str(h).strip() if h is not None else "" for h in (dataset.headers or [])]
        missing = [column for column in self.key_columns() if column not in headers]
        if missing:
            del dataset[0 : len(dataset)]  # no row is worth reading without its key
            columns = ", ".join(self.get_user_visible_columns())
            raise ImportFileInvalid(
                gettext(
                    "The file has no %(missing)s column, which names each row's %(name)s. The first row of "
                    "the file must name the columns (%(columns)s); export the %(plural)s here to get a file "
                    "with the right columns."
                )
                % {
                    "missing": gettext(" or ").join(missing),
                    "name": self._meta.model._meta.verbose_name,
                    "columns": columns,
                    "plural": self._meta.model._meta.verbose_name_plural,
                }
            )
        self.key_rows: dict[tuple, list[int]] = {}
        for number, cells in enumerate(dataset.dict, start=1):
            key = tuple(self.key_text(cells.get(column)) for column in self.key_columns())
            self.key_rows.setdefault(key, []).append(number)

    def get_user_visible_columns(self) -> list[str]:
        return [field.column_name for field in self.get_user_visible_fields()]

    @staticmethod
    def key_text(value) -> str:
        return unneutralise(str(value).strip()) if value is not None else ""

    def before_import_row(self, row, **kwargs):
        # A cell this site exported starts with the apostrophe neutralise() added.
        for column, value in row.items():
            if isinstance(value, str):
                row[column] = unneutralise(value)

    # --- import: one row ------------------------------------------------------------

    def row_problems(self, row, **kwargs) -> dict[str, list[str]]:
        """What is wrong with the row before its values are read: its key on other
        rows too, characters no policy text may hold."""
        problems: dict[str, list[str]] = {}
        by_column = {field.column_name: field.attribute or field.column_name for field in self.get_import_fields()}
        key = tuple(self.key_text(row.get(column)) for column in self.key_columns())
        rows = getattr(self, "key_rows", {}).get(key, [])
        if len(rows) > 1:
            pairs = zip(self.key_columns(), key, strict=True)
            said = ", ".join(
                f"{column} {value!r}" if value else gettext("%(column)s empty") % {"column": column}
                for column, value in pairs
            )
            problems.setdefault(by_column.get(self.key_columns()[0], NON_FIELD_ERRORS), []).append(
                gettext("%(key)s is on rows %(rows)s: each may appear once in a file; keep one of those rows")
                % {"key": said, "rows": _rows(rows)}
            )
        for column, value in row.items():
            if not isinstance(value, str) or column not in by_column:
                continue
            found = _CONTROL.search(value)
            if found:
                code = f"U+{ord(found.group()):04X}"
                problems.setdefault(by_column[column], []).append(
                    gettext("holds an invisible control character (%(code)s) at position %(position)s; remove it")
                    % {"code": code, "position": found.start() + 1}
                )
        return problems

    def import_instance(self, instance, row, **kwargs):
        errors = self.row_problems(row, **kwargs)
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def handle_import_error(self, result, error, raise_errors=False):
        """A problem of the whole file, said plainly; anything unexpected is logged
        with its traceback for the administrator, never shown on the page."""
        if isinstance(error, ValidationError):
            error = ImportFileInvalid(" ".join(error.messages))
        elif not isinstance(error, ImportFileInvalid):
            logger.error("policy import failed", exc_info=error)
            error = ImportFileInvalid(UNEXPECTED_PROBLEM)
        super().handle_import_error(result, error, raise_errors)

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
        super().before_import(dataset, **kwargs)

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


class DirectiveExampleResource(HistoryResource):
    """A labelled example by directive reference + channel + local moment + zone + CSO
    name: the situation is its identity; the opening and the expected result are its data."""

    directive = fields.Field(
        attribute="directive",
        column_name="directive",
        widget=CodeWidget(Directive, "reference", noun="directive reference"),
    )
    channel = fields.Field(
        attribute="channel", column_name="channel", widget=CodeWidget(Channel, "code", noun="channel code")
    )

    class Meta:
        model = DirectiveExample
        fields = (
            "directive",
            "channel",
            "local_date",
            "local_time",
            "timezone",
            "visibility",
            "category",
            "first_contact",
            "cso_name",
            "opening",
            "expected",
            "note",
        )
        import_id_fields = ("directive", "channel", "local_date", "local_time", "timezone", "cso_name")
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
