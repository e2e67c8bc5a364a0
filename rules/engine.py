"""The verdict: a transcript and the policy in, a result with its reason out.

:func:`score_opening` reads the situation once (rules S1-S3: local time, the CSO's
first turn, what is owed) and then asks one step per rule, in order; the first step
that decides returns the verdict:

1. :func:`step_audience` (S5, S10): no greeting owed; flag a festive greeting anyway.
2. :func:`step_match` (S8): the owed greeting is there.
3. :func:`step_other_template` (S4, S9): the greeting of another document instead.
4. :func:`step_diagnosis` (S6-S8): an attempt at the owed greeting, with what is wrong.
5. :func:`step_later_turn` (S2): the greeting came only after the first turn.

Everything a step depends on (templates, bands, audience rule, typo tolerance, forms
of address, names and aliases) comes from the policy snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

from rules.matching import (
    Context,
    Match,
    Part,
    Step,
    compile_template,
    could_be_present,
    match_template,
    phrase_found,
)
from rules.messages import N_, Message, english, joined, msg
from rules.resolver import Expectation, accepted_names, expected_greeting, local_time, zone_for
from rules.snapshot import DirectiveSnapshot, Parameter, Policy
from rules.text import Token, tokenize, words_of
from rules.transcript import MessageIn, TranscriptIn
from rules.vocabulary import FLAG_FESTIVE_ON_PUBLIC, Element, Result, Sender, Visibility

SCORER_VERSION = "2026.11.1"


@dataclass(frozen=True)
class Verdict:
    """The score of one transcript on one parameter, and everything that explains it."""

    result: str
    reason: str  # English, as stored in Score.reason
    directive: DirectiveSnapshot | None = None  # the document that decided (S11)
    expected_greeting: str = ""
    matched_passage: str = ""
    turn_text: str = ""
    passage_span: tuple[int, int] | None = None
    flags: tuple[str, ...] = ()
    local: dt.datetime | None = None
    zone_label: str = ""
    parameter: Parameter | None = None
    reason_parts: tuple[Message, ...] = ()  # the reason as message ids (rules.messages)


def verdict_of(result: str, parts: list[Message], **fields) -> Verdict:
    """A verdict whose English reason is rendered from its messages."""
    return Verdict(result, english(parts), reason_parts=tuple(parts), **fields)


# --- the conversation (rules S1-S3) ---------------------------------------------------

Turn = list[tuple[dt.datetime, MessageIn]]


def ordered_messages(transcript: TranscriptIn, zone) -> list[tuple[dt.datetime, MessageIn]]:
    """Messages by local instant (S1), ties in their original order."""
    return sorted(((local_time(m.sent_at, zone), m) for m in transcript.messages), key=lambda pair: pair[0])


def cso_turns(messages: list[tuple[dt.datetime, MessageIn]]) -> list[Turn]:
    """Rule S2: each turn is a run of consecutive CSO messages."""
    turns, current = [], []
    for local, message in messages:
        if message.sender == Sender.CSO:
            current.append((local, message))
        elif current:
            turns.append(current)
            current = []
    if current:
        turns.append(current)
    return turns


def turn_text(turn: Turn) -> str:
    return "\n".join(message.text for _, message in turn)


def matching_context(policy: Policy, document: DirectiveSnapshot, band_word: str | None, transcript) -> Context:
    """What the matcher compares besides the text: names (S7), bands (S6), S8's tolerance.

    The same for every transcript of one CSO at one band under one document, so it is
    built once per snapshot (the document by identity: the snapshot holds it)."""
    contexts = policy.derived("contexts", dict)
    key = (id(document), band_word, transcript.cso_name, transcript.cso_id)
    found = contexts.get(key)
    if found is None:
        if len(contexts) >= _CONTEXTS_KEPT:
            contexts.clear()  # names come from uploads: keep the memory bounded
        found = contexts[key] = _matching_context(policy, document, band_word, transcript)
    return found


_CONTEXTS_KEPT = 20_000


def _matching_context(policy: Policy, document: DirectiveSnapshot, band_word: str | None, transcript) -> Context:
    names = frozenset(
        words
        for n in accepted_names(policy, cso_name=transcript.cso_name, cso_id=transcript.cso_id)
        if (words := words_of(n))
    )
    return Context(
        band_words=policy.derived("band words", lambda: frozenset(b.word.lower() for b in policy.bands)),
        owed_band=band_word.lower() if band_word else None,
        names=names,
        forms_of_address=policy.derived(
            ("forms of address", document.forms_of_address),
            lambda: frozenset(w for f in document.forms_of_address for w in words_of(f)),
        ),
        typo_ratio=document.typo_ratio,
        typo_min_length=document.typo_min_length,
        longest_name=max((len(n) for n in names), default=1),
    )


class Situation:
    """One transcript read once for the steps: its turns, what is owed (S3-S7) and,
    when asked for, the best match of the owed greeting in the first turn."""

    def __init__(self, policy: Policy, transcript: TranscriptIn, turns: list[Turn], parameter: Parameter | None):
        self.policy = policy
        self.transcript = transcript
        self.turns = turns
        self.parameter = parameter
        self.text = turn_text(turns[0])
        self.expectation: Expectation = expected_greeting(
            policy,
            channel=transcript.channel,
            at=turns[0][0][0],  # rule S3: the first message of the first turn
            timezone=transcript.timezone,
            visibility=transcript.visibility,
            category=transcript.category,
            cso_name=transcript.cso_name,
            first_contact=transcript.first_contact,
        )
        self.document: DirectiveSnapshot = self.expectation.directive

    @property
    def owed_label(self) -> str:
        return self.document.label

    @property
    def when(self) -> str:
        return f"{self.expectation.local:%H:%M} {self.expectation.zone_label}"

    @property
    def moment(self) -> str:
        return f"{self.expectation.local:%Y-%m-%d %H:%M} {self.expectation.zone_label}"

    @cached_property
    def context(self) -> Context:
        band = self.expectation.band
        return matching_context(self.policy, self.document, band.word if band else None, self.transcript)

    @cached_property
    def elements(self) -> tuple[Part, ...]:
        return compile_template(self.expectation.template)

    @cached_property
    def tokens(self) -> list[Token]:
        return tokenize(self.text)

    @cached_property
    def clean_match(self) -> Match | None:
        """The best match if it has no error (typos allowed), else None. Much cheaper
        than :attr:`match` when there is an error: the search stops at one error."""
        return match_template(self.elements, self.text, self.context, tokens=self.tokens, fewer_errors_than=1)

    @cached_property
    def match(self) -> Match:
        """The best match of the owed greeting, errors and all (for the diagnosis)."""
        if self.clean_match is not None:
            return self.clean_match  # the same answer: the bounded search is exact within its bound
        return match_template(self.elements, self.text, self.context, tokens=self.tokens)

    def verdict(self, result: str, reason: list[Message], *, match: Match | None = None, **extra) -> Verdict:
        shown = match if match is not None else (self.match if self.expectation.owed else None)
        return verdict_of(
            result,
            reason,
            directive=self.document,
            expected_greeting=self.expectation.greeting or "",
            matched_passage=shown.passage() if shown else "",
            turn_text=self.text,
            passage_span=shown.span() if shown else None,
            local=self.expectation.local,
            zone_label=self.expectation.zone_label,
            parameter=self.parameter,
            **extra,
        )

    def describe(self, step: Step) -> Message:
        """What is wrong at one step of a match, in words a CSO accepts."""
        element, said, band = step.element, step.said, self.expectation.band
        if step.outcome == "missing":
            if element.kind == "phrase":
                return msg(N_('missing phrase "%(phrase)s" (S8)'), phrase=element.label)
            if element.kind == "waktu":
                return msg(N_('no time-of-day word: %(when)s needs "%(word)s" (S6)'), when=self.when, word=band.word)
            return msg(N_("no CSO name where the greeting needs one (S7)"))
        if step.outcome == "garbled":
            return msg(N_('wrote "%(said)s" where the greeting has "%(phrase)s" (S8)'), said=said, phrase=element.label)
        if step.outcome == "intrusion":
            return msg(N_('"%(said)s" stands inside the greeting, where only a form of address may (S8)'), said=said)
        if step.outcome == "wrong_number":
            return msg(
                N_('wrote "%(said)s" where the greeting has "%(phrase)s": numbers must be exact (S8)'),
                said=said,
                phrase=element.label,
            )
        if step.outcome == "wrong_band":
            return msg(
                N_('said "%(said)s" but %(when)s needs "%(word)s" (S6)'), said=said, when=self.when, word=band.word
            )
        if step.outcome == "no_band":
            return msg(
                N_('said "%(said)s" where the time-of-day word "%(word)s" belongs (S6)'), said=said, word=band.word
            )
        if step.outcome == "wrong_name":
            return msg(
                N_(
                    'used the name "%(said)s", but the CSO is %(cso)s: their full name, '
                    "a word of it or a registered alias is expected (S7)"
                ),
                said=said,
                cso=str(self.transcript.cso_name),
            )
        return msg("%(outcome)s", outcome=step.outcome)


def _typo_note(match: Match) -> list[Message]:
    typos = [s for s in match.steps if s.outcome == "typo"]
    if not typos:
        return []
    each = (msg(N_('"%(said)s" for "%(phrase)s"'), said=s.said, phrase=s.element.label) for s in typos)
    return [msg(N_("typo tolerated: %(typos)s (S8)"), typos=joined(each))]


# --- the steps, one per rule ------------------------------------------------------------

StepFn = Callable[[Situation], Verdict | None]


def step_audience(situation: Situation) -> Verdict | None:
    """S5: no greeting owed (a follow-up, or a public post outside the owed categories).
    S10: the directive's special greeting used anyway on a public post outside the owed
    categories (a public complaint) is flagged; a follow-up on an Informasi post is not."""
    expectation = situation.expectation
    if expectation.owed:
        return None
    flags = ()
    transcript = situation.transcript
    category = (transcript.category or "").strip().lower()
    if transcript.visibility == Visibility.PUBLIC and category not in situation.document.public_owed_categories:
        everything = "\n".join(turn_text(turn) for turn in situation.turns)
        if festive_greeting_used(situation.policy, situation.document, everything, transcript.channel):
            flags = (FLAG_FESTIVE_ON_PUBLIC,)
    why = joined(expectation.reason_parts, "; ")
    return situation.verdict(Result.NA, [msg(N_("%(why)s (S5)"), why=why)], flags=flags)


def step_match(situation: Situation) -> Verdict | None:
    """S8: the owed greeting is in the first turn, as one passage (typos tolerated)."""
    match = situation.clean_match
    if match is None or match.cost != 0:
        return None
    reason = [
        msg(N_("the greeting of %(owed)s owed at %(when)s is there"), owed=situation.owed_label, when=situation.when),
        *_typo_note(match),
    ]
    return situation.verdict(Result.YES, reason)


def step_other_template(situation: Situation) -> Verdict | None:
    """S9: the greeting of another document (out of its window, on a channel it does
    not cover, or lost to a directive that takes precedence, S4) is not the standard."""
    found = _other_template(situation)
    if found is None:
        return None
    other, other_match = found
    owed, channel = situation.owed_label, situation.transcript.channel
    facts = {"other": other.reference, "owed": owed, "channel": channel, "moment": situation.moment}
    if other.is_baseline:
        main = N_(
            "used the standard greeting of %(other)s, but %(owed)s is in force on "
            "%(channel)s at %(moment)s: its greeting was owed (S4, S9)"
        )
    elif other in situation.expectation.overlapping:
        main = N_(
            "used the greeting of %(other)s, but at %(moment)s %(owed)s overrides it on "
            "%(channel)s (higher priority, then later publication): its greeting was owed (S4, S9)"
        )
    elif other.covers(channel):
        main = N_(
            "used the greeting of %(other)s outside its window (%(window)s): at %(moment)s %(owed)s applies (S4, S9)"
        )
        facts["window"] = other.window_message()
    else:
        main = N_("used the greeting of %(other)s, which does not cover %(channel)s: %(owed)s applies (S9)")
    reason = [msg(main, **facts)]
    also = [situation.describe(step) for step in other_match.errors]
    if also:
        reason += [msg(N_("also %(detail)s"), detail=also[0]), *also[1:]]
    return situation.verdict(Result.NO, reason, match=other_match)


def step_diagnosis(situation: Situation) -> Verdict | None:
    """S6-S8: an attempt at the owed greeting, with every difference named."""
    match = situation.match
    if not match.present():
        return None
    reasons = [situation.describe(step) for step in match.errors]
    return situation.verdict(Result.NO, reasons + _typo_note(match))


def step_later_turn(situation: Situation) -> Verdict | None:
    """S2: a greeting that first appears after the CSO's first turn does not count."""
    for later in situation.turns[1:]:
        text = turn_text(later)
        words = words_of(text)
        if not could_be_present(situation.elements, frozenset(words), situation.context, list(words)):
            continue
        if match_template(situation.elements, text, situation.context).present():
            return situation.verdict(
                Result.NO,
                [msg(N_("the greeting came only in a later turn; it is owed in the CSO's first reply (S2)"))],
            )
    return None


