"""Exhaustive checks over plain data: every minute of a day (S6) and every hour around
the HPN window (S1, S4), in each zone, through the resolver and through the engine.
Thousands of cases in well under a second, because nothing here touches a database."""

import datetime as dt

import pytest

from rules.engine import score_opening
from rules.resolver import expected_greeting
from rules.transcript import MessageIn, TranscriptIn
from rules.vocabulary import Result

ZONES = {"WIB": 7, "WITA": 8, "WIT": 9}
DAY = dt.datetime(2023, 11, 2)


def word_for(minute_of_day: int) -> str:
    """The bands of the memo, written independently of the resolver (S6)."""
    hour = minute_of_day // 60
    if 4 <= hour < 11:
        return "Pagi"
    if 11 <= hour < 15:
        return "Siang"
    if 15 <= hour < 18:
        return "Sore"
    return "Malam"


def std(word: str) -> str:
    return f"PLN 123 Selamat {word}, dengan Rina Bisa Dibantu"


def voice_call(text: str, moment: dt.datetime, zone: str) -> TranscriptIn:
    return TranscriptIn(
        external_id="T",
        channel="voice",
        cso_name="Rina Marlina",
        timezone=zone,
        messages=(MessageIn(moment, "cso", text),),
    )


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_every_minute_of_the_day_has_the_right_word(policy, zone):
    wrong = []
    for minute in range(24 * 60):
        moment = DAY + dt.timedelta(minutes=minute, seconds=59)
        answer = expected_greeting(policy, channel="voice", at=moment, timezone=zone, cso_name="Rina")
        if answer.band.word != word_for(minute) or answer.greeting != std(word_for(minute)):
            wrong.append(f"{moment:%H:%M:%S} {zone}: {answer.band.word}")
    assert wrong == []


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_the_engine_agrees_at_every_quarter_hour(policy, zone):
    """The right word is YES, each other band's word is NO naming the right one."""
    problems = []
    for minute in range(0, 24 * 60, 15):
        moment = DAY + dt.timedelta(minutes=minute)
        owed = word_for(minute)
        for said in ("Pagi", "Siang", "Sore", "Malam"):
            verdict = score_opening(policy, voice_call(std(said), moment, zone))
            expected = Result.YES if said == owed else Result.NO
            if verdict.result != expected or (expected == Result.NO and f'needs "{owed}"' not in verdict.reason):
                problems.append(f"{moment:%H:%M} {zone} said {said}: {verdict.result} {verdict.reason}")
    assert problems == []


@pytest.mark.parametrize("channel", ["voice", "live_chat", "email", "social_media"])
def test_every_hour_around_the_window_in_every_zone(policy, channel):
    """S1/S4: the window is local wall-clock time; each UTC hour is judged per zone."""
    problems = []
    start = dt.datetime(2023, 9, 3, 0, tzinfo=dt.UTC)
    for hours in list(range(0, 48)) + list(range(26 * 24, 29 * 24)):
        instant = start + dt.timedelta(hours=hours, minutes=30)
        for zone, offset in ZONES.items():
            local = (instant + dt.timedelta(hours=offset)).replace(tzinfo=None)
            inside = dt.datetime(2023, 9, 4) <= local <= dt.datetime(2023, 9, 30, 23, 59, 59)
            want = "SOP-PLN123-HPN2023" if inside and channel != "voice" else "SOP-PLN123-STD"
            got = expected_greeting(policy, channel=channel, at=instant, timezone=zone).directive.reference
            if got != want:
                problems.append(f"{instant:%Y-%m-%d %H:%M}Z in {zone} on {channel}: {got}")
    assert problems == []
