"""Rule S8: finding a template in the text, and saying precisely where it differs.

A template compiles once into :class:`Part` values; :func:`match_template` aligns them
with the words of a CSO's turn by dynamic programming and returns every step of the
best alignment, so the engine can name what is missing, garbled or wrong.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

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

    @cached_property
    def word_list(self) -> list[str]:
        return list(self.words)


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


def _compare_window(element: Part, view: tuple, ctx: Context) -> str | None:
    outcome = _compare_text(element, view, ctx)
    if (
        outcome in ("typo", "wrong_number")
        and len(view[0]) == len(element.words) + 1
        and _extra_word(element, view, ctx)
    ):
        # A whole word more than the phrase is a word that does not belong there, not a
        # typo inside the phrase (S8): the alignment reads it as such or as garbled.
        return None
    return outcome


def _extra_word(element: Part, view: tuple, ctx: Context) -> bool:
    """Whether leaving out one whole word of the window leaves the phrase as written
    (its numbers aside, when only a number is wrong). A word split in two by a typo
    ("Pelang gan") leaves no such word, and stays a typo."""
    window = view[0]
    for skip in range(len(window)):
        rest = window[:skip] + window[skip + 1 :]
        if rest == element.words or (
            element.numbers and tuple(w for w in rest if not w.isdigit()) == tuple(element.letters.split())
        ):
            return True
    return False


def _compare_text(element: Part, view: tuple, ctx: Context) -> str | None:
    window, got, numbers, letters = view
    if window == element.words:
        return "ok"
    if numbers == element.numbers:
        limit = _allowed_edits(element.joined, ctx)
        if limit and abs(len(got) - len(element.joined)) <= limit:
            if Levenshtein.distance(element.joined, got, score_cutoff=limit) <= limit:
                return "typo"
        return None
    if element.numbers:
        if letters == element.letters:
            return "wrong_number"
        edits = _allowed_edits(element.letters, ctx)
        if edits and Levenshtein.distance(element.letters, letters, score_cutoff=edits) <= edits:
            return "wrong_number"
    return None


# Costs as one integer that orders like (errors, garbled phrases, typos): fewer errors
# first, then the reading that names a precise error rather than a garbled phrase,
# then fewer typos. A template has far fewer than a thousand elements.
_ERROR, _GARBLED, _TYPO = 1_000_000, 1_000, 1
_OUTCOME_COST = {"ok": 0, "typo": _TYPO, "garbled": _ERROR + _GARBLED}
_UNREACHED = 10**15


def match_template(
    elements: tuple[Part, ...],
    text: str,
    ctx: Context,
    tokens: list[Token] | None = None,
    fewer_errors_than: int | None = None,
) -> Match | None:
    """The best alignment of the template with one passage of the text.

    Dynamic programming over (template element, token position): each element is
    found (possibly with a tolerated typo), found wrong (a wrong number, time-of-day
    word or name: one error), or missing (one error). Between elements only forms of
    address may stand (rule S8); text before and after the passage does not matter.
    The alignment with the fewest errors, then the fewest typos, wins.

    Most greetings are right: :func:`exact_match` finds those first, cheaply, and the
    full alignment runs only when it finds none. ``tokens`` may be passed when the
    caller has already split ``text``. With ``fewer_errors_than``, the answer is None
    unless the best alignment has fewer errors than that.
    """
    tokens = tokenize(text) if tokens is None else tokens
    words = [t.norm for t in tokens]
    exact = exact_match(elements, text, tokens, words, ctx)
    if exact is not None:
        return exact
    return full_alignment(elements, text, tokens, words, ctx, fewer_errors_than)


def full_alignment(
    elements: tuple[Part, ...],
    text: str,
    tokens: list[Token],
    words: list[str],
    ctx: Context,
    fewer_errors_than: int | None = None,
) -> Match | None:
    """The dynamic programme of :func:`match_template`, without the shortcut.

    It is searched by rising error budget: first for an alignment with as few errors
    as the text could allow at all, then one more, and so on; states that cannot end
    within the budget are never expanded (branch and bound, with a lower bound that
    never overestimates, so the answer is the one the unbounded programme gives:
    same cost, steps and ties). With ``fewer_errors_than``, only that budget is
    searched and None means there is no such alignment.
    """
    n = len(elements)
    floor = _error_floor(elements, words, ctx)
    options = _Options(elements, words, ctx)
    if fewer_errors_than is not None:
        return _align(elements, text, tokens, words, ctx, floor, options, fewer_errors_than * _ERROR - 1)
    errors = floor[0][0]
    while True:
        found = _align(elements, text, tokens, words, ctx, floor, options, (errors + 1) * _ERROR - 1)
        if found is not None or errors >= n:
            return found
        errors += 1


class _Options:
    """How each element can be read at each word, worked out once per text and shared
    by the passes of :func:`full_alignment`: ``(cost, length, outcome)`` triples, in the
    order :func:`_element_options` yields them (the order breaks ties)."""

    def __init__(self, elements: tuple[Part, ...], words: list[str], ctx: Context):
        self.elements, self.words, self.ctx = elements, words, ctx
        self.windows = _Windows(words)
        self.limits = [(_allowed_edits(e.joined, ctx), _allowed_edits(e.letters, ctx)) for e in elements]
        # rows[i][j]: the options of element i at word j, None until first asked for.
        self.rows: list[list[tuple | None]] = [[None] * (len(words) + 1) for _ in elements]
        self.is_form = [w in ctx.forms_of_address for w in words]
        self.memos = [
            _phrase_memo(e, ctx.typo_ratio, ctx.typo_min_length) if e.kind == "phrase" else None for e in elements
        ]

    def compute(self, i: int, j: int) -> tuple:
        memo = self.memos[i]
        if memo is not None:
            found = _phrase_options(self.elements[i], self.words, j, self.ctx, self.windows, self.limits[i], memo)
        else:
            found = _costed(_element_options(self.elements[i], self.words, j, self.ctx, self.windows, self.limits[i]))
        self.rows[i][j] = found
        return found


def _costed(options) -> tuple:
    return tuple((_OUTCOME_COST.get(outcome, _ERROR), k, outcome) for outcome, k in options)


def _phrase_options(element: Part, words: list[str], j: int, ctx: Context, windows, limits, memo: dict) -> tuple:
    """The options of a phrase at ``j``. They depend only on the words from ``j`` to one
    past the phrase's length (and on the tolerance), and the same few windows recur in
    text after text, so they are remembered by those words."""
    window = tuple(words[j : j + len(element.words) + 1])
    found = memo.get(window)
    if found is None:
        found = memo[window] = _costed(_element_options(element, words, j, ctx, windows, limits))
    return found


# Options of a phrase by the words it is compared with, per phrase and tolerance: pure
# values of their key, so they hold for any policy snapshot. Each table is emptied when
# it grows past _MEMO_SIZE windows, to keep memory bounded on endless new texts.
_PHRASE_MEMOS: dict[tuple, dict[tuple[str, ...], tuple]] = {}
_MEMO_SIZE = 50_000


def _phrase_memo(element: Part, typo_ratio: float, typo_min_length: int) -> dict:
    key = (element.words, typo_ratio, typo_min_length)
    memo = _PHRASE_MEMOS.get(key)
    if memo is None or len(memo) > _MEMO_SIZE:
        if len(_PHRASE_MEMOS) > 1000:
            _PHRASE_MEMOS.clear()
        memo = _PHRASE_MEMOS[key] = {}
    return memo


def _error_floor(elements: tuple[Part, ...], words: list[str], ctx: Context) -> list[list[int]]:
    """``floor[i][j]``: a lower bound on the errors the elements from ``i`` on make
    from word ``j`` on, that never overestimates.

    An element can only be found without an error (as written or with a tolerated
    typo) in a window that holds one of the words it must contain; the elements after
    it then start past that word. So from ``j`` on, element ``i`` is either an error
    (at least one) or found past the first such word at or after ``j``, and the
    elements after it start no earlier than the word after that. Elements whose words
    may all be mistyped need no such word, but still take at least one word.
    """
    n, m = len(elements), len(words)
    floor = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        element = elements[i]
        if element.kind == "phrase":
            needed = len(element.words) - 2 * _allowed_edits(element.joined, ctx)
            keys = set(element.words) if needed >= 1 else None
        elif element.kind == "waktu":
            keys = {ctx.owed_band} if ctx.owed_band else set(ctx.band_words)
        else:
            keys = {name[0] for name in ctx.names}
        below, row = floor[i + 1], floor[i]
        row[m] = below[m] + 1
        if keys is None:
            for j in range(m):
                row[j] = min(below[j] + 1, below[j + 1])
            continue
        after = None  # below[q + 1] for the first key word q at or after j
        for j in range(m - 1, -1, -1):
            if words[j] in keys:
                after = below[j + 1]
            missing = below[j] + 1
            row[j] = missing if after is None or missing < after else after
    return floor


def _align(elements, text, tokens, words, ctx, floor, options: _Options, budget: int) -> Match | None:
    """The best alignment costing at most ``budget``, or None when there is none.

    States are relaxed row by row (element by element) and, within a row, word by
    word; a state is replaced only by a strictly cheaper one, so among equal costs the
    first way found wins. That order is what makes ties come out the same in every pass.
    """
    n, m = len(elements), len(words)
    error = _ERROR
    best = [[_UNREACHED] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0] = [0] * (m + 1)
    is_form = options.is_form
    cap = budget // error  # the most errors any state may still owe
    start = 0  # the first word at which the current row was reached
    # The last row has nothing to relax: no element after it, no words between.
    for i in range(n):
        row, here, least = best[i], back[i], floor[i]
        element = elements[i]
        below, below_back, known = best[i + 1], back[i + 1], options.rows[i]
        inside = i > 0
        # The bound never falls as j grows, so past the first word where it alone
        # exceeds the budget no state can be expanded; before ``start``, none was reached.
        stop = bisect.bisect_right(least, cap)
        reached = m + 1
        for j in range(start, stop):
            cost = row[j]
            # _UNREACHED is beyond every budget, so unreached states go too.
            if cost + least[j] * error > budget:
                continue
            if inside and j < m:
                if is_form[j]:
                    if cost < row[j + 1]:
                        row[j + 1] = cost
                        here[j + 1] = (i, j, None, None)
                else:
                    # Words inside the greeting that do not belong there: one error.
                    step = cost + error
                    for k in range(j + 1, min(j + _MAX_INTRUSION, m) + 1):
                        if step < row[k]:
                            row[k] = step
                            here[k] = (i, j, _INTRUSION, "intrusion")
            step = cost + error
            if step < below[j]:
                below[j] = step
                below_back[j] = (i, j, element, "missing")
            if j < reached:
                reached = j  # every row below is reached at j or later
            found = known[j]
            if found is None:
                found = options.compute(i, j)
            for extra, k, outcome in found:
                step = cost + extra
                if step < below[j + k]:
                    below[j + k] = step
                    below_back[j + k] = (i, j, element, outcome)
        if reached > m:
            return None  # no state of this row within the budget: nothing below is either
        start = reached
    last = best[n]
    end_j = min(range(m + 1), key=last.__getitem__)
    cost = last[end_j]
    if cost > budget:
        return None
    steps: list[Step] = []
    i, j = n, end_j
    while back[i][j] is not None:
        pi, pj, element, outcome = back[i][j]
        if element is not None:
            said = text[tokens[pj].start : tokens[j - 1].end] if j > pj else ""
            steps.append(Step(element, outcome, pj, j, said))
        i, j = pi, pj
    steps.reverse()
    return Match(cost=cost // _ERROR, typos=cost % _GARBLED, steps=steps, tokens=tokens, text=text)


class _Windows:
    """Runs of words of one text, as the phrase comparison reads them, computed once,
    with running sums so that a run's length is known before its text is built."""

    def __init__(self, words: list[str]):
        self.words = words
        self._cache: dict[tuple[int, int], tuple] = {}

    @cached_property
    def chars(self) -> list[int]:
        # Built only when a window is compared: most are answered by the phrase memo.
        self.digits = [0]  # number-words in words[:j]
        self.digit_chars = [0]  # their characters
        chars = [0]  # characters of words[:j]
        for word in self.words:
            number = word.isdigit()
            chars.append(chars[-1] + len(word))
            self.digits.append(self.digits[-1] + number)
            self.digit_chars.append(self.digit_chars[-1] + (len(word) if number else 0))
        return chars

    def get(self, j: int, k: int) -> tuple[tuple[str, ...], str, tuple[str, ...], str]:
        key = (j, k)
        found = self._cache.get(key)
        if found is None:
            window = tuple(self.words[j : j + k])
            found = (
                window,
                " ".join(window),
                tuple(w for w in window if w.isdigit()),
                " ".join(w for w in window if not w.isdigit()),
            )
            self._cache[key] = found
        return found

    def could_match(self, element: Part, j: int, k: int, limit: int, edits: int) -> bool:
        """False when no outcome but "ok" is possible: the window's length, or that of
        its words without numbers, is beyond the tolerance of :func:`_compare_window`."""
        chars = self.chars  # first: it builds digits and digit_chars too
        digits = self.digits[j + k] - self.digits[j]
        joined = chars[j + k] - chars[j] + k - 1
        if digits == len(element.numbers) and limit and abs(joined - len(element.joined)) <= limit:
            return True
        if not element.numbers:
            return False
        words = k - digits
        letters = self.chars[j + k] - self.chars[j] - (self.digit_chars[j + k] - self.digit_chars[j])
        letters += max(words - 1, 0)
        return abs(letters - len(element.letters)) <= edits


