"""The scoring engine, rule by rule (S1-S11). One row per case, the rule in the id."""

import datetime as dt

import pytest

from rules.engine import score_opening
from rules.transcript import MessageIn, TranscriptIn
from rules.vocabulary import FLAG_FESTIVE_ON_PUBLIC, Result

YES, NO, NA = Result.YES, Result.NO, Result.NA

HPN = "SOP-PLN123-HPN2023"
STD = "SOP-PLN123-STD"


def hpn(word="Pagi", name="Rina"):
    return (
        f"PLN 123 selamat {word}, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, "
        f"dengan {name} bisa dibantu"
    )


def std(word="Pagi", name="Rina"):
    return f"PLN 123 Selamat {word}, dengan {name} Bisa Dibantu"


def transcript(
    *cso_turns,
    at="2023-09-10T08:15:00",
    zone="WIB",
    channel="live_chat",
    visibility="private",
    category="Keluhan",
    first_contact=True,
    cso_name="Rina Marlina",
    cso_id="",
    customer_first=True,
):
    """A conversation: the customer writes, then each CSO turn (a string, or a list of
    bubbles) follows a customer message."""
    start = dt.datetime.fromisoformat(at)
    messages = []
    clock = start - dt.timedelta(minutes=1)
    for index, turn in enumerate(cso_turns):
        if customer_first or index:
            messages.append(MessageIn(clock, "customer", "Halo, listrik saya padam"))
        clock = start if index == 0 else clock + dt.timedelta(minutes=1)
        for bubble in [turn] if isinstance(turn, str) else turn:
            messages.append(MessageIn(clock, "cso", bubble))
            clock += dt.timedelta(seconds=5)
        clock += dt.timedelta(minutes=1)
    return TranscriptIn(
        external_id="T-1",
        channel=channel,
        cso_name=cso_name,
        cso_id=cso_id,
        messages=tuple(messages),
        visibility=visibility,
        category=category,
        timezone=zone,
        first_contact=first_contact,
    )


