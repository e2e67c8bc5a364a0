"""Writes to the policy. Every write records who made it and why in the history."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from policy.choices import DirectiveKind, DirectiveStatus
from policy.models import Directive, ScoredParameter
from policy.selectors import directive_overlaps, document_precedence

SYSTEM_USERNAME = "system"


def system_user():
    """The account that commands act as when no person is named: inactive, no password."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "System", "last_name": "(commands)"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def stamp(instance, *, user, reason: str):
    """Attach the acting user and the change reason that simple-history records."""
    instance._history_user = user
    instance._change_reason = reason
    return instance


def save_with_history(instance, *, user, reason: str, validate: bool = True):
    if validate:
        instance.full_clean()
    stamp(instance, user=user, reason=reason)
    instance.save()
    return instance


def directive_validate_scope(*, directive: Directive) -> list[str]:
    """Checks across rows that the form alone cannot make: every template's channel
    is one the directive covers, and every covered channel has a scored parameter
    for each element the directive overrides. Returns messages; empty when fine."""
    problems = []
    if directive.kind != DirectiveKind.DIRECTIVE:
        return problems
    covered = {c.code: c for c in directive.channels.all()}
    templates = list(directive.templates.select_related("channel"))
    for template in templates:
        if template.channel_id and template.channel.code not in covered:
            problems.append(
                f"The {template.get_element_display().lower()} template is for {template.channel.code}, "
                f"which {directive.reference} does not cover; add the channel or remove the template."
            )
    for element in sorted({t.element for t in templates}):
        for code in sorted(covered):
            if not ScoredParameter.objects.filter(channel__code=code, element=element, active=True).exists():
                problems.append(
                    f"{directive.reference} covers {code}, but no scored parameter checks the {element} "
                    f"greeting on {code}: add one under Scored parameters or remove the channel."
                )
    if not templates:
        problems.append(f"{directive.reference} has no greeting template: it would change nothing.")
    return problems


def directive_overlap_warnings(*, directive: Directive) -> list[str]:
    warnings = []
    for other, channels, elements in directive_overlaps(directive):
        winner = max((directive, other), key=document_precedence)
        warnings.append(
            f"{directive.reference} and {other.reference} are both published and overlap on "
            f"{', '.join(elements)} for {', '.join(channels)}; {winner.reference} wins "
            "(higher priority, then later publication, then the one created later)."
        )
    return warnings


@transaction.atomic
def directive_record_change(*, directive: Directive, user, reason: str) -> Directive:
    """A change to a document's content (fields, templates, channels): a new version."""
    directive.version += 1
    return save_with_history(directive, user=user, reason=reason)


@transaction.atomic
def directive_publish(*, directive: Directive, user, reason: str = "") -> list[str]:
    """Draft to published. Returns overlap warnings; raises ValidationError when the
    directive cannot be published."""
    if directive.status == DirectiveStatus.PUBLISHED:
        raise ValidationError(f"{directive.reference} is already published.")
    directive.full_clean()
    problems = directive_validate_scope(directive=directive)
    if problems:
        raise ValidationError(problems)
    directive.status = DirectiveStatus.PUBLISHED
    directive.published_at = timezone.now()
    directive.published_by = user
    save_with_history(directive, user=user, reason=reason or "Published")
    return directive_overlap_warnings(directive=directive)


@transaction.atomic
def directive_withdraw(*, directive: Directive, user, reason: str) -> None:
    if directive.status != DirectiveStatus.PUBLISHED:
        raise ValidationError(
            f"Only a published document can be withdrawn; {directive.reference} is {directive.status}."
        )
    if not reason.strip():
        raise ValidationError("Say why the directive is withdrawn.")
    directive.status = DirectiveStatus.WITHDRAWN
    directive.withdrawn_at = timezone.now()
    directive.withdrawn_by = user
    save_with_history(directive, user=user, reason=reason)


def object_create(*, model, user, reason: str, **fields: Any):
    """Create any policy object with its first history row."""
    return save_with_history(model(**fields), user=user, reason=reason)
