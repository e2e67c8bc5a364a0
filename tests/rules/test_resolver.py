"""The resolver: what is owed when (rules S1, S3-S7), on plain data (no database)."""

import datetime as dt

import pytest

from rules.resolver import PolicyError, expected_greeting

HPN = "SOP-PLN123-HPN2023"
STD = "SOP-PLN123-STD"
HPN_GREETING = (
    "PLN 123 selamat {w}, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, dengan Rina bisa dibantu"
)
STD_GREETING = "PLN 123 Selamat {w}, dengan Rina Bisa Dibantu"


def at(text):
    return dt.datetime.fromisoformat(text)


# The worked examples of docs/rules.md, as the resolver answers them.
WORKED = [
    pytest.param("2023-09-10T08:15", "WIB", "live_chat", "private", None, True, HPN, "Pagi", id="S4-hpn-live-chat"),
    pytest.param("2023-09-10T19:40", "WITA", "email", "private", None, True, HPN, "Malam", id="S6-email-malam"),
    pytest.param("2023-09-30T15:30:00Z", "WIT", "live_chat", "private", None, True, STD, "Malam", id="S4-over-in-WIT"),
    pytest.param("2023-09-30T15:30:00Z", "WIB", "live_chat", "private", None, True, HPN, "Malam", id="S4-still-in-WIB"),
    pytest.param("2023-09-12T10:00", "WIB", "social_media", "public", "Padam", False, HPN, None, id="S5-public-padam"),
    pytest.param(
        "2023-09-12T10:00", "WIB", "social_media", "public", "Informasi", True, HPN, "Pagi", id="S5-public-info"
    ),
    pytest.param("2023-09-12T10:00", "WIB", "voice", "private", None, True, STD, "Pagi", id="S4-voice-baseline"),
]


@pytest.mark.parametrize(("when", "zone", "channel", "visibility", "category", "owed", "ref", "word"), WORKED)
def test_worked_examples(policy, when, zone, channel, visibility, category, owed, ref, word):
    answer = expected_greeting(
        policy, channel=channel, at=at(when), timezone=zone, visibility=visibility, category=category, cso_name="Rina"
    )
    assert answer.owed is owed
    assert answer.directive.reference == ref
    if owed:
        template = HPN_GREETING if ref == HPN else STD_GREETING
        assert answer.greeting == template.format(w=word)
        assert answer.parameter.code == "1.1"


# Both ends of the HPN window, in each zone, given as local time and as UTC.
WINDOW = []
for zone, offset in (("WIB", 7), ("WITA", 8), ("WIT", 9)):
    WINDOW += [
        pytest.param("2023-09-03T23:59:59", zone, STD, id=f"{zone}-last-second-before"),
        pytest.param("2023-09-04T00:00:00", zone, HPN, id=f"{zone}-first-second"),
        pytest.param("2023-09-30T23:59:59", zone, HPN, id=f"{zone}-last-second"),
        pytest.param("2023-10-01T00:00:00", zone, STD, id=f"{zone}-first-second-after"),
        pytest.param(
            (dt.datetime(2023, 9, 4) - dt.timedelta(hours=offset)).isoformat() + "+00:00",
            zone,
            HPN,
            id=f"{zone}-start-as-utc",
        ),
        pytest.param(
            (dt.datetime(2023, 10, 1) - dt.timedelta(hours=offset)).isoformat() + "+00:00",
            zone,
            STD,
            id=f"{zone}-end-as-utc",
        ),
    ]


@pytest.mark.parametrize(("when", "zone", "ref"), WINDOW)
def test_hpn_window_is_local_time_in_each_zone(policy, when, zone, ref):
    answer = expected_greeting(policy, channel="live_chat", at=at(when), timezone=zone)
    assert answer.directive.reference == ref