def exact_match(
    elements: tuple[Part, ...], text: str, tokens: list[Token], words: list[str], ctx: Context
) -> Match | None:
    """The alignment without a single error or typo, if the text holds one; else None.

    It walks the same states as :func:`match_template` but only along transitions that
    cost nothing (a phrase word for word, the owed time-of-day word, an accepted name,
    a form of address between elements), and breaks ties as that function does (the
    passage that ends first; at each element the earliest way in; an element before
    a form of address), so whenever it answers, it answers exactly what the full
    alignment would: the same steps, passage and span. Only exact comparisons, no
    edit distance, so it costs a fraction of the full alignment.
    """
    n, m = len(elements), len(words)
    first = elements[0]
    if first.kind == "phrase":
        lead = first.words[0]
        level = {j: None for j in range(m) if words[j] == lead}
    else:
        level = dict.fromkeys(range(m + 1))
    back: list[dict[int, tuple[int, Part] | None]] = [level]
    for i, element in enumerate(elements):
        reached: dict[int, tuple[int, Part] | None] = {}
        for j in sorted(level):
            for k in _exact_options(element, words, j, ctx):
                reached.setdefault(j + k, (j, element))
        if not reached:
            return None
        if 0 < i + 1 < n:
            # Forms of address may stand between elements; an element's own way in wins.
            for j in sorted(reached):
                while j < m and words[j] in ctx.forms_of_address and j + 1 not in reached:
                    reached[j + 1] = (j, None)
                    j += 1
        back.append(reached)
        level = reached
    j = min(level)
    steps: list[Step] = []
    for i in range(n, 0, -1):
        while True:
            pj, element = back[i][j]
            if element is not None:
                break
            j = pj
        said = text[tokens[pj].start : tokens[j - 1].end] if j > pj else ""
        steps.append(Step(element, "ok", pj, j, said))
        j = pj
    steps.reverse()
    return Match(cost=0, typos=0, steps=steps, tokens=tokens, text=text)


