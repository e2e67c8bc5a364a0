"""Rule S4 when directives overlap: one order (higher priority, then the later
publication, then the higher id) decides, and a CSO who used the greeting of the
directive that lost is told which directive overrides it."""

import datetime as dt

import pytest

from rules.engine import score_opening
from rules.resolver import expected_greeting
from rules.snapshot import precedence_key
from rules.transcript import MessageIn, TranscriptIn
from rules.vocabulary import Result
from tests.rules.snapshots import directive, with_directives

HPN = "SOP-PLN123-HPN2023"
HEMAT = "PLN 123 Selamat {waktu}, Salam Hemat Energi, dengan {nama_cso} siap membantu"
HPN_TEXT = "PLN 123 selamat Pagi, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, dengan Rina bisa dibantu"
LATER = dt.datetime(2023, 8, 20, tzinfo=dt.UTC)


def chat(text: str, at: str = "2023-09-16T08:15:00") -> TranscriptIn:
    moment = dt.datetime.fromisoformat(at)
    return TranscriptIn(
        external_id="T-1",
        channel="live_chat",
        cso_name="Rina Marlina",
        timezone="WIB",
        messages=(
            MessageIn(moment - dt.timedelta(minutes=1), "customer", "Halo"),
            MessageIn(moment, "cso", text),
        ),
    )


def hemat(**kwargs):
    return directive("SOP-PLN123-HEMAT", HEMAT, start=dt.date(2023, 9, 15), end=dt.date(2023, 9, 20), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "winner"),
    [
        pytest.param({"priority": 5}, "SOP-PLN123-HEMAT", id="S4-higher-priority-wins"),
        pytest.param({"priority": -1, "published_at": LATER}, HPN, id="S4-priority-before-publication"),
        pytest.param({"published_at": LATER}, "SOP-PLN123-HEMAT", id="S4-same-priority-later-publication-wins"),
        pytest.param({}, "SOP-PLN123-HEMAT", id="S4-full-tie-higher-id-wins"),
    ],
)
def test_the_one_order_decides(policy, kwargs, winner):
    both = with_directives(policy, hemat(**kwargs))
    answer = expected_greeting(both, channel="live_chat", at=dt.datetime(2023, 9, 16, 8, 15), timezone="WIB")
    assert answer.directive.reference == winner
    assert [d.reference for d in answer.overlapping] == [{HPN, "SOP-PLN123-HEMAT"}.difference({winner}).pop()]
    ranked = sorted(both.directives, key=lambda d: d.precedence(), reverse=True)
    assert ranked[0].reference == winner


def test_outside_the_overlap_each_decides_alone(policy):
    both = with_directives(policy, hemat(priority=5))
    answer = expected_greeting(both, channel="live_chat", at=dt.datetime(2023, 9, 21, 8, 15), timezone="WIB")
    assert answer.directive.reference == HPN and answer.overlapping == ()


def test_a_draft_about_to_be_published_sorts_as_the_latest():
    published = precedence_key(priority=0, published_at=LATER, ident=9)
    draft = precedence_key(priority=0, published_at=None, ident=1)
    assert draft > published
    assert precedence_key(priority=1, published_at=LATER, ident=1) > draft


def test_the_greeting_that_lost_is_named_with_the_directive_that_overrides_it(policy):
    """GIVEN HEMAT (priority 5) and HPN both in force on 16 September
    WHEN the CSO uses the HPN greeting
    THEN NO, and the reason names HEMAT as overriding HPN, not "outside its window"."""
    both = with_directives(policy, hemat(priority=5))
    verdict = score_opening(both, chat(HPN_TEXT))
    assert verdict.result == Result.NO
    assert verdict.directive.reference == "SOP-PLN123-HEMAT"
    assert verdict.reason.startswith(f"used the greeting of {HPN}, but at 2023-09-16 08:15 WIB SOP-PLN123-HEMAT v1")
    assert "overrides it on live_chat" in verdict.reason
    assert "outside its window" not in verdict.reason


def test_after_the_overlap_the_old_greeting_is_outside_its_window(policy):
    both = with_directives(policy, hemat(priority=5))
    verdict = score_opening(both, chat(HPN_TEXT, at="2023-10-02T08:15:00"))
    assert verdict.result == Result.NO
    assert f"used the greeting of {HPN} outside its window" in verdict.reason
