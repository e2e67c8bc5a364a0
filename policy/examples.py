"""Labelled examples of a directive, scored by the pure engine against the policy as
it would be with the directive published (the draft-as-published snapshot). The
directive's admin page, its save and its publication read these results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from common.reasons import messages_shown
from policy.models import Directive, DirectiveExample
from policy.selectors import policy_snapshot
from rules import engine
from rules.resolver import PolicyError
from rules.snapshot import Policy
from rules.transcript import MessageIn, TranscriptIn
from rules.vocabulary import Element, Sender


@dataclass(frozen=True)
class ExampleResult:
    """One example and what the engine made of it."""

    example: DirectiveExample
    result: str  # YES, NO, NA, or "" when the engine could not answer
    reason: str
    decided_by: str = ""
    reason_parts: tuple = ()  # the reason as message ids, rendered in the reader's language

    @property
    def reason_shown(self) -> str:
        return messages_shown(self.reason_parts, self.reason)

    @property
    def passed(self) -> bool:
        return self.result == self.example.expected

    def describe(self) -> str:
        """The failure in one line: which example, what was expected, what came and why."""
        return _(
            "Example %(n)s (%(situation)s, %(cso)s: “%(opening)s”) expects %(expected)s, got %(got)s: %(reason)s"
        ) % {
            "n": self.example.pk,
            "situation": f"{self.example.channel.code} {self.example.local_date:%Y-%m-%d} "
            f"{self.example.local_time:%H:%M} {self.example.timezone}",
            "cso": self.example.cso_name,
            "opening": self.example.opening[:80],
            "expected": self.example.expected,
            "got": self.result or "-",
            "reason": self.reason_shown,
        }


def example_transcript(example: DirectiveExample) -> TranscriptIn:
    """The example as a one-message conversation: the CSO's opening at the local moment."""
    local = dt.datetime.combine(example.local_date, example.local_time)
    return TranscriptIn(
        external_id=f"example-{example.pk}",
        channel=example.channel.code,
        cso_name=example.cso_name,
        # A naive instant is local time in the transcript's zone (rule S1).
        messages=(MessageIn(local, Sender.CSO, example.opening),),
        visibility=example.visibility,
        category=example.category,
        timezone=example.timezone,
        first_contact=example.first_contact,
    )


def example_score(policy: Policy, example: DirectiveExample) -> ExampleResult:
    transcript = example_transcript(example)
    parameters = policy.parameters_for(transcript.channel, Element.OPENING)
    try:
        verdict = engine.score_opening(policy, transcript, parameters[0] if parameters else None)
    except PolicyError as exc:
        return ExampleResult(example, "", str(exc))
    decided = verdict.directive.label if verdict.directive else ""
    return ExampleResult(example, verdict.result, verdict.reason, decided, tuple(verdict.reason_parts))


def directive_examples_check(directive: Directive) -> list[ExampleResult]:
    """Every example of the directive, scored as if it were published now."""
    examples = list(directive.examples.select_related("channel"))
    if not examples:
        return []
    try:
        policy = policy_snapshot(draft=directive)
    except PolicyError as exc:
        return [ExampleResult(example, "", str(exc)) for example in examples]
    return [example_score(policy, example) for example in examples]


def directive_example_failures(directive: Directive) -> list[str]:
    """What stops publication: one line per failing example."""
    return [result.describe() for result in directive_examples_check(directive) if not result.passed]