def _exact_options(element: Part, words: list[str], j: int, ctx: Context):
    """The lengths at which ``element`` matches at ``j`` with no error and no typo."""
    m = len(words)
    if element.kind == "phrase":
        size = len(element.words)
        if j + size <= m and tuple(words[j : j + size]) == element.words:
            yield size
    elif element.kind == "waktu":
        if j < m and words[j] in ctx.band_words and (ctx.owed_band is None or words[j] == ctx.owed_band):
            yield 1
    elif element.kind == "nama":
        for k in range(1, max(ctx.longest_name, _MAX_WRONG_NAME_WORDS) + 1):
            if j + k > m:
                break
            if tuple(words[j : j + k]) in ctx.names:
                yield k


def _element_options(element: Part, words: list[str], j: int, ctx: Context, windows: _Windows, limits=(0, 0)):
    m = len(words)
    if element.kind == "phrase":
        size = len(element.words)
        for k in (size, size - 1, size + 1):
            if 1 <= k and j + k <= m:
                if k == size and words[j : j + k] == element.word_list:
                    outcome = "ok"
                elif windows.could_match(element, j, k, *limits):
                    outcome = _compare_window(element, windows.get(j, k), ctx)
                else:
                    outcome = None
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


def could_be_present(
    elements: tuple[Part, ...], words: frozenset[str], ctx: Context, in_order: list[str] | None = None
) -> bool:
    """A cheap necessary condition for ``match_template(...).present()``: False only
    when the full alignment could not find half of the template's fixed text.

    A phrase found with a tolerated typo differs from the text by at most ``limit``
    edits, and one edit changes at most two words (a space added or removed), so at
    least ``len(words) - 2 * limit`` of its words stand in the text exactly; the same
    holds for its words without numbers when only a number is wrong. A phrase whose
    words are not there cannot count as found. With ``in_order`` (the text's words in
    order), a phrase counts only where :func:`phrase_found` finds it somewhere: long
    phrases, whose words may all be mistyped, pass the first test on any text.
    """
    total = possible = 0
    for element in elements:
        if element.kind != "phrase":
            continue
        total += element.size
        if _might_be_found(element, words, ctx) and (in_order is None or phrase_found(element, in_order, ctx)):
            possible += element.size
    return total > 0 and possible / total >= _PRESENCE_SHARE


def _might_be_found(element: Part, words: frozenset[str], ctx: Context) -> bool:
    present = sum(1 for w in element.words if w in words)
    if present >= len(element.words) - 2 * _allowed_edits(element.joined, ctx):
        return True
    if element.numbers:
        letters = [w for w in element.words if not w.isdigit()]
        present = sum(1 for w in letters if w in words)
        return present >= len(letters) - 2 * _allowed_edits(element.letters, ctx)
    return False


def phrase_found(element: Part, words: tuple[str, ...], ctx: Context) -> bool:
    """Whether the phrase appears anywhere in ``words``, with the tolerance of S8: as
    written, with a tolerated typo, or with only a number wrong (the options of
    :func:`_element_options` other than a garbled phrase)."""
    words = list(words)
    windows = _Windows(words)
    limits = (_allowed_edits(element.joined, ctx), _allowed_edits(element.letters, ctx))
    memo = _phrase_memo(element, ctx.typo_ratio, ctx.typo_min_length)
    for j in range(len(words)):
        for _cost, _k, outcome in _phrase_options(element, words, j, ctx, windows, limits, memo):
            if outcome != "garbled":
                return True
    return False