STEPS: tuple[StepFn, ...] = (step_audience, step_match, step_other_template, step_diagnosis, step_later_turn)


def score_opening(policy: Policy, transcript: TranscriptIn, parameter: Parameter | None = None) -> Verdict:
    """Parameter 1.1, the opening greeting: the first step that decides, else NO."""
    zone, _label = zone_for(policy, transcript.timezone)
    turns = cso_turns(ordered_messages(transcript, zone))
    if not turns:
        return verdict_of(
            Result.NA,
            [msg(N_("no CSO reply: no greeting was owed because the CSO never wrote (S5)"))],
            parameter=parameter,
        )
    situation = Situation(policy, transcript, turns, parameter)
    for step in STEPS:
        verdict = step(situation)
        if verdict is not None:
            return verdict
    return situation.verdict(
        Result.NO,
        [msg(N_("no standard greeting in the CSO's first reply; %(owed)s expects it (S8)"), owed=situation.owed_label)],
    )


def score_transcript(policy: Policy, transcript: TranscriptIn) -> list[Verdict]:
    """One verdict per scored parameter of the transcript's channel that the engine knows."""
    return [
        score_opening(policy, transcript, parameter)
        for parameter in policy.parameters_for(transcript.channel)
        if parameter.element == Element.OPENING
    ]