CASES = [
    # S4 / worked examples
    pytest.param(transcript(hpn()), YES, HPN, "", id="S4-hpn-greeting-in-window"),
    pytest.param(transcript(std()), NO, HPN, "standard greeting of SOP-PLN123-STD", id="S4-S9-baseline-while-hpn-owed"),
    pytest.param(
        transcript(hpn("pagi"), at="2023-09-10T19:40:00", zone="WITA", channel="email"),
        NO,
        HPN,
        'said "pagi" but 19:40 WITA needs "Malam"',
        id="S6-wrong-time-word",
    ),
    pytest.param(
        transcript(hpn("Malam"), at="2023-09-30T15:30:00+00:00", zone="WIT"),
        NO,
        STD,
        "SOP-PLN123-HPN2023 outside its window",
        id="S9-window-over-in-WIT",
    ),
    pytest.param(
        transcript(hpn("Malam"), at="2023-09-30T15:30:00+00:00", zone="WIB"), YES, HPN, "", id="S1-same-instant-WIB"
    ),
    pytest.param(
        transcript("apa saja", at="2023-09-12T10:00", channel="social_media", visibility="public", category="Padam"),
        NA,
        HPN,
        "public post",
        id="S5-public-complaint",
    ),
    pytest.param(
        transcript(hpn(), at="2023-09-12T10:00", channel="social_media", visibility="public", category="Informasi"),
        YES,
        HPN,
        "",
        id="S5-public-informasi",
    ),
    pytest.param(transcript(std(), at="2023-09-12T10:00", channel="voice"), YES, STD, "", id="S4-voice-keeps-baseline"),
    pytest.param(
        transcript(hpn(), at="2023-09-12T10:00", channel="voice"), NO, STD, "does not cover voice", id="S9-hpn-on-voice"
    ),
    # S1: naive is local, offsets are converted
    pytest.param(transcript(std("Malam"), at="2023-09-03T23:30:00", zone="WIB"), YES, STD, "", id="S1-naive-local"),
    pytest.param(
        transcript(hpn("Malam"), at="2023-09-03T17:30:00+00:00", zone="WIB"), YES, HPN, "", id="S1-utc-converted"
    ),
    pytest.param(
        transcript(hpn("Malam"), at="2023-09-03T23:30:00", zone=""), NO, STD, "outside its window", id="S1-default-zone"
    ),
    # S2: the first turn, bubbles joined; a later turn does not count
    pytest.param(
        transcript(
            [
                "PLN 123 selamat Pagi, Selamat Hari Pelanggan Nasional,",
                "Senyum Pelanggan PLN 2023, dengan Rina bisa dibantu",
            ]
        ),
        YES,
        HPN,
        "",
        id="S2-split-bubbles",
    ),
    pytest.param(
        transcript("Baik, mohon ditunggu ya Kak.", hpn()), NO, HPN, "only in a later turn", id="S2-greeting-late"
    ),
    pytest.param(transcript(hpn(), customer_first=False), YES, HPN, "", id="S2-cso-writes-first"),
    # S5
    pytest.param(transcript(hpn(), first_contact=False), NA, HPN, "not a first contact", id="S5-follow-up"),
    pytest.param(transcript(), NA, None, "no CSO reply", id="S5-no-reply"),
    pytest.param(
        transcript(std(), at="2023-10-12T10:00", channel="social_media", visibility="public", category="informasi"),
        YES,
        STD,
        "",
        id="S5-baseline-same-audience-rule",
    ),
    # S6 boundaries through the engine
    pytest.param(transcript(std("Pagi"), at="2023-10-02T10:59:59"), YES, STD, "", id="S6-10:59-pagi"),
    pytest.param(transcript(std("Pagi"), at="2023-10-02T11:00:00"), NO, STD, 'needs "Siang"', id="S6-11:00-siang"),
    pytest.param(transcript(std("Malam"), at="2023-10-02T03:59:00"), YES, STD, "", id="S6-03:59-malam"),
    # S7
    pytest.param(transcript(hpn(name="Rina Marlina")), YES, HPN, "", id="S7-full-name"),
    pytest.param(transcript(hpn(name="Marlina")), YES, HPN, "", id="S7-any-word"),
    pytest.param(transcript(hpn(name="RINA")), YES, HPN, "", id="S7-case-insensitive"),
    pytest.param(transcript(hpn(name="Hendra")), NO, HPN, 'used the name "Hendra"', id="S7-wrong-name"),
    pytest.param(
        transcript(hpn(name="Muhammad Rizky Aditya Putra Pratama"), cso_name="Muhammad Rizky Aditya Putra Pratama"),
        YES,
        HPN,
        "",
        id="S7-long-full-name",
    ),
    pytest.param(
        transcript(hpn(name="Intan Permata"), cso_name="Intan Permata Sari"),
        NO,
        HPN,
        "",
        id="S7-two-of-three-words-is-not-a-name",
    ),
    # S8
    pytest.param(transcript("halo kak! " + hpn().lower() + " 🙏?"), YES, HPN, "", id="S8-case-emoji-prefix-suffix"),
    pytest.param(transcript(hpn().replace(",", "")), YES, HPN, "", id="S8-no-commas"),
    pytest.param(transcript(hpn().replace("Pagi,", "Pagi Bapak/Ibu,")), YES, HPN, "", id="S8-form-of-address"),
    pytest.param(
        transcript(hpn().replace("Pagi,", "Pagi sekali,")),
        NO,
        HPN,
        '"sekali" stands inside',
        id="S8-other-words-between",
    ),
    pytest.param(transcript(hpn().replace("Nasional", "Nasinal")), YES, HPN, "typo tolerated", id="S8-small-typo"),
    pytest.param(
        transcript(hpn().replace("Selamat Hari Pelanggan Nasional", "Slmt Hri Plgn Nasnl")),
        NO,
        HPN,
        'wrote "Slmt Hri Plgn Nasnl" where the greeting has "Selamat Hari Pelanggan Nasional"',
        id="S8-too-many-typos",
    ),
    pytest.param(transcript(hpn().replace("2023", "2022")), NO, HPN, "numbers must be exact", id="S8-wrong-year"),
    pytest.param(transcript(hpn().replace("123", "132")), NO, HPN, "numbers must be exact", id="S8-wrong-123"),
    pytest.param(transcript(hpn().replace("PLN 123", "PLN123")), YES, HPN, "", id="S8-number-joined-to-word"),
    pytest.param(transcript(hpn().replace("2023", "2O23")), NO, HPN, "", id="S8-letter-in-number"),
    pytest.param(transcript(hpn().replace("dengan", "dngan")), NO, HPN, 'missing phrase "dengan"', id="S8-short-exact"),
    pytest.param(transcript(hpn().replace(" dengan", "")), NO, HPN, 'missing phrase "dengan"', id="S8-missing-phrase"),
    pytest.param(transcript("Halo Kak, ada yang bisa dibantu?"), NO, HPN, "no standard greeting", id="S8-no-greeting"),
]


