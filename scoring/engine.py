"""The scoring engine: a transcript and the policy in, a verdict with its reasons out.

Plain functions over plain data (``scoring.types`` and ``policy.resolver``): no ORM,
no Celery. The rule numbers (S1-S11) are those of ``shared/spec/sop-and-scoring.md``.
Everything the rules depend on (templates, bands, audience rule, typo tolerance,
forms of address, names and aliases) comes from the policy snapshot.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from policy.choices import SLOT_CSO_NAME, SLOT_TIME_OF_DAY, Element, Visibility
from policy.resolver import (
    Expectation,
    Parameter,
    Policy,
    Rule,
    accepted_names,
    expected_greeting,
    local_time,
    zone_for,
)
from policy.templating import parse_template
from scoring.types import MessageIn, TranscriptIn

SCORER_VERSION = "2026.11.1"

YES, NO, NA = "YES", "NO", "NA"
FLAG_FESTIVE_ON_PUBLIC = "festive_on_public_complaint"

# Letters and digits are separate words: "PLN123" reads as "PLN 123" (rule S8).
_TOKEN_RE = re.compile(r"[^\W\d_]+|\d+")
# A passage counts as an attempt at the greeting when at least this share of the
# template's fixed text is there; below it, the CSO said something else entirely.
_PRESENCE_SHARE = 0.5
# How many words a name that is not the CSO's may span, for the diagnosis.
_MAX_WRONG_NAME_WORDS = 3
_MAX_INTRUSION = 3


# --- text ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    norm: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Rule S8: case, punctuation, emoji and whitespace do not count."""
    return [Token(m.group(0).lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def _words(text: str) -> tuple[str, ...]:
    return tuple(t.norm for t in tokenize(text))


# --- the template, as the matcher sees it -------------------------------------------


@dataclass(frozen=True)
class Part:
    """One element of a compiled template, with what the matcher compares precomputed."""

    kind: str  # "phrase", "waktu", "nama" (or "intrusion" for words that do not belong)
    words: tuple[str, ...] = ()
    label: str = ""  # as written in the template
    joined: str = ""  # the words joined by single spaces
    letters: str = ""  # the same without its numbers
    numbers: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.joined)


def _phrase(text: str) -> Part:
    words = _words(text)
    return Part(
        "phrase",
        words,
        text,
        joined=" ".join(words),
        letters=" ".join(w for w in words if not w.isdigit()),
        numbers=tuple(w for w in words if w.isdigit()),
    )


_INTRUSION = Part("intrusion")


@lru_cache(maxsize=512)
def compile_template(text: str) -> tuple[Part, ...]:
    out = []
    for piece in parse_template(text):
        if piece.kind == "phrase":
            out.append(_phrase(piece.text))
        elif piece.text == SLOT_TIME_OF_DAY:
            out.append(Part("waktu", label="{waktu}"))
        elif piece.text == SLOT_CSO_NAME:
            out.append(Part("nama", label="{nama_cso}"))
    return tuple(out)


# --- matching (rule S8) ---------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What the matcher needs besides the text: from the policy and the transcript."""

    band_words: frozenset[str]
    owed_band: str | None  # the right time-of-day word, lower-case
    names: frozenset[tuple[str, ...]]
    forms_of_address: frozenset[str]
    typo_ratio: float
    typo_min_length: int
    longest_name: int = 1  # words in the longest accepted name


@dataclass(frozen=True)
class Step:
    """How one template element was found in the text."""

    element: Part
    outcome: str  # ok, typo, missing, wrong_number, wrong_band, no_band, wrong_name
    start: int  # token index
    end: int
    said: str = ""  # what the CSO wrote there, as written


@dataclass
class Match:
    cost: int
    typos: int
    steps: list[Step] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    text: str = ""

    @property
    def errors(self) -> list[Step]:
        return [s for s in self.steps if s.outcome not in ("ok", "typo")]

    def present(self) -> bool:
        total = sum(s.element.size for s in self.steps if s.element.kind == "phrase")
        found = sum(
            s.element.size
            for s in self.steps
            if s.element.kind == "phrase" and s.outcome in ("ok", "typo", "wrong_number")
        )
        return total > 0 and found / total >= _PRESENCE_SHARE

    def passage(self) -> str:
        spans = [s for s in self.steps if s.end > s.start]
        if not spans:
            return ""
        first, last = spans[0].start, spans[-1].end - 1
        return self.text[self.tokens[first].start : self.tokens[last].end]

    def span(self) -> tuple[int, int] | None:
        spans = [s for s in self.steps if s.end > s.start]
        if not spans:
            return None
        return self.tokens[spans[0].start].start, self.tokens[spans[-1].end - 1].end


def _allowed_edits(text: str, ctx: Context) -> int:
    if len(text) < ctx.typo_min_length:
        return 0
    return int(len(text) * ctx.typo_ratio + 1e-9)


def _compare_phrase(element: Part, window: tuple[str, ...], ctx: Context) -> str | None:
    """ok, typo, wrong_number, or None when the window is not this phrase."""
    if window == element.words:
        return "ok"
    got = " ".join(window)
    numbers = tuple(w for w in window if w.isdigit())
    if numbers == element.numbers:
        limit = _allowed_edits(element.joined, ctx)
        if limit and abs(len(got) - len(element.joined)) <= limit:
            if Levenshtein.distance(element.joined, got, score_cutoff=limit) <= limit:
                return "typo"
        return None
    if element.numbers:
        letters = " ".join(w for w in window if not w.isdigit())
        if letters == element.letters:
            return "wrong_number"
        edits = _allowed_edits(element.letters, ctx)
        if edits and Levenshtein.distance(element.letters, letters, score_cutoff=edits) <= edits:
            return "wrong_number"
    return None


_OUTCOME_COST = {"ok": (0, 0, 0), "typo": (0, 0, 1), "garbled": (1, 1, 0)}


def _add(cost: tuple[int, int, int], errors: int, garbled: int, typos: int) -> tuple[int, int, int]:
    return cost[0] + errors, cost[1] + garbled, cost[2] + typos


def match_template(elements: tuple[Part, ...], text: str, ctx: Context) -> Match:
    """The best alignment of the template with one passage of the text.

    Dynamic programming over (template element, token position): each element is
    found (possibly with a tolerated typo), found wrong (a wrong number, time-of-day
    word or name: one error), or missing (one error). Between elements only forms of
    address may stand (rule S8); text before and after the passage does not matter.
    The alignment with the fewest errors, then the fewest typos, wins.
    """
    tokens = tokenize(text)
    words = [t.norm for t in tokens]
    n, m = len(elements), len(words)
    # Cost: (errors, garbled phrases, typos); fewer errors first, then the
    # reading that names a precise error rather than a garbled phrase.
    inf = (10**6, 0, 0)
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    for j in range(m + 1):
        best[0][j] = (0, 0, 0)

    def relax(i, j, cost, prev):
        if cost < best[i][j]:
            best[i][j] = cost
            back[i][j] = prev

    for i in range(n + 1):
        for j in range(m + 1):
            cost = best[i][j]
            if cost == inf:
                continue
            if 0 < i < n and j < m:
                if words[j] in ctx.forms_of_address:
                    relax(i, j + 1, cost, (i, j, None, None))
                else:
                    # Words inside the greeting that do not belong there: one error.
                    for k in range(1, min(_MAX_INTRUSION, m - j) + 1):
                        relax(i, j + k, _add(cost, 1, 0, 0), (i, j, _INTRUSION, "intrusion"))
            if i == n:
                continue
            element = elements[i]
            relax(i + 1, j, _add(cost, 1, 0, 0), (i, j, element, "missing"))
            for outcome, k in _element_options(element, words, j, ctx):
                relax(i + 1, j + k, _add(cost, *_OUTCOME_COST.get(outcome, (1, 0, 0))), (i, j, element, outcome))
    end_j = min(range(m + 1), key=lambda j: best[n][j])
    steps: list[Step] = []
    i, j = n, end_j
    while back[i][j] is not None:
        pi, pj, element, outcome = back[i][j]
        if element is not None:
            said = text[tokens[pj].start : tokens[j - 1].end] if j > pj else ""
            steps.append(Step(element, outcome, pj, j, said))
        i, j = pi, pj
    steps.reverse()
    cost = best[n][end_j]
    return Match(cost=cost[0], typos=cost[2], steps=steps, tokens=tokens, text=text)


def _element_options(element: Part, words: list[str], j: int, ctx: Context):
    m = len(words)
    if element.kind == "phrase":
        size = len(element.words)
        for k in (size, size - 1, size + 1):
            if 1 <= k and j + k <= m:
                outcome = _compare_phrase(element, tuple(words[j : j + k]), ctx)
                # Other words where a phrase of several words belongs: the phrase is garbled.
                if outcome is None and size > 1 and k > 1:
                    outcome = "garbled"
                if outcome:
                    yield outcome, k
    elif element.kind == "waktu":
        if j < m:
            word = words[j]
            if word in ctx.band_words:
                yield ("ok" if word == ctx.owed_band or ctx.owed_band is None else "wrong_band"), 1
            elif not word.isdigit():
                yield "no_band", 1
    elif element.kind == "nama":
        for k in range(1, max(ctx.longest_name, _MAX_WRONG_NAME_WORDS) + 1):
            if j + k > m:
                break
            window = tuple(words[j : j + k])
            if window in ctx.names:
                yield "ok", k
            elif k <= _MAX_WRONG_NAME_WORDS and not any(w.isdigit() for w in window):
                yield "wrong_name", k


# --- the transcript -------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The score of one transcript on one parameter, and everything that explains it."""

    result: str
    reason: str
    rule: Rule | None = None
    expected_greeting: str = ""
    matched_passage: str = ""
    turn_text: str = ""
    passage_span: tuple[int, int] | None = None
    flags: tuple[str, ...] = ()
    local: dt.datetime | None = None
    zone_label: str = ""
    parameter: Parameter | None = None


def ordered_messages(transcript: TranscriptIn, zone) -> list[tuple[dt.datetime, MessageIn]]:
    """Messages by local instant, ties in their original order."""
    return sorted(((local_time(m.sent_at, zone), m) for m in transcript.messages), key=lambda pair: pair[0])


def cso_turns(messages: list[tuple[dt.datetime, MessageIn]]) -> list[list[tuple[dt.datetime, MessageIn]]]:
    """Rule S2: each turn is a run of consecutive CSO messages."""
    turns, current = [], []
    for local, message in messages:
        if message.sender == "cso":
            current.append((local, message))
        elif current:
            turns.append(current)
            current = []
    if current:
        turns.append(current)
    return turns


def _turn_text(turn) -> str:
    return "\n".join(message.text for _, message in turn)


def _context(policy: Policy, rule: Rule, expectation: Expectation | None, transcript: TranscriptIn) -> Context:
    names = frozenset(
        words
        for n in accepted_names(policy, cso_name=transcript.cso_name, cso_id=transcript.cso_id)
        if (words := _words(n))
    )
    return Context(
        band_words=frozenset(b.word.lower() for b in policy.bands),
        owed_band=expectation.band.word.lower() if expectation and expectation.band else None,
        names=names,
        forms_of_address=frozenset(w for f in rule.forms_of_address for w in _words(f)),
        typo_ratio=rule.typo_ratio,
        typo_min_length=rule.typo_min_length,
        longest_name=max((len(n) for n in names), default=1),
    )


def _describe(step: Step, expectation: Expectation, cso_name: str) -> str:
    element = step.element
    if step.outcome == "missing":
        if element.kind == "phrase":
            return f'missing phrase "{element.label}" (S8)'
        if element.kind == "waktu":
            return f'no time-of-day word: {_when(expectation)} needs "{expectation.band.word}" (S6)'
        return "no CSO name where the greeting needs one (S7)"
    if step.outcome == "garbled":
        return f'wrote "{step.said}" where the greeting has "{element.label}" (S8)'
    if step.outcome == "intrusion":
        return f'"{step.said}" stands inside the greeting, where only a form of address may (S8)'
    if step.outcome == "wrong_number":
        return f'wrote "{step.said}" where the greeting has "{element.label}": numbers must be exact (S8)'
    if step.outcome == "wrong_band":
        return f'said "{step.said}" but {_when(expectation)} needs "{expectation.band.word}" (S6)'
    if step.outcome == "no_band":
        return f'said "{step.said}" where the time-of-day word "{expectation.band.word}" belongs (S6)'
    if step.outcome == "wrong_name":
        return (
            f'used the name "{step.said}", but the CSO is {cso_name}: their full name, '
            "a word of it or a registered alias is expected (S7)"
        )
    return step.outcome


def _when(expectation: Expectation) -> str:
    return f"{expectation.local:%H:%M} {expectation.zone_label}"


def _typo_note(match: Match) -> str:
    typos = [s for s in match.steps if s.outcome == "typo"]
    if not typos:
        return ""
    return "; typo tolerated: " + ", ".join(f'"{s.said}" for "{s.element.label}"' for s in typos) + " (S8)"


def _distinctive_phrases(policy: Policy, rule: Rule, channel: str) -> list[Part]:
    """The phrases of a directive's greeting that the baseline's does not have."""
    template = rule.template_for(Element.OPENING, channel) or next(
        (t for t in rule.templates if t.element == Element.OPENING), None
    )
    if template is None:
        return []
    base = policy.baseline.template_for(Element.OPENING, channel)
    base_words = {e.words for e in compile_template(base.text)} if base else set()
    return [e for e in compile_template(template.text) if e.kind == "phrase" and e.words not in base_words]


def festive_greeting_used(policy: Policy, rule: Rule, text: str, channel: str) -> bool:
    """Rule S10: whether the text uses a phrase of the directive's special greeting
    (one the baseline's greeting does not have)."""
    if rule.is_baseline:
        return False
    words = _words(text)
    ctx = _context_for_phrases(rule)
    for element in _distinctive_phrases(policy, rule, channel):
        size = len(element.words)
        for j in range(len(words)):
            for k in (size, size - 1, size + 1):
                if 1 <= k and j + k <= len(words) and _compare_phrase(element, tuple(words[j : j + k]), ctx):
                    return True
    return False


def _context_for_phrases(rule: Rule) -> Context:
    return Context(frozenset(), None, frozenset(), frozenset(), rule.typo_ratio, rule.typo_min_length)


def _alternatives(policy: Policy, owed: Rule, channel: str, owed_text: str) -> list[tuple[Rule, str]]:
    """Opening greetings of other published documents (rule S9): any channel."""
    out, seen = [], {" ".join(_words(owed_text))}
    for rule in policy.rules():
        candidates = [rule.template_for(Element.OPENING, channel)] + [
            t for t in rule.templates if t.element == Element.OPENING
        ]
        for template in candidates:
            if template is None:
                continue
            key = " ".join(_words(template.text))
            if key not in seen:
                seen.add(key)
                out.append((rule, template.text))
    return out


def score_opening(policy: Policy, transcript: TranscriptIn, parameter: Parameter | None = None) -> Verdict:
    """Parameter 1.1: the opening greeting (rules S1-S11)."""
    zone, _label = zone_for(policy, transcript.timezone)
    messages = ordered_messages(transcript, zone)
    turns = cso_turns(messages)
    if not turns:
        return Verdict(NA, "no CSO reply: no greeting was owed because the CSO never wrote (S5)", parameter=parameter)
    first = turns[0]
    deciding_local = first[0][0]  # rule S3
    text = _turn_text(first)
    expectation = expected_greeting(
        policy,
        channel=transcript.channel,
        at=deciding_local,
        timezone=transcript.timezone,
        visibility=transcript.visibility,
        category=transcript.category,
        cso_name=transcript.cso_name,
        first_contact=transcript.first_contact,
    )
    rule = expectation.rule
    common = {
        "rule": rule,
        "turn_text": text,
        "local": expectation.local,
        "zone_label": expectation.zone_label,
        "parameter": parameter,
        "expected_greeting": expectation.greeting or "",
    }
    if not expectation.owed:
        flags = ()
        # Rule S10: the special greeting of the directive in force, used anyway on a
        # public post it exempts, in any of the CSO's messages.
        everything = "\n".join(_turn_text(turn) for turn in turns)
        if transcript.visibility == Visibility.PUBLIC and festive_greeting_used(
            policy, rule, everything, transcript.channel
        ):
            flags = (FLAG_FESTIVE_ON_PUBLIC,)
        return Verdict(NA, expectation.reason + " (S5)", flags=flags, **common)

    ctx = _context(policy, rule, expectation, transcript)
    elements = compile_template(expectation.template)
    match = match_template(elements, text, ctx)
    common.update(matched_passage=match.passage(), passage_span=match.span())
    owed_label = f"{rule.reference} v{rule.version}"
    if match.cost == 0:
        reason = f"the greeting of {owed_label} owed at {_when(expectation)} is there" + _typo_note(match)
        return Verdict(YES, reason, **common)

    # Rule S9: the greeting of another document, not the one in force.
    wrong = _wrong_template(policy, rule, transcript, text, ctx, match)
    if wrong is not None:
        other_rule, other_match = wrong
        common.update(matched_passage=other_match.passage(), passage_span=other_match.span())
        if other_rule.is_baseline:
            reason = (
                f"used the standard greeting of {other_rule.reference}, but {owed_label} is in force on "
                f"{transcript.channel} at {expectation.local:%Y-%m-%d %H:%M} {expectation.zone_label}: "
                f"its greeting was owed (S4, S9)"
            )
        elif other_rule.covers(transcript.channel):
            reason = (
                f"used the greeting of {other_rule.reference} outside its window "
                f"({other_rule.window_label()}): at {expectation.local:%Y-%m-%d %H:%M} "
                f"{expectation.zone_label} {owed_label} applies (S4, S9)"
            )
        else:
            reason = (
                f"used the greeting of {other_rule.reference}, which does not cover {transcript.channel}: "
                f"{owed_label} applies (S9)"
            )
        also = [_describe(step, expectation, transcript.cso_name) for step in other_match.errors]
        if also:
            reason += "; also " + "; ".join(also)
        return Verdict(NO, reason, **common)

    if match.present():
        reasons = [_describe(step, expectation, transcript.cso_name) for step in match.errors]
        return Verdict(NO, "; ".join(reasons) + _typo_note(match), **common)

    # Rule S2: the greeting belongs in the first turn.
    for later in turns[1:]:
        later_match = match_template(elements, _turn_text(later), ctx)
        if later_match.present():
            return Verdict(
                NO,
                "the greeting came only in a later turn; it is owed in the CSO's first reply (S2)",
                **common,
            )
    return Verdict(NO, f"no standard greeting in the CSO's first reply; {owed_label} expects it (S8)", **common)


def _wrong_template(policy, rule, transcript, text, ctx, owed_match):
    best = None
    for other_rule, other_text in _alternatives(
        policy, rule, transcript.channel, rule.template_for(Element.OPENING, transcript.channel).text
    ):
        other_ctx = replace(ctx, typo_ratio=other_rule.typo_ratio, typo_min_length=other_rule.typo_min_length)
        other = match_template(compile_template(other_text), text, other_ctx)
        if not other.present() or other.cost >= owed_match.cost:
            continue
        if best is None or other.cost < best[1].cost:
            best = (other_rule, other)
    return best


def score_transcript(policy: Policy, transcript: TranscriptIn) -> list[Verdict]:
    """One verdict per scored parameter of the transcript's channel that the engine knows."""
    verdicts = []
    for parameter in policy.parameters_for(transcript.channel):
        if parameter.element == Element.OPENING:
            verdicts.append(score_opening(policy, transcript, parameter))
    return verdicts