def test_iana_names_and_default_zone(policy):
    """S1: IANA names work like the aliases; a missing zone is Asia/Jakarta."""
    instant = at("2023-09-03T17:30:00+00:00")  # 2023-09-04 00:30 in Jakarta
    assert expected_greeting(policy, channel="email", at=instant, timezone="Asia/Jakarta").directive.reference == HPN
    assert expected_greeting(policy, channel="email", at=instant, timezone=None).directive.reference == HPN
    assert expected_greeting(policy, channel="email", at=instant, timezone="Asia/Jayapura").directive.reference == HPN
    earlier = at("2023-09-03T16:30:00+00:00")  # 23:30 WIB on 3 Sep, 01:30 WIT on 4 Sep
    assert expected_greeting(policy, channel="email", at=earlier, timezone="WIB").directive.reference == STD
    assert expected_greeting(policy, channel="email", at=earlier, timezone="Asia/Jayapura").directive.reference == HPN


BANDS = [
    ("03:59", "Malam"),
    ("04:00", "Pagi"),
    ("10:59", "Pagi"),
    ("11:00", "Siang"),
    ("14:59", "Siang"),
    ("15:00", "Sore"),
    ("17:59", "Sore"),
    ("18:00", "Malam"),
    ("23:59", "Malam"),
    ("00:00", "Malam"),
]


@pytest.mark.parametrize(("clock", "word"), BANDS, ids=[f"S6-{c}-{w}" for c, w in BANDS])
def test_time_of_day_boundaries(policy, clock, word):
    answer = expected_greeting(policy, channel="voice", at=at(f"2023-11-02T{clock}:30"), timezone="WITA")
    assert answer.band.word == word
    assert f"Selamat {word}," in answer.greeting


@pytest.mark.parametrize("channel", ["live_chat", "email", "social_media"])
def test_digital_channels_get_the_hpn_greeting_voice_does_not(policy, channel):
    moment = at("2023-09-15T10:00")
    assert expected_greeting(policy, channel=channel, at=moment, timezone="WITA").directive.reference == HPN
    assert expected_greeting(policy, channel="voice", at=moment, timezone="WITA").directive.reference == STD


AUDIENCE = [
    pytest.param("private", None, True, True, id="private-owed"),
    pytest.param("private", "Padam", True, True, id="private-complaint-owed"),
    pytest.param("public", "Informasi", True, True, id="public-informasi-owed"),
    pytest.param("public", "informasi", True, True, id="public-informasi-any-case"),
    pytest.param("public", "Keluhan", True, False, id="public-complaint-exempt"),
    pytest.param("public", "", True, False, id="public-no-category-exempt"),
    pytest.param("private", None, False, False, id="follow-up-exempt"),
]


@pytest.mark.parametrize(("visibility", "category", "first_contact", "owed"), AUDIENCE)
@pytest.mark.parametrize("when", ["2023-09-15T10:00", "2023-10-15T10:00"], ids=["in-window", "baseline"])
def test_audience_rule(policy, visibility, category, first_contact, owed, when):
    """S5: the same audience rule under the directive and the baseline."""
    answer = expected_greeting(
        policy,
        channel="social_media",
        at=at(when),
        timezone="WIB",
        visibility=visibility,
        category=category,
        first_contact=first_contact,
    )
    assert answer.owed is owed
    if not owed:
        assert answer.greeting is None or answer.as_json()["greeting"] is None
        assert answer.reason


def test_public_on_a_channel_without_public_posts_is_an_error(policy):
    with pytest.raises(PolicyError, match="no public posts"):
        expected_greeting(policy, channel="email", at=at("2023-09-15T10:00"), visibility="public")


def test_unknown_zone_and_channel_are_errors(policy):
    with pytest.raises(PolicyError, match="unknown time zone"):
        expected_greeting(policy, channel="email", at=at("2023-09-15T10:00"), timezone="Mars/Olympus")
    with pytest.raises(PolicyError, match="unknown channel"):
        expected_greeting(policy, channel="fax", at=at("2023-09-15T10:00"))
