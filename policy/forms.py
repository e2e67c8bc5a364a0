"""Admin forms of the policy: every change carries a reason, and the preview form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from policy.choices import DirectiveKind, DirectiveStatus, Element, Visibility
from policy.models import CSO, Channel, Directive, GreetingTemplate
from policy.services import directive_validate_scope

PUBLISHED_REASON_REQUIRED = _("Say why you change a published directive.")
REASON_HELP = _(
    "Why you make this change; it is kept in the history with your name. "
    "Left empty, the history lists the fields you changed. Required to change a published directive."
)


def is_published(directive: Directive | None) -> bool:
    """Whether the stored document is published (what its status was before this edit)."""
    return bool(directive is not None and directive.pk and directive.status == DirectiveStatus.PUBLISHED)


class ChangeReasonForm(forms.ModelForm):
    """A model form with the reason of the change, which is not a model field."""

    change_reason = forms.CharField(
        label=_("Reason for this change"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=REASON_HELP,
    )

    def content_changed(self) -> list[str]:
        return [name for name in self.changed_data if name != "change_reason"]

    def written_reason(self) -> str:
        return (self.cleaned_data.get("change_reason") or "").strip()

    def published_parent(self) -> Directive | None:
        """The published directive this object belongs to, if any (its changes need a reason)."""
        return None

    def _update_errors(self, errors):
        # A field the form already refused (an unreadable date, say) would get a second,
        # redundant error from the model's clean() ("needs the first day"): keep the first.
        if hasattr(errors, "error_dict"):
            errors = ValidationError(
                {field: e for field, e in errors.error_dict.items() if field not in self._errors or field == "__all__"}
            )
        super()._update_errors(errors)

    def clean(self):
        cleaned = super().clean()
        if self.content_changed() and not self.written_reason():
            if is_published(self.published_parent()):
                self.add_error("change_reason", PUBLISHED_REASON_REQUIRED)
        return cleaned


class DirectiveAdminForm(ChangeReasonForm):
    """The directive's admin form (the ModelAdmin names its fields)."""

    def published_parent(self):
        return Directive.objects.filter(pk=self.instance.pk).first()


class ChildOfDirectiveForm(ChangeReasonForm):
    """A greeting template or time band edited on its own page."""

    parent_field = "directive"

    def published_parent(self):
        # The stored parent, else the one chosen in the form (the parent cannot change).
        parent_id = getattr(self.instance, f"{self.parent_field}_id", None)
        if parent_id is None and self.cleaned_data.get(self.parent_field) is not None:
            parent_id = self.cleaned_data[self.parent_field].pk
        return Directive.objects.filter(pk=parent_id).first() if parent_id else None


class GreetingTemplateAdminForm(ChildOfDirectiveForm):
    """Also checks the scope of a published directive before the template is saved."""

    parent_field = "directive"

    def clean(self):
        cleaned = super().clean()
        parent = self.published_parent()
        if not is_published(parent) or self.errors:
            return cleaned
        proposed = GreetingTemplate(
            pk=self.instance.pk, element=cleaned.get("element"), channel=cleaned.get("channel"), text=""
        )
        others = parent.templates.exclude(pk=self.instance.pk).select_related("channel")
        problems = directive_validate_scope(directive=parent, templates=[*others, proposed])
        if problems:
            raise ValidationError(problems)
        return cleaned


class TimeBandAdminForm(ChildOfDirectiveForm):
    parent_field = "baseline"


