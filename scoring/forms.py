"""Forms of the QA admin pages."""

from __future__ import annotations

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from policy.models import Channel, Directive
from scoring.choices import Result

UPLOAD_EXTENSIONS = ["jsonl", "json", "csv", "xlsx"]


class UploadForm(forms.Form):
    """One transcript file in one of the formats of docs/formats.md."""

    file = forms.FileField(
        label=_("Transcript file"),
        validators=[FileExtensionValidator(UPLOAD_EXTENSIONS)],
        help_text=_(
            "JSON Lines (.jsonl), a JSON array (.json), CSV (.csv, UTF-8) or Excel (.xlsx). "
            "A file with any bad row is rejected as a whole, with every error listed."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{ext}" for ext in UPLOAD_EXTENSIONS)}),
    )


class OverrideForm(forms.Form):
    """QA's correction of an automatic result; the justification is mandatory."""

    result = forms.ChoiceField(label=_("Result"), choices=Result.choices)
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Why the automatic result is wrong, in words the CSO and an auditor will read."),
    )


class DashboardForm(forms.Form):
    """What the compliance dashboard is about: a period of conversation days (in the
    site's zone), a directive, a channel, a zone. Every field may stay empty."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    directive = forms.ModelChoiceField(
        label=_("Directive"), required=False, queryset=Directive.objects.order_by("reference"), empty_label=_("all")
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"), required=False, queryset=Channel.objects.order_by("code"), empty_label=_("all")
    )
    zone = forms.ChoiceField(label=_("Zone"), required=False)

    def __init__(self, *args, zones: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].choices = [("", _("all"))] + [(z, z) for z in zones]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(
                _("The end of the period (%(end)s) is before its start (%(start)s).")
                % {"end": end.isoformat(), "start": start.isoformat()}
            )
        return data
