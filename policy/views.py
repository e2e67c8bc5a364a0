"""Admin pages of the directive that are not a model form: the greeting preview,
publish and withdraw of one directive, and the content history shown on its
history page. Wired through DirectiveAdmin.get_urls(); each takes the ModelAdmin.
The audit trail across the apps is the ``audit`` app's."""

from __future__ import annotations

import datetime as dt

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.reasons import messages_shown
from policy.choices import DirectiveStatus
from policy.forms import PreviewForm, PublishForm, WithdrawForm
from policy.history import directive_changes_since
from policy.models import Directive, GreetingTemplate, TimeBand
from policy.selectors import policy_snapshot
from rules.resolver import PolicyError, accepted_names, expected_greeting, local_time, zone_for


def _context(request, model_admin, **extra):
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **extra}


def _directive_or_404(model_admin, request, object_id) -> Directive:
    directive = model_admin.get_object(request, unquote(object_id))
    if directive is None:
        raise Http404(f"No directive with id {object_id!r}.")
    if not model_admin.has_publish_permission(request, directive):
        raise PermissionDenied
    return directive


def _preview_initial(request) -> dict:
    """Prefill from ``?directive=<id>``: its first channel, first day, 09:00 WIB."""
    initial = {"date": dt.date.today(), "time": dt.time(9, 0)}
    wanted = request.GET.get("directive", "")
    directive = Directive.objects.filter(pk=int(wanted)).first() if wanted.isdigit() else None
    if directive is not None and directive.status != DirectiveStatus.PUBLISHED:
        initial["draft"] = directive.pk
    if directive is not None:
        channel = directive.channels.order_by("code").first()
        if channel is not None:
            initial["channel"] = channel.code
        if directive.valid_from_date:
            initial["date"] = directive.valid_from_date
    return initial


def directive_preview(request, *, model_admin):
    """What a CSO must say on a channel at a local moment, under the published policy."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    answer = names = as_of = since = draft = None
    changes = []
    if "channel" in request.GET:
        form = PreviewForm(request.GET)
        if form.is_valid():
            data = form.cleaned_data
            cso = data.get("cso")
            at = dt.datetime.combine(data["date"], data["time"])
            try:
                # The situation's instant, in its zone: "as it stood then" means then.
                draft = data.get("draft")
                policy = policy_snapshot(draft=draft)
                since = local_time(at, zone_for(policy, data["timezone"])[0])
                if data.get("as_it_stood"):
                    as_of = since
                    policy = policy_snapshot(as_of=as_of)
                answer = expected_greeting(
                    policy,
                    channel=data["channel"].code,
                    at=at,
                    timezone=data["timezone"],
                    visibility=data["visibility"],
                    category=data.get("category") or None,
                    cso_name=form.cso_display_name(),
                    first_contact=data["first_contact"],
                    element=data["element"],
                )
                names = accepted_names(policy, cso_name=form.cso_display_name(), cso_id=cso.cso_id if cso else None)
                if answer.directive is not None:
                    changes = directive_changes_since(answer.directive.id, since)
            except PolicyError as exc:
                field = "timezone" if "time zone" in str(exc) else None
                message = _("The policy cannot answer: %(problem)s.") % {"problem": exc}
                if as_of is not None:
                    first = Directive.history.order_by("history_date").values_list("history_date", flat=True).first()
                    if first is None or first > as_of:
                        begun = (
                            _("on %(moment)s") % {"moment": f"{timezone.localtime(first):%d/%m/%Y %H:%M}"}
                            if first
                            else _("not yet")
                        )
                        message = _(
                            "The audit history of the policy begins %(begun)s: how it stood at "
                            '%(as_of)s is not recorded. Untick "As the policy stood then".'
                        ) % {"begun": begun, "as_of": f"{as_of:%d/%m/%Y %H:%M}"}
                form.add_error(field, message)
    else:
        form = PreviewForm(initial=_preview_initial(request))
    context = _context(
        request,
        model_admin,
        title=_("Preview the greeting a CSO owes"),
        form=form,
        answer=answer,
        answer_reason=messages_shown(answer.reason_parts, answer.reason) if answer else "",
        accepted_names=names,
        as_of=as_of,
        since=since,
        draft=draft,
        changes_since=changes,
        media=model_admin.media + form.media,
    )
    return TemplateResponse(request, "admin/policy/directive/preview.html", context)


def directive_publish_view(request, *, model_admin, object_id):
    directive = _directive_or_404(model_admin, request, object_id)
    change_url = reverse("admin:policy_directive_change", args=[directive.pk])
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        model_admin.publish_one(request, directive, reason=form.cleaned_data["reason"].strip())
        return HttpResponseRedirect(change_url)
    context = _context(
        request,
        model_admin,
        title=_("Publish %(reference)s") % {"reference": directive.reference},
        directive=directive,
        form=form,
        verb="Publish",
        change_url=change_url,
    )
    return TemplateResponse(request, "admin/policy/directive/status_change.html", context)


def directive_withdraw_view(request, *, model_admin, object_id):
    directive = _directive_or_404(model_admin, request, object_id)
    change_url = reverse("admin:policy_directive_change", args=[directive.pk])
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        model_admin.withdraw_one(request, directive, reason=form.cleaned_data["reason"])
        return HttpResponseRedirect(change_url)
    context = _context(
        request,
        model_admin,
        title=_("Withdraw %(reference)s") % {"reference": directive.reference},
        directive=directive,
        form=form,
        verb="Withdraw",
        change_url=change_url,
    )
    return TemplateResponse(request, "admin/policy/directive/status_change.html", context)


def content_history(directive_id) -> list[dict]:
    """The history of a directive's templates and bands, newest first, each row with
    the fields it changed (old -> new), its user and its reason."""
    rows = []
    for model, fk in ((GreetingTemplate, "directive_id"), (TimeBand, "baseline_id")):
        records = model.history.filter(**{fk: directive_id}).select_related("history_user")
        previous = {}
        for record in records.order_by("history_date", "history_id"):
            before = previous.get(record.id)
            changes = []
            if before is not None and record.history_type == "~":
                delta = record.diff_against(before, foreign_keys_are_objs=True)
                changes = [
                    {"field": model._meta.get_field(c.field).verbose_name, "old": c.old, "new": c.new}
                    for c in delta.changes
                ]
            previous[record.id] = record
            rows.append({"record": record, "model": model._meta.verbose_name, "changes": changes})
    rows.sort(key=lambda row: (row["record"].history_date, row["record"].history_id), reverse=True)
    return rows
