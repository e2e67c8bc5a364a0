"""The SOP as data: baseline, directives, greeting templates, time bands, scored
parameters and CSOs. Every model keeps a full audit history (simple-history)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from policy.choices import DirectiveKind, DirectiveStatus, Element, Visibility
from rules.templates import TemplateError, validate_template


def split_list(value: str) -> list[str]:
    """Split a comma-separated admin field into its trimmed, non-empty items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


class Channel(models.Model):
    """A way customers reach PLN 123: ``voice`` (the 123 line), ``live_chat``,
    ``email`` or ``social_media``. Only some channels have public posts."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    allows_public = models.BooleanField(
        _("allows public"),
        default=False,
        help_text=_("Whether transcripts on this channel may be public (wall post, comment, timeline)."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class TimeZoneAlias(models.Model):
    """A regional zone name QA uses instead of an IANA name (rule S1):
    WIB = Asia/Jakarta, WITA = Asia/Makassar, WIT = Asia/Jayapura."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    iana_name = models.CharField(_("iana name"), max_length=64)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("time zone alias")
        verbose_name_plural = _("time zone aliases")

    def __str__(self) -> str:
        return f"{self.code} ({self.iana_name})"

    def clean(self):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.iana_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"iana_name": f"{self.iana_name!r} is not an IANA time zone name."}) from None