# --- helpers of S9 and S10 ----------------------------------------------------------------


def _other_template(situation: Situation) -> tuple[DirectiveSnapshot, Match] | None:
    """The other document's greeting that fits the first turn better than the owed one."""
    if situation.clean_match is None:
        # The owed greeting has an error, so the first other greeting found without
        # one (and present) is the answer of the search below, whatever that error
        # count: nothing beats none, and ties go to the first. Finding it needs
        # neither the owed greeting's best match nor more than error-free searches.
        found = _other_template_without_error(situation)
        if found is not None:
            return found
    best = None
    owed_match = situation.match
    in_order = [t.norm for t in owed_match.tokens]
    words = frozenset(in_order)
    for other, text in _alternatives(situation.policy, situation.transcript.channel, situation.expectation.template):
        ctx = replace(situation.context, typo_ratio=other.typo_ratio, typo_min_length=other.typo_min_length)
        elements = compile_template(text)
        if not could_be_present(elements, words, ctx, in_order):
            continue
        candidate = match_template(
            elements, situation.text, ctx, tokens=owed_match.tokens, fewer_errors_than=owed_match.cost
        )
        if candidate is None or not candidate.present() or candidate.cost >= owed_match.cost:
            continue
        if best is None or candidate.cost < best[1].cost:
            best = (other, candidate)
    return best