class DirectiveChildFormSet(BaseInlineFormSet):
    """Inline templates and bands. The admin passes what the directive's own form was
    sent: the written reason (a change of a published directive needs one) and the
    channels (the scope of its templates)."""

    def __init__(self, *args, change_reason: str = "", channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.change_reason = change_reason.strip()
        self.channels = channels

    def surviving_instances(self) -> list:
        """The rows as they are to be saved: changed, unchanged and new ones, not the deleted."""
        out = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            out.append(form.instance)
        return out

    def stored_directive(self) -> Directive | None:
        return Directive.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None

    def clean(self):
        super().clean()
        if self.has_changed() and not self.change_reason and is_published(self.stored_directive()):
            raise ValidationError(PUBLISHED_REASON_REQUIRED)


class GreetingTemplateFormSet(DirectiveChildFormSet):
    """Also checks the scope of a published directive before it is saved."""

    def clean(self):
        super().clean()
        directive = self.instance
        if directive.kind != DirectiveKind.DIRECTIVE or self.channels is None:
            return
        if not is_published(self.stored_directive()):
            return  # drafts get warnings after the save instead
        problems = directive_validate_scope(
            directive=directive, channels=self.channels, templates=self.surviving_instances()
        )
        if problems:
            raise ValidationError(problems)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it withdrawn?"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Kept in the history with your name."),
        error_messages={"required": _("Say why the directive is withdrawn.")},
    )


class PublishForm(forms.Form):
    reason = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_('Kept in the history with your name; empty means "Published".'),
    )


ZONE_CHOICES_HELP = _("WIB, WITA, WIT or an IANA name such as Asia/Makassar.")


class PreviewForm(forms.Form):
    """What a CSO must say at a given moment: the question of rules.resolver.expected_greeting."""

    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.all(), to_field_name="code", empty_label=None
    )
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("Local date, e.g. 2023-09-10."),
    )
    time = forms.TimeField(
        label=_("Time"),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        help_text=_("Local time, e.g. 08:15."),
    )
    timezone = forms.CharField(label=_("Time zone"), initial="WIB", max_length=64, help_text=ZONE_CHOICES_HELP)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices, initial=Visibility.PRIVATE)
    category = forms.CharField(
        label=_("Category"), required=False, initial="Informasi", help_text=_("e.g. Informasi, Keluhan, Padam.")
    )
    first_contact = forms.BooleanField(
        label=_("First contact"), required=False, initial=True, help_text=_("The customer's first transaction.")
    )
    element = forms.ChoiceField(label=_("Element"), choices=Element.choices, initial=Element.OPENING)
    cso = forms.ModelChoiceField(
        label=_("CSO"), queryset=CSO.objects.filter(active=True), required=False, help_text=_("Choose a CSO ...")
    )
    cso_name = forms.CharField(label=_("or type a name"), required=False, max_length=200)
    as_it_stood = forms.BooleanField(
        label=_("As the policy stood then"),
        required=False,
        help_text=_(
            "Answer with the directives as they stood at that moment, rebuilt from the audit history, "
            "instead of as they stand now."
        ),
    )

    draft = forms.ModelChoiceField(
        label=_("As if this draft were published"),
        queryset=Directive.objects.exclude(status=DirectiveStatus.PUBLISHED).order_by("reference"),
        required=False,
        help_text=_(
            "Answer with the policy as it stands plus this draft (or withdrawn) directive, as if it were "
            "published now. The answer is labelled: draft, not in force."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("draft") is not None and cleaned.get("as_it_stood"):
            raise ValidationError(
                _('A draft is previewed against the policy as it stands: untick "As the policy stood then".')
            )
        return cleaned

    def cso_display_name(self) -> str | None:
        """The name put in the {nama_cso} slot: the typed name, else the CSO's first name."""
        typed = (self.cleaned_data.get("cso_name") or "").strip()
        if typed:
            return typed
        cso = self.cleaned_data.get("cso")
        if cso:
            return cso.full_name.split()[0] if cso.full_name.split() else cso.full_name
        return None


class TimelineForm(forms.Form):
    """The period of the directive timeline, in local days; element of the greeting."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    element = forms.ChoiceField(label=_("Element"), choices=Element.choices, initial=Element.OPENING, required=False)

    def clean(self):
        data = super().clean()
        data["element"] = data.get("element") or Element.OPENING
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The end of the period is before its start."))
        if start and end and (end - start).days > 3660:
            raise forms.ValidationError(_("Choose a period of at most ten years."))
        return data
