"""Words for people on the score page: what each mark of the evidence means, and the
titles of the rules a reason cites (docs/rules.md), so a reason reads in plain words
first and names its rule after."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from rules.evidence import (
    EXTRA_WORDS,
    FOUND,
    MISSING,
    TYPO,
    WRONG,
    WRONG_NAME,
    WRONG_NUMBER,
    WRONG_TIME_WORD,
    WRONG_WORDS,
    reason_clauses,
)

RULE_TITLES = {
    "S1": _("local time"),
    "S2": _("the CSO's first turn"),
    "S3": _("the deciding moment"),
    "S4": _("which directive decides"),
    "S5": _("whether a greeting is owed"),
    "S6": _("the time-of-day word"),
    "S7": _("the CSO's name"),
    "S8": _("reading the text: typos, numbers, extra words"),
    "S9": _("the greeting of another directive"),
    "S10": _("a festive greeting on a public complaint"),
    "S11": _("provenance"),
}

MARK_LABELS = {
    FOUND: _("found"),
    TYPO: _("tolerated typo"),
    MISSING: _("missing"),
    WRONG: _("wrong"),
}
WRONG_LABELS = {
    WRONG_TIME_WORD: _("wrong time-of-day word"),
    WRONG_NAME: _("wrong name"),
    WRONG_NUMBER: _("wrong number"),
    WRONG_WORDS: _("other words"),
    EXTRA_WORDS: _("words that do not belong"),
}
KIND_LABELS = {
    "phrase": _("phrase"),
    "waktu": _("time-of-day word"),
    "nama": _("CSO name"),
    "intrusion": _("extra words"),
}
LEGEND = [
    (FOUND, "", _("found: as owed")),
    (TYPO, "", _("tolerated typo: a small slip the SOP accepts")),
    (MISSING, "", _("missing: owed but not written")),
    (WRONG, WRONG_TIME_WORD, _("wrong: a wrong time-of-day word, name or number, or other words")),
]


def mark_label(mark: str, wrong: str = "") -> str:
    if mark == WRONG and wrong:
        return str(WRONG_LABELS.get(wrong, MARK_LABELS[WRONG]))
    return str(MARK_LABELS.get(mark, mark))


def explained_reason(reason: str) -> list[dict]:
    """The clauses of a reason, each its words and then the rules it cites. Give it
    ``Score.reason_shown`` (the reason in the reader's language): every translation
    keeps the English clauses' ``; `` joints and rule codes at the end of its clause."""
    return [
        {
            "text": clause.text,
            "rules": [{"code": code, "title": RULE_TITLES.get(code, "")} for code in clause.codes],
        }
        for clause in reason_clauses(reason)
    ]


def evidence_context(evidence) -> dict:
    """What ``_evidence_aligned.html`` shows of a score's evidence (``selectors.score_evidence``):
    the alignment, one row per element with its kind and mark in words, and the legend."""
    return {
        "evidence": evidence,
        "evidence_rows": [
            {"piece": p, "kind": KIND_LABELS.get(p.kind, p.kind), "label": mark_label(p.mark, p.wrong)}
            for p in (evidence.pieces if evidence else ())
        ],
        "legend": [{"mark": m, "wrong": w, "text": t} for m, w, t in LEGEND],
    }
