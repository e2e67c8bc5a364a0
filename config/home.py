"""The tasks on the admin home page, those of the user's role first.

A context processor (cheap: permissions are cached on the user, the list is built only
when a template reads it), because the home page is the admin site's own view."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Task:
    url_name: str
    label: str
    help: str
    perms: tuple[str, ...]
    roles: tuple[str, ...]  # the groups whose daily work this is


TASKS = (
    Task(
        "admin:scoring_uploadbatch_upload",
        _("Upload transcripts"),
        _("Score a file of conversations against the SOP in force."),
        ("scoring.add_uploadbatch",),
        ("QA",),
    ),
    Task(
        "admin:scoring_uploadbatch_changelist",
        _("Upload batches"),
        _("Follow the scoring of each uploaded file; rescore or resume."),
        ("scoring.view_uploadbatch",),
        ("QA",),
    ),
    Task(
        "admin:scoring_score_changelist",
        _("Scores"),
        _("Browse, filter and export the verdicts, each with its reason."),
        ("scoring.view_score",),
        ("QA", "Auditor"),
    ),
    Task(
        "admin:scoring_score_dashboard",
        _("Compliance dashboard"),
        _("YES, NO and NA by channel, CSO, day and zone; the reasons for NO; the overrides."),
        ("scoring.view_score",),
        ("QA", "Pusat", "Auditor"),
    ),
    Task(
        "admin:policy_directive_add",
        _("New directive"),
        _("Write a directive: its window, channels and greetings; publish it when signed."),
        ("policy.add_directive",),
        ("Pusat",),
    ),
    Task(
        "admin:policy_directive_changelist",
        _("Directives"),
        _("The SOP baseline and its time-limited directives, with their status."),
        ("policy.view_directive",),
        ("Pusat",),
    ),
    Task(
        "admin:policy_directive_timeline",
        _("Directive timeline"),
        _("Which directives are, were and will be in force on each channel: overlaps and gaps."),
        ("policy.view_directive",),
        ("Pusat", "Auditor"),
    ),
    Task(
        "admin:policy_directive_preview",
        _("Preview greeting"),
        _("Which greeting is owed on a channel at a moment, now or as the policy stood then."),
        ("policy.view_directive",),
        ("Pusat", "QA"),
    ),
    Task(
        "audit:trail",
        _("Audit trail"),
        _("Who changed which rule when and why, over a date range; as CSV."),
        ("policy.view_directive", "policy.view_greetingtemplate", "policy.view_cso"),
        ("Auditor",),
    ),
)


def tasks_for(user) -> list[dict]:
    """The tasks ``user`` may do, those of their groups first (in the list's order)."""
    if not getattr(user, "is_authenticated", False):
        return []
    groups = set(user.groups.values_list("name", flat=True))
    allowed = [task for task in TASKS if all(user.has_perm(p) for p in task.perms)]
    mine = [t for t in allowed if groups & set(t.roles)]
    others = [t for t in allowed if not groups & set(t.roles)]
    return [{"url": reverse(t.url_name), "label": t.label, "help": t.help, "mine": t in mine} for t in mine + others]


def home_tasks(request) -> dict:
    return {"role_tasks": SimpleLazyObject(lambda: tasks_for(getattr(request, "user", None)))}
