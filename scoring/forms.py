"""Forms of the QA admin pages."""

from __future__ import annotations

from django import forms
from django.core.validators import FileExtensionValidator

UPLOAD_EXTENSIONS = ["jsonl", "json", "csv", "xlsx"]


class UploadForm(forms.Form):
    """One transcript file in one of the formats of spec/formats.md."""

    file = forms.FileField(
        label="Transcript file",
        validators=[FileExtensionValidator(UPLOAD_EXTENSIONS)],
        help_text="JSON Lines (.jsonl), a JSON array (.json), CSV (.csv, UTF-8) or Excel (.xlsx). "
        "A file with any bad row is rejected as a whole, with every error listed.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{ext}" for ext in UPLOAD_EXTENSIONS)}),
    )