@pytest.mark.parametrize(("t", "result", "ref", "reason_part"), CASES)
def test_rules(policy, t, result, ref, reason_part):
    verdict = score_opening(policy, t)
    assert verdict.result == result, verdict.reason
    assert (verdict.directive.reference if verdict.directive else None) == ref
    assert reason_part in verdict.reason
    assert verdict.reason


def test_yes_keeps_the_matched_passage(policy):
    text = "Halo Kak Budi, " + hpn() + " 🙏"
    verdict = score_opening(policy, transcript(text))
    assert verdict.result == YES
    assert verdict.matched_passage == hpn()
    start, end = verdict.passage_span
    assert verdict.turn_text[start:end] == hpn()
    assert verdict.expected_greeting == hpn(name="Rina Marlina")


def test_no_reason_names_the_local_time_and_the_right_word(policy):
    verdict = score_opening(policy, transcript(std("Pagi"), at="2023-10-10T19:40:00", zone="WITA", channel="email"))
    assert verdict.result == NO
    assert verdict.reason.startswith('said "Pagi" but 19:40 WITA needs "Malam"')


@pytest.mark.parametrize(
    ("text", "at", "flagged"),
    [
        pytest.param(hpn(), "2023-09-12T10:00", True, id="S10-hpn-greeting-on-public-complaint"),
        pytest.param(std(), "2023-09-12T10:00", False, id="S10-standard-greeting-no-flag"),
        pytest.param(hpn(), "2023-10-12T10:00", False, id="S10-hpn-not-in-force-no-flag"),
    ],
)
def test_festive_greeting_on_public_complaint_is_flagged(policy, text, at, flagged):
    verdict = score_opening(
        policy, transcript(text, at=at, channel="social_media", visibility="public", category="Padam")
    )
    assert verdict.result == NA
    assert (FLAG_FESTIVE_ON_PUBLIC in verdict.flags) is flagged


def test_registered_alias_is_accepted(policy, db):
    """S7: an alias registered for the CSO counts as their name."""
    from common.users import system_user
    from policy.models import CSO
    from policy.selectors import policy_snapshot
    from policy.services import save_with_history

    save_with_history(
        CSO(cso_id="CSO-001", full_name="Rina Marlina", aliases="Ririn"), user=system_user(), reason="test"
    )
    fresh = policy_snapshot()
    assert score_opening(fresh, transcript(hpn(name="Ririn"), cso_id="CSO-001")).result == YES
    assert score_opening(policy, transcript(hpn(name="Ririn"), cso_id="CSO-001")).result == NO


def test_provenance_names_directive_and_version(policy):
    """S11: the verdict carries the rule, its version and its history row."""
    verdict = score_opening(policy, transcript(hpn()))
    assert verdict.directive.reference == HPN
    assert verdict.directive.version == 1
    assert verdict.directive.history_id is not None
    assert verdict.local.isoformat() == "2023-09-10T08:15:00+07:00"
    assert verdict.zone_label == "WIB"
