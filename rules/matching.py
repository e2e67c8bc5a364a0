"""Rule S8: finding a template in the text, and saying precisely where it differs.

A template compiles once into :class:`Part` values; :func:`match_template` aligns them
with the words of a CSO's turn by dynamic programming and returns every step of the
best alignment, so the engine can name what is missing, garbled or wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from rules.templates import parse_template
from rules.text import Token, tokenize, words_of
from rules.vocabulary import SLOT_CSO_NAME, SLOT_TIME_OF_DAY

# A passage counts as an attempt at the greeting when at least this share of the
# template's fixed text is there; below it, the CSO said something else entirely.
_PRESENCE_SHARE = 0.5
# How many words a name that is not the CSO's may span, for the diagnosis.
_MAX_WRONG_NAME_WORDS = 3
_MAX_INTRUSION = 3


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
    words = words_of(text)
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


def compare_phrase(element: Part, window: tuple[str, ...], ctx: Context) -> str | None:
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
                outcome = compare_phrase(element, tuple(words[j : j + k]), ctx)
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


def phrase_found(element: Part, words: tuple[str, ...], ctx: Context) -> bool:
    """Whether the phrase appears anywhere in ``words``, with the tolerance of S8."""
    size = len(element.words)
    for j in range(len(words)):
        for k in (size, size - 1, size + 1):
            if 1 <= k and j + k <= len(words) and compare_phrase(element, words[j : j + k], ctx):
                return True
    return False
