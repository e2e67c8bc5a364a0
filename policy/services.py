"""Writes to the policy. Every write records who made it and why in the history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policy.choices import DirectiveKind, DirectiveStatus
from policy.examples import directive_example_failures
from policy.models import Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand
from policy.selectors import directive_overlaps, document_precedence


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


# The fields a content save may set: everything a person edits. The status and the
# publication stamps change only through directive_publish and directive_withdraw.
DIRECTIVE_CONTENT_FIELDS = frozenset(
    f.name for f in Directive._meta.concrete_fields if f.editable and not f.primary_key and f.name != "status"
)


def directive_validate_scope(*, directive: Directive, channels=None, templates=None) -> list[str]:
    """Checks across rows that the form alone cannot make: every template's channel
    is one the directive covers, and every covered channel has a scored parameter
    for each element the directive overrides. ``channels`` and ``templates`` are the
    ones about to be saved (unsaved templates are fine); None: as stored. Returns
    messages; empty when fine."""
    problems = []
    if directive.kind != DirectiveKind.DIRECTIVE:
        return problems
    if channels is None:
        channels = directive.channels.all()
    if templates is None:
        templates = directive.templates.select_related("channel")
    covered = {c.code for c in channels}
    templates = list(templates)
    for template in templates:
        if template.channel_id and template.channel.code not in covered:
            problems.append(
                _(
                    "The %(element)s template is for %(channel)s, "
                    "which %(reference)s does not cover; add the channel or remove the template."
                )
                % {
                    "element": str(template.get_element_display()).lower(),
                    "channel": template.channel.code,
                    "reference": directive.reference,
                }
            )
    for element in sorted({t.element for t in templates}):
        for code in sorted(covered):
            if not ScoredParameter.objects.filter(channel__code=code, element=element, active=True).exists():
                problems.append(
                    _(
                        "%(reference)s covers %(channel)s, but no scored parameter checks the %(element)s "
                        "greeting on %(channel)s: add one under Scored parameters or remove the channel."
                    )
                    % {"reference": directive.reference, "channel": code, "element": element}
                )
    if not templates:
        problems.append(
            _("%(reference)s has no greeting template: it would change nothing.") % {"reference": directive.reference}
        )
    return problems


def directive_overlap_warnings(*, directive: Directive) -> list[str]:
    warnings = []
    for other, channels, elements in directive_overlaps(directive):
        winner = max((directive, other), key=document_precedence)
        # On a draft's publish page the overlap is one it would make.
        if directive.status == DirectiveStatus.PUBLISHED:
            text = _(
                "%(reference)s and %(other)s are both published and overlap on "
                "%(elements)s for %(channels)s; %(winner)s wins "
                "(higher priority, then later publication, then the one created later)."
            )
        else:
            text = _(
                "%(reference)s and %(other)s would overlap once it is published, on "
                "%(elements)s for %(channels)s; %(winner)s wins "
                "(higher priority, then later publication, then the one created later)."
            )
        warnings.append(
            text
            % {
                "reference": directive.reference,
                "other": other.reference,
                "elements": ", ".join(elements),
                "channels": ", ".join(channels),
                "winner": winner.reference,
            }
        )
    return warnings


def _children_save(*, directive: Directive, related_name: str, wanted, user, reason: str) -> bool:
    """Make the directive's templates (or bands) the ``wanted`` ones: stored rows not
    among them are deleted, new or changed ones saved. Returns whether anything changed."""
    relation = getattr(directive, related_name)
    parent_field = relation.field.name
    compared = [
        f.attname
        for f in relation.model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name != parent_field
    ]
    stored = {child.pk: child for child in relation.all()}
    wanted = sorted(wanted, key=lambda child: child.pk is None)  # changes before additions
    kept = {child.pk for child in wanted if child.pk}
    changed = False
    for child in stored.values():
        if child.pk not in kept:
            stamp(child, user=user, reason=reason)
            child.delete()
            changed = True
    for child in wanted:
        setattr(child, parent_field, directive)
        before = stored.get(child.pk)
        if before is not None and all(getattr(before, name) == getattr(child, name) for name in compared):
            continue
        save_with_history(child, user=user, reason=reason)
        changed = True
    return changed


@transaction.atomic
def directive_content_save(
    *,
    directive: Directive,
    fields: dict[str, Any],
    channels: Iterable[Channel] | None = None,
    templates: Iterable[GreetingTemplate] | None = None,
    time_bands: Iterable[TimeBand] | None = None,
    user,
    reason: str,
) -> Directive:
    """The one write of a directive's content: its fields, channels, greeting templates
    and (on the baseline) time bands, with the user and the reason in the history.

    ``directive`` is a stored directive or a new, unsaved one (created as a draft at
    version 1). ``fields`` are the content fields to set (the rest stay as stored).
    ``channels``, ``templates`` and ``time_bands`` are the whole new set (templates and
    bands may be unsaved or changed instances; stored ones left out are deleted);
    None keeps them as stored. A change to a stored directive is one new version and
    one history row of the directive. A published directive must keep a valid scope
    (directive_validate_scope); a draft's problems are reported at publication. On a
    ValidationError nothing is written."""
    unknown = set(fields) - DIRECTIVE_CONTENT_FIELDS
    if unknown:
        raise ValueError(f"not content fields of a directive: {', '.join(sorted(unknown))}")
    if not reason.strip():
        raise ValidationError(_("Say why the directive changes."))
    templates = None if templates is None else list(templates)
    time_bands = None if time_bands is None else list(time_bands)
    creating = directive.pk is None
    target = directive if creating else Directive.objects.select_for_update().get(pk=directive.pk)
    before = {name: getattr(target, name) for name in DIRECTIVE_CONTENT_FIELDS}
    for name, value in fields.items():
        setattr(target, name, value)
    if creating:
        target.status, target.version = DirectiveStatus.DRAFT, 1
    target.full_clean()
    stored_channels = [] if creating else list(target.channels.all())
    channels = stored_channels if channels is None else list(channels)
    if not creating and target.status == DirectiveStatus.PUBLISHED:
        problems = directive_validate_scope(directive=target, channels=channels, templates=templates)
        if problems:
            raise ValidationError(problems)

    if creating:
        save_with_history(target, user=user, reason=reason)
    channels_changed = {c.pk for c in channels} != {c.pk for c in stored_channels}
    if channels_changed:
        # The channels are recorded by the directive's own history row below (or,
        # when creating, by the one row the change of its channels writes).
        if not creating:
            target.skip_history_when_saving = True
        stamp(target, user=user, reason=reason)
        try:
            target.channels.set(channels)
        finally:
            if not creating:
                del target.skip_history_when_saving
    children_changed = False
    for related_name, wanted in (("templates", templates), ("time_bands", time_bands)):
        if wanted is not None:
            saved = _children_save(directive=target, related_name=related_name, wanted=wanted, user=user, reason=reason)
            children_changed = saved or children_changed
    fields_changed = any(getattr(target, name) != value for name, value in before.items())
    if not creating and (fields_changed or channels_changed or children_changed):
        directive_record_change(directive=target, user=user, reason=reason)
    if target is not directive:
        directive.refresh_from_db()
    return directive


@transaction.atomic
def directive_examples_save(*, directive: Directive, examples: Iterable, user, reason: str) -> bool:
    """Make the directive's labelled examples the given ones (new, changed or kept;
    stored ones left out are deleted), each with the user and reason in its history.
    Examples are not the directive's content: they do not make a new version."""
    return _children_save(directive=directive, related_name="examples", wanted=list(examples), user=user, reason=reason)


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
        raise ValidationError(_("%(reference)s is already published.") % {"reference": directive.reference})
    directive.full_clean()
    problems = directive_validate_scope(directive=directive)
    # Pusat's labelled examples must come out as labelled under the policy as it
    # would be once this is published; the engine's reason says why one did not.
    problems += directive_example_failures(directive)
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
            _("Only a published document can be withdrawn; %(reference)s is %(status)s.")
            % {"reference": directive.reference, "status": directive.status}
        )
    if not reason.strip():
        raise ValidationError(_("Say why the directive is withdrawn."))
    directive.status = DirectiveStatus.WITHDRAWN
    directive.withdrawn_at = timezone.now()
    directive.withdrawn_by = user
    save_with_history(directive, user=user, reason=reason)


def object_create(*, model, user, reason: str, **fields: Any):
    """Create any policy object with its first history row."""
    return save_with_history(model(**fields), user=user, reason=reason)
