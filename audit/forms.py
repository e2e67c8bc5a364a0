"""The audit trail's question: a date range."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class AuditTrailForm(forms.Form):
    """A date range of the audit trail, in the site's time zone, both days included."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise ValidationError(_("The range ends before it starts."))
        for day in (start, end):
            if day and not 1900 <= day.year <= 9000:
                raise ValidationError(
                    _("%(day)s is out of range: choose dates between 1900 and 9000.") % {"day": f"{day:%d/%m/%Y}"}
                )
        return data
