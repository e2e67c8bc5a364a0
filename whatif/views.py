"""The publish page with what the draft would change: its labelled examples, the
overlap warnings, the what-if report; and the button that starts a what-if.
Wired through WhatIfDirectiveAdmin.get_urls(); each takes the ModelAdmin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from policy.examples import directive_examples_check
from policy.services import directive_overlap_warnings, directive_validate_scope
from policy.views import _context, _directive_or_404
from whatif.selectors import latest_run, whatif_report
from whatif.services import whatif_start


class PublishConfirmForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=gettext_lazy('Kept in the history with your name; empty means "Published".'),
    )
    confirm_changes = forms.BooleanField(
        label=gettext_lazy("I have read the what-if report and accept the verdicts it changes"),
        required=False,
    )

    def __init__(self, *args, needs_confirmation: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_confirmation = needs_confirmation

    def clean(self):
        cleaned = super().clean()
        if self.needs_confirmation and not cleaned.get("confirm_changes"):
            self.add_error(
                "confirm_changes",
                _("The what-if report shows verdicts that would change: tick the box to confirm."),
            )
        return cleaned


def publish_page(request, *, model_admin, object_id):
    directive = _directive_or_404(model_admin, request, object_id)
    change_url = reverse("admin:policy_directive_change", args=[directive.pk])
    run = latest_run(directive)
    report = whatif_report(run) if run is not None and run.is_finished else None
    # Publishing what the report shows flipping verdicts needs a second, explicit yes.
    needs_confirmation = report is not None and (report.run.changed_count > 0 or bool(report.run.errors))
    form = PublishConfirmForm(request.POST or None, needs_confirmation=needs_confirmation)
    if request.method == "POST" and form.is_valid():
        if model_admin.publish_one(request, directive, reason=form.cleaned_data["reason"].strip()):
            return HttpResponseRedirect(change_url)
        directive.refresh_from_db()
    examples = directive_examples_check(directive)
    context = _context(
        request,
        model_admin,
        title=_("Publish %(ref)s") % {"ref": directive.reference},
        directive=directive,
        form=form,
        change_url=change_url,
        examples=examples,
        failed_examples=[e for e in examples if not e.passed],
        problems=directive_validate_scope(directive=directive),
        overlaps=directive_overlap_warnings(directive=directive),
        run=run,
        report=report,
        needs_confirmation=needs_confirmation,
        whatif_url=reverse("admin:policy_directive_whatif", args=[directive.pk]),
    )
    return TemplateResponse(request, "admin/whatif/publish.html", context)


@require_POST
def whatif_start_view(request, *, model_admin, object_id):
    directive = _directive_or_404(model_admin, request, object_id)
    try:
        run = whatif_start(directive=directive, user=request.user)
    except ValidationError as exc:
        model_admin.message_user(request, " ".join(exc.messages), messages.ERROR)
    else:
        model_admin.message_user(
            request,
            _("What-if %(id)s started over %(n)d stored transcript(s).") % {"id": run.pk, "n": run.transcript_count},
            messages.INFO,
        )
    return HttpResponseRedirect(reverse("admin:policy_directive_publish", args=[directive.pk]))
