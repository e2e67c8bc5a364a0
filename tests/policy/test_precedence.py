"""One order of overlapping documents (rule S4, rules.snapshot.precedence_key): the
overlap warning, the resolver and the policy as it stood all name the same winner."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from common.users import system_user
from policy.choices import DirectiveStatus
from policy.models import Channel, Directive
from policy.selectors import policy_snapshot
from policy.services import directive_overlap_warnings, directive_publish
from rules.resolver import expected_greeting
from tests.factories import BaselineFactory, DirectiveFactory, GreetingTemplateFactory

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2023, 12, 22, 9, 0)


def published_twins() -> tuple[Directive, Directive]:
    """Two directives on live chat over the same days, same priority, published at the
    same instant: only their ids tell them apart."""
    live_chat = Channel.objects.get(code="live_chat")
    twins = []
    for name in ("TWIN-A", "TWIN-B"):
        directive = DirectiveFactory(reference=f"SOP-PLN123-{name}", channels=[live_chat], priority=3)
        GreetingTemplateFactory(directive=directive, text=f"PLN 123 Selamat {{waktu}}, {name}, dengan {{nama_cso}}")
        directive_publish(directive=directive, user=system_user())
        twins.append(directive)
    instant = timezone.now()
    Directive.objects.filter(pk__in=[d.pk for d in twins]).update(published_at=instant)
    for directive in twins:
        directive.refresh_from_db()
    return twins[0], twins[1]


def test_overlap_warning_names_the_winner_the_resolver_picks_on_a_tie(seeded):
    """GIVEN two published directives that overlap and tie on priority and publication
    WHEN the overlap is reported from either side, and the resolver is asked
    THEN all name the one with the higher id."""
    older, newer = published_twins()
    answer = expected_greeting(policy_snapshot(), channel="live_chat", at=MOMENT, timezone="WIB")
    assert answer.directive.reference == newer.reference
    for directive in (older, newer):
        (warning,) = directive_overlap_warnings(directive=directive)
        assert f"{newer.reference} wins" in warning, warning


def test_the_policy_as_it_stood_names_the_same_winner(seeded):
    """GIVEN the tied twins
    WHEN the policy is read as it stands and as it stood a moment later
    THEN both list the directives in the same order, winner first, and the as-of
    answer names the winner of the overlap warning."""
    older, newer = published_twins()
    later = timezone.now() + dt.timedelta(seconds=1)
    now, then = policy_snapshot(), policy_snapshot(as_of=later)
    assert [d.reference for d in now.directives][:2] == [newer.reference, older.reference]
    assert [d.reference for d in then.directives] == [d.reference for d in now.directives]
    as_of_answer = expected_greeting(then, channel="live_chat", at=MOMENT, timezone="WIB")
    assert as_of_answer.directive.reference == newer.reference
    (warning,) = directive_overlap_warnings(directive=older)
    assert f"{newer.reference} wins" in warning


def test_a_document_without_publication_instant_sorts_as_latest_now_and_as_of(seeded):
    """GIVEN a second published baseline with no publication instant (as a direct
    write may leave it) beside the seeded one
    WHEN the policy is read as it stands and as it stood a moment later
    THEN both choose it, as precedence_key sorts "not published" as the latest
    (before, the database's NULL order decided the current reading)."""
    unstamped = BaselineFactory(reference="SOP-PLN123-BASE-UNSTAMPED", status=DirectiveStatus.PUBLISHED)
    assert unstamped.published_at is None
    later = timezone.now() + dt.timedelta(seconds=1)
    assert policy_snapshot().baseline.reference == unstamped.reference
    assert policy_snapshot(as_of=later).baseline.reference == unstamped.reference
