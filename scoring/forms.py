"""Forms of the QA admin pages."""

from __future__ import annotations

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

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

    result = forms.ChoiceField(choices=Result.choices)
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Why the automatic result is wrong, in words the CSO and an auditor will read."),
    )
