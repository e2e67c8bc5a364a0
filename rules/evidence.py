"""The evidence of a score, for people: the greeting owed and what the CSO wrote,
aligned element by element, each marked found, tolerated typo, missing or wrong
(a wrong time-of-day word, name or number, or other words), and the CSO's first turn
cut into marked stretches.

Computed at display time from the policy snapshot the score used and the transcript,
with the engine's own reading (:class:`rules.engine.Situation`, the alignment of
:func:`rules.matching.match_template`), so the picture is the verdict's. Nothing here
decides anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.engine import Situation, cso_turns, ordered_messages
from rules.matching import Step
from rules.resolver import PolicyError, zone_for
from rules.snapshot import Parameter, Policy
from rules.transcript import TranscriptIn

FOUND, TYPO, MISSING, WRONG = "found", "typo", "missing", "wrong"
MARKS = (FOUND, TYPO, MISSING, WRONG)
# What is wrong, when the mark is WRONG.
WRONG_TIME_WORD, WRONG_NAME, WRONG_NUMBER, WRONG_WORDS, EXTRA_WORDS = "time_word", "name", "number", "words", "extra"

_MARK_OF = {
    "ok": (FOUND, ""),
    "typo": (TYPO, ""),
    "missing": (MISSING, ""),
    "wrong_band": (WRONG, WRONG_TIME_WORD),
    "no_band": (WRONG, WRONG_TIME_WORD),
    "wrong_name": (WRONG, WRONG_NAME),
    "wrong_number": (WRONG, WRONG_NUMBER),
    "garbled": (WRONG, WRONG_WORDS),
    "intrusion": (WRONG, EXTRA_WORDS),
}


@dataclass(frozen=True)
class Piece:
    """One element of the owed greeting beside what the CSO wrote in its place."""

    kind: str  # phrase, waktu (the time-of-day word), nama (the CSO's name), intrusion
    owed: str  # as the greeting owes it: the phrase, the time-of-day word, the CSO's name
    said: str  # what the CSO wrote there, as written; empty when missing
    mark: str  # found, typo, missing, wrong
    wrong: str = ""  # what is wrong when the mark is "wrong"
    span: tuple[int, int] | None = None  # where ``said`` is in the turn text


@dataclass(frozen=True)
class Segment:
    """A stretch of the CSO's turn; ``mark`` empty outside the greeting."""

    text: str
    mark: str = ""
    wrong: str = ""
    owed: str = ""  # for a missing element (empty ``text``): what belongs there


@dataclass(frozen=True)
class Evidence:
    owed_greeting: str
    document: str  # the label of the document whose greeting is owed
    turn_text: str
    pieces: tuple[Piece, ...]
    segments: tuple[Segment, ...]

    @property
    def marks(self) -> set[str]:
        return {piece.mark for piece in self.pieces}


def _owed(step: Step, situation: Situation) -> str:
    element = step.element
    if element.kind == "waktu":
        band = situation.expectation.band
        return band.word if band else element.label
    if element.kind == "nama":
        return situation.transcript.cso_name
    return element.label


def _span(step: Step, situation: Situation) -> tuple[int, int] | None:
    if step.end <= step.start:
        return None
    tokens = situation.match.tokens
    return tokens[step.start].start, tokens[step.end - 1].end


def _segments(text: str, pieces: tuple[Piece, ...]) -> tuple[Segment, ...]:
    """The turn cut at the pieces, in order; a missing piece is an empty segment where it
    belonged (after the piece before it), so the reader sees the gap."""
    out, at = [], 0
    for piece in pieces:
        if piece.span is None:
            if piece.mark == MISSING and any(p.span for p in pieces):
                out.append(Segment("", MISSING, "", piece.owed))
            continue
        start, end = piece.span
        if start < at:  # overlapping spans do not happen; never show text twice
            continue
        if start > at:
            out.append(Segment(text[at:start]))
        out.append(Segment(text[start:end], piece.mark, piece.wrong))
        at = end
    if at < len(text):
        out.append(Segment(text[at:]))
    return tuple(out)


def greeting_evidence(policy: Policy, transcript: TranscriptIn, parameter: Parameter | None = None) -> Evidence | None:
    """The alignment of the owed greeting with the CSO's first turn, or None when the
    CSO never wrote or no greeting was owed (rule S5) or the policy cannot say."""
    try:
        zone, _label = zone_for(policy, transcript.timezone)
        turns = cso_turns(ordered_messages(transcript, zone))
        if not turns:
            return None
        situation = Situation(policy, transcript, turns, parameter)
    except (PolicyError, LookupError):
        return None
    if not situation.expectation.owed or not situation.expectation.template:
        return None
    match = situation.match
    pieces = []
    for step in match.steps if match is not None else ():
        mark, wrong = _MARK_OF.get(step.outcome, (WRONG, WRONG_WORDS))
        span = _span(step, situation)
        said = situation.text[span[0] : span[1]] if span else step.said
        pieces.append(Piece(step.element.kind, _owed(step, situation), said, mark, wrong, span))
    pieces = tuple(pieces)
    return Evidence(
        owed_greeting=situation.expectation.greeting or "",
        document=situation.owed_label,
        turn_text=situation.text,
        pieces=pieces,
        segments=_segments(situation.text, pieces),
    )


# --- reasons: the words first, the rule codes after ----------------------------------------

_CODES = re.compile(r"\s*\((S\d+(?:\s*,\s*S\d+)*)\)\s*$")


@dataclass(frozen=True)
class Clause:
    text: str
    codes: tuple[str, ...]


def reason_clauses(reason: str) -> list[Clause]:
    """A stored reason cut into its clauses (``; ``), each with the rule codes it ends
    with taken out: ``missing phrase "X" (S8)`` -> ``missing phrase "X"``, ``("S8",)``."""
    clauses, pending = [], []
    for part in (p.strip() for p in reason.split("; ")):
        if not part:
            continue
        found = _CODES.search(part)
        if not found:  # a clause goes on to the next part: the codes come at its end
            pending.append(part)
            continue
        codes = tuple(c.strip() for c in found.group(1).split(","))
        clauses.append(Clause("; ".join([*pending, part[: found.start()]]), codes))
        pending = []
    if pending:
        clauses.append(Clause("; ".join(pending), ()))
    return clauses
