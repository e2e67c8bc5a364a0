"""The evidence of a score (rules.evidence): the owed greeting and what the CSO wrote,
element by element, marked found / typo / missing / wrong. Plain data, no database."""

import pytest

from rules.engine import score_opening
from rules.evidence import (
    EXTRA_WORDS,
    FOUND,
    MISSING,
    TYPO,
    WRONG,
    WRONG_NAME,
    WRONG_NUMBER,
    WRONG_TIME_WORD,
    greeting_evidence,
    reason_clauses,
)
from tests.rules.test_engine import std, transcript


def marks(evidence):
    return [(p.owed, p.said, p.mark, p.wrong) for p in evidence.pieces]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            std(),
            [
                ("PLN 123 Selamat", "PLN 123 Selamat", FOUND, ""),
                ("Pagi", "Pagi", FOUND, ""),
                ("dengan", "dengan", FOUND, ""),
                ("Rina Marlina", "Rina", FOUND, ""),
                ("Bisa Dibantu", "Bisa Dibantu", FOUND, ""),
            ],
            id="S8-all-found",
        ),
        pytest.param(
            "PLN 123 Selamat Pagi, dengan Rina Marlina",
            [
                ("PLN 123 Selamat", "PLN 123 Selamat", FOUND, ""),
                ("Pagi", "Pagi", FOUND, ""),
                ("dengan", "dengan", FOUND, ""),
                ("Rina Marlina", "Rina", FOUND, ""),
                ("Bisa Dibantu", "", MISSING, ""),
            ],
            id="S8-missing-phrase",
        ),
        pytest.param(
            "PLN 123 Selamat Siang, dengan Rina Bisa Dibantu",
            [
                ("PLN 123 Selamat", "PLN 123 Selamat", FOUND, ""),
                ("Pagi", "Siang", WRONG, WRONG_TIME_WORD),
                ("dengan", "dengan", FOUND, ""),
                ("Rina Marlina", "Rina", FOUND, ""),
                ("Bisa Dibantu", "Bisa Dibantu", FOUND, ""),
            ],
            id="S6-wrong-time-word",
        ),
        pytest.param(
            "PLN 321 Selamat Pagi, dengan Rina Bisa Dibantu",
            [
                ("PLN 123 Selamat", "PLN 321 Selamat", WRONG, WRONG_NUMBER),
                ("Pagi", "Pagi", FOUND, ""),
                ("dengan", "dengan", FOUND, ""),
                ("Rina Marlina", "Rina", FOUND, ""),
                ("Bisa Dibantu", "Bisa Dibantu", FOUND, ""),
            ],
            id="S8-wrong-number",
        ),
    ],
)
def test_each_element_is_marked(policy, text, expected):
    evidence = greeting_evidence(policy, transcript(text, at="2023-10-10T08:15:00"))
    assert marks(evidence) == expected


def test_a_wrong_name_and_a_typo_are_told_apart(policy):
    """GIVEN a greeting with another CSO's name and a typo in a long phrase
    WHEN the evidence is computed
    THEN the name is wrong (name), the typo tolerated, and the turn's stretches carry the marks."""
    text = "PLN 123 Selamat Pagi, dengan Budi Bisa Dibantuu"
    evidence = greeting_evidence(policy, transcript(text, at="2023-10-10T08:15:00"))
    by_owed = {p.owed: p for p in evidence.pieces}
    assert (by_owed["Rina Marlina"].mark, by_owed["Rina Marlina"].wrong) == (WRONG, WRONG_NAME)
    assert by_owed["Bisa Dibantu"].mark == TYPO and by_owed["Bisa Dibantu"].said == "Bisa Dibantuu"
    assert "".join(s.text for s in evidence.segments) == text
    assert ("Budi", WRONG) in {(s.text, s.mark) for s in evidence.segments}


def test_a_missing_element_leaves_a_gap_where_it_belonged(policy):
    evidence = greeting_evidence(policy, transcript("PLN 123 Selamat Pagi, dengan Rina", at="2023-10-10T08:15:00"))
    assert [(s.text, s.mark, s.owed) for s in evidence.segments][-1] == ("", MISSING, "Bisa Dibantu")
    assert "".join(s.text for s in evidence.segments) == "PLN 123 Selamat Pagi, dengan Rina"


def test_the_evidence_agrees_with_the_verdict(policy):
    """The marks are the engine's reading: a YES has no missing or wrong piece, a NO has one."""
    for text in (std(), "PLN 123 Selamat Pagi, dengan Rina"):
        case = transcript(text, at="2023-10-10T08:15:00")
        verdict = score_opening(policy, case)
        evidence = greeting_evidence(policy, case)
        assert (verdict.result == "YES") == (not evidence.marks & {MISSING, WRONG})
        assert evidence.owed_greeting == verdict.expected_greeting


def test_extra_words_inside_the_greeting_are_marked(policy):
    text = "PLN 123 Selamat Pagi, dengan saya yang bertugas Rina Bisa Dibantu"
    evidence = greeting_evidence(policy, transcript(text, at="2023-10-10T08:15:00"))
    extra = [(p.said, p.mark) for p in evidence.pieces if p.wrong == EXTRA_WORDS]
    assert extra == [("saya yang bertugas", WRONG)]


def test_nothing_to_show_when_no_greeting_is_owed(policy):
    case = transcript(std(), at="2023-10-10T08:15:00", first_contact=False)
    assert greeting_evidence(policy, case) is None


def test_reasons_are_cut_into_words_and_rule_codes():
    clauses = reason_clauses('missing phrase "Bisa Dibantu" (S8); said "Siang" but 08:15 WIB needs "Pagi" (S6)')
    assert [(c.text, c.codes) for c in clauses] == [
        ('missing phrase "Bisa Dibantu"', ("S8",)),
        ('said "Siang" but 08:15 WIB needs "Pagi"', ("S6",)),
    ]
    assert reason_clauses("used the greeting of X (S4, S9)")[0].codes == ("S4", "S9")
    assert reason_clauses("no code here")[0].codes == ()
    # A clause whose words hold "; " keeps them: the codes end it.
    assert [(c.text, c.codes) for c in reason_clauses("no standard greeting; X v1 expects it (S8)")] == [
        ("no standard greeting; X v1 expects it", ("S8",))
    ]