class Directive(models.Model):
    """An SOP document that says what a CSO must say.

    ``kind=baseline`` is the standing SOP (``SOP-PLN123-STD``): per channel its
    opening greeting, closing greeting and campaign line, and the time-of-day
    bands of rule S6. It has no validity window and applies whenever no directive
    does. ``kind=directive`` is a temporary change (``SOP-PLN123-HPN2023``): for a
    validity window in *local* time and some channels it overrides the baseline
    elements for which it has a template. Only published documents are resolved.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=DirectiveKind.choices, default=DirectiveKind.DIRECTIVE)
    reference = models.CharField(_("reference"), max_length=64, unique=True, help_text=_("e.g. SOP-PLN123-HPN2023"))
    title = models.CharField(_("title"), max_length=300)
    issuing_unit = models.CharField(_("issuing unit"), max_length=200, blank=True)
    memo_text = models.TextField(_("memo text"), blank=True)
    memo_file = models.FileField(_("memo file"), upload_to="memos/", blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DirectiveStatus.choices, default=DirectiveStatus.DRAFT
    )
    priority = models.IntegerField(
        _("priority"),
        default=0,
        help_text=_("Where two published directives overlap, the higher priority wins (rule S4)."),
    )
    # The validity window, in the transcript's local time (rule S4): a wall-clock
    # date and time, not an instant, so one window covers every zone.
    valid_from_date = models.DateField(_("valid from (date)"), null=True, blank=True)
    valid_from_time = models.TimeField(_("valid from (time)"), default=dt.time(0, 0))
    valid_until_date = models.DateField(_("valid until (date)"), null=True, blank=True)
    valid_until_time = models.TimeField(_("valid until (time, inclusive)"), default=dt.time(23, 59, 59))
    channels = models.ManyToManyField(
        Channel,
        blank=True,
        related_name="directives",
        help_text=_("Channels the directive covers."),
        verbose_name=_("channels"),
    )
    # The audience rule of S5.
    first_contact_only = models.BooleanField(
        _("first contact only"),
        default=True,
        help_text=_("Owed only on a customer's first transaction (not on follow-ups in a thread)."),
    )
    # Audience categories are data of each document, not a default of the schema:
    # the seed sets "Informasi" explicitly.
    public_owed_categories = models.CharField(
        _("public owed categories"),
        max_length=300,
        blank=True,
        help_text=_(
            "On public posts the greeting is owed only for these QA categories (comma-separated, "
            "case-insensitive), e.g. Informasi. Left empty, a public post never owes the greeting."
        ),
    )
    # The tolerance of rule S8.
    typo_ratio = models.DecimalField(
        _("typo ratio"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.5"))],
        help_text=_("Typos tolerated per character in a long phrase (0.10 = about one edit in ten characters)."),
    )
    typo_min_length = models.PositiveSmallIntegerField(
        _("typo min length"), default=10, help_text=_("Phrases shorter than this many characters must match exactly.")
    )
    forms_of_address = models.CharField(
        _("forms of address"),
        max_length=300,
        blank=True,
        help_text=_(
            "Words allowed between the phrases of a greeting (comma-separated), e.g. Kak, Bapak, Ibu. "
            "On a directive, empty means the baseline's."
        ),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("published by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("withdrawn by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[channels])

    class Meta:
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        ordering = ["kind", "-valid_from_date", "reference"]
        permissions = [("publish_directive", "Can publish and withdraw directives")]
        constraints = [
            models.CheckConstraint(
                name="directive_window_complete",
                condition=Q(kind=DirectiveKind.BASELINE)
                | (Q(valid_from_date__isnull=False) & Q(valid_until_date__isnull=False)),
            ),
            models.CheckConstraint(
                name="directive_window_ordered",
                condition=Q(valid_from_date__isnull=True)
                | Q(valid_until_date__isnull=True)
                | Q(valid_until_date__gt=F("valid_from_date"))
                | (Q(valid_until_date=F("valid_from_date")) & Q(valid_until_time__gte=F("valid_from_time"))),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} v{self.version}"

    @property
    def is_baseline(self) -> bool:
        return self.kind == DirectiveKind.BASELINE

    @property
    def window_start(self) -> dt.datetime | None:
        if self.valid_from_date is None:
            return None
        return dt.datetime.combine(self.valid_from_date, self.valid_from_time)

    @property
    def window_end(self) -> dt.datetime | None:
        if self.valid_until_date is None:
            return None
        return dt.datetime.combine(self.valid_until_date, self.valid_until_time)

    def clean(self):
        errors = {}
        if self.kind == DirectiveKind.DIRECTIVE:
            if self.valid_from_date is None:
                errors["valid_from_date"] = "A directive needs the first day of its validity window."
            if self.valid_until_date is None:
                errors["valid_until_date"] = "A directive needs the last day of its validity window."
        if self.window_start and self.window_end and self.window_end < self.window_start:
            errors["valid_until_date"] = (
                f"The window ends ({self.window_end:%Y-%m-%d %H:%M:%S}) before it starts "
                f"({self.window_start:%Y-%m-%d %H:%M:%S})."
            )
        if self.kind == DirectiveKind.BASELINE and (self.valid_from_date or self.valid_until_date):
            errors["valid_from_date"] = "The baseline has no validity window: it applies whenever no directive does."
        if errors:
            raise ValidationError(errors)

    def public_categories(self) -> list[str]:
        return split_list(self.public_owed_categories)


class TimeBand(models.Model):
    """A time-of-day word of rule S6 and the local times it covers, per baseline.
    A band may wrap midnight (Malam 18:00-03:59)."""

    baseline = models.ForeignKey(
        Directive,
        on_delete=models.CASCADE,
        related_name="time_bands",
        limit_choices_to={"kind": "baseline"},
        verbose_name=_("baseline"),
    )
    word = models.CharField(_("word"), max_length=32, help_text=_("e.g. Pagi, Siang, Sore, Malam"))
    starts_at = models.TimeField(_("starts at"), help_text=_("First minute of the band, local time."))
    ends_at = models.TimeField(
        _("ends at"), help_text=_("Last minute of the band, inclusive (may be earlier than the start).")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("time band")
        verbose_name_plural = _("time bands")
        ordering = ["baseline", "starts_at"]
        constraints = [models.UniqueConstraint(fields=["baseline", "word"], name="timeband_unique_word")]

    def __str__(self) -> str:
        return f"{self.word} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class GreetingTemplate(models.Model):
    """What a CSO must say for one element (opening greeting, closing greeting or
    campaign line) under a baseline or directive, with the slots ``{waktu}`` and
    ``{nama_cso}``. Without a channel it applies to every channel the document covers."""

    directive = models.ForeignKey(
        Directive, on_delete=models.CASCADE, related_name="templates", verbose_name=_("directive")
    )
    element = models.CharField(_("element"), max_length=16, choices=Element.choices, default=Element.OPENING)
    channel = models.ForeignKey(
        Channel,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty for every channel of the document."),
        verbose_name=_("channel"),
    )
    text = models.TextField(_("text"), help_text=_("e.g. PLN 123 Selamat {waktu}, dengan {nama_cso} Bisa Dibantu"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("greeting template")
        verbose_name_plural = _("greeting templates")
        ordering = ["directive", "element", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["directive", "element", "channel"], name="template_unique_per_channel"),
            models.UniqueConstraint(
                fields=["directive", "element"],
                condition=Q(channel__isnull=True),
                name="template_unique_all_channels",
            ),
        ]

    def __str__(self) -> str:
        scope = self.channel.code if self.channel_id else "all channels"
        return f"{self.get_element_display()} ({scope})"

    def clean(self):
        try:
            validate_template(self.text)
        except TemplateError as exc:
            raise ValidationError({"text": str(exc)}) from None


class ScoredParameter(models.Model):
    """A line of the QA form, per channel, and the element it checks: parameter
    ``1.1`` is "Menggunakan Salam Pembuka Sesuai Standar" on live chat, email and
    voice, and "Menggunakan Kata Sapaan" on social media."""

    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=200)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="parameters", verbose_name=_("channel"))
    element = models.CharField(_("element"), max_length=16, choices=Element.choices, default=Element.OPENING)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scored parameter")
        verbose_name_plural = _("scored parameters")
        ordering = ["code", "channel__code"]
        constraints = [models.UniqueConstraint(fields=["code", "channel"], name="parameter_unique_per_channel")]

    def __str__(self) -> str:
        return f"{self.code}. {self.name} ({self.channel.code})"


class CSO(models.Model):
    """A customer service officer and the names they may use in a greeting (rule S7):
    the full registered name, any single word of it, or a registered alias."""

    cso_id = models.CharField(_("CSO id"), max_length=32, unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    aliases = models.CharField(
        _("aliases"), max_length=300, blank=True, help_text=_("Other names the CSO uses, comma-separated.")
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("CSO")
        verbose_name_plural = _("CSOs")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.cso_id})"

    def alias_list(self) -> list[str]:
        return split_list(self.aliases)


class DirectiveExample(models.Model):
    """A labelled example of a directive: a CSO's opening in a given situation and the
    verdict Pusat expects for it. The examples are scored against the policy as it
    would be with this directive published; a directive whose examples fail cannot
    be published (``policy.services.directive_publish``)."""

    class Expected(models.TextChoices):
        YES = "YES", _("YES (the greeting is right)")
        NO = "NO", _("NO (the greeting is wrong or missing)")
        NA = "NA", _("NA (no greeting owed)")

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="examples")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    local_date = models.DateField(_("local date"))
    local_time = models.TimeField(_("local time"))
    timezone = models.CharField(_("time zone"), max_length=64, default="WIB", help_text=_("WIB, WITA, WIT or IANA."))
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    category = models.CharField(_("category"), max_length=100, blank=True)
    first_contact = models.BooleanField(_("first contact"), default=True)
    cso_name = models.CharField(_("CSO name"), max_length=200)
    opening = models.TextField(_("CSO's first message"))
    expected = models.CharField(_("expected result"), max_length=4, choices=Expected.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["directive", "pk"]
        verbose_name = _("labelled example")
        verbose_name_plural = _("labelled examples")

    def __str__(self) -> str:
        return f"{self.directive.reference}: {self.channel.code} {self.local_date} {self.local_time:%H:%M}"