def _other_template_without_error(situation: Situation) -> tuple[DirectiveSnapshot, Match] | None:
    in_order = [t.norm for t in situation.tokens]
    words = frozenset(in_order)
    for other, text in _alternatives(situation.policy, situation.transcript.channel, situation.expectation.template):
        ctx = replace(situation.context, typo_ratio=other.typo_ratio, typo_min_length=other.typo_min_length)
        elements = compile_template(text)
        if not could_be_present(elements, words, ctx, in_order):
            continue
        candidate = match_template(elements, situation.text, ctx, tokens=situation.tokens, fewer_errors_than=1)
        if candidate is not None and candidate.present():
            return other, candidate
    return None


def _alternatives(policy: Policy, channel: str, owed_text: str) -> list[tuple[DirectiveSnapshot, str]]:
    """Opening greetings of every published document other than the owed one (S9)."""
    return policy.derived(("alternatives", channel, owed_text), lambda: _list_alternatives(policy, channel, owed_text))


def _list_alternatives(policy: Policy, channel: str, owed_text: str) -> list[tuple[DirectiveSnapshot, str]]:
    out, seen = [], {" ".join(words_of(owed_text))}
    for document in policy.documents():
        candidates = [document.template_for(Element.OPENING, channel)] + [
            t for t in document.templates if t.element == Element.OPENING
        ]
        for template in candidates:
            if template is None:
                continue
            key = " ".join(words_of(template.text))
            if key not in seen:
                seen.add(key)
                out.append((document, template.text))
    return out


def _distinctive_phrases(policy: Policy, document: DirectiveSnapshot, channel: str) -> list[Part]:
    """The phrases of a directive's greeting that the baseline's does not have."""
    template = document.template_for(Element.OPENING, channel) or next(
        (t for t in document.templates if t.element == Element.OPENING), None
    )
    if template is None:
        return []
    base = policy.baseline.template_for(Element.OPENING, channel)
    base_words = {e.words for e in compile_template(base.text)} if base else set()
    return [e for e in compile_template(template.text) if e.kind == "phrase" and e.words not in base_words]


def festive_greeting_used(policy: Policy, document: DirectiveSnapshot, text: str, channel: str) -> bool:
    """Rule S10: whether the text uses a phrase of the directive's special greeting
    (one the baseline's greeting does not have), with the tolerance of S8."""
    if document.is_baseline:
        return False
    words = words_of(text)
    ctx = Context(frozenset(), None, frozenset(), frozenset(), document.typo_ratio, document.typo_min_length)
    return any(phrase_found(element, words, ctx) for element in _distinctive_phrases(policy, document, channel))
