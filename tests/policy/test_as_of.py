"""The policy as it stood at a moment, rebuilt from the audit history (issue: audit review)."""

import datetime as dt

import pytest
from django.utils import timezone

from common.users import system_user
from policy.models import Directive, GreetingTemplate
from policy.selectors import policy_snapshot
from policy.services import directive_record_change, directive_withdraw, save_with_history
from rules.resolver import expected_greeting

WHEN = dt.datetime(2023, 9, 15, 10, 0)


def owed(policy, channel="live_chat"):
    return expected_greeting(policy, channel=channel, at=WHEN, timezone="WITA", cso_name="Rina")


def test_snapshot_as_of_a_moment_shows_the_old_template_and_version(seeded):
    user = system_user()
    before = timezone.now()
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    template = hpn.templates.get()
    template.text = template.text.replace("Senyum Pelanggan PLN 2023", "Senyum Pelanggan PLN 2023 Terang")
    save_with_history(template, user=user, reason="add the campaign word")
    directive_record_change(directive=hpn, user=user, reason="template corrected")

    then = owed(policy_snapshot(as_of=before))
    now = owed(policy_snapshot())
    assert then.directive.version == 1 and now.directive.version == 2
    assert "Terang" not in then.greeting
    assert "Terang" in now.greeting
    assert then.directive.history_id < now.directive.history_id


def test_withdrawn_later_still_counts_as_of_before(seeded):
    before = timezone.now()
    directive_withdraw(directive=Directive.objects.get(reference="SOP-PLN123-HPN2023"), user=system_user(), reason="x")
    assert owed(policy_snapshot(as_of=before)).directive.reference == "SOP-PLN123-HPN2023"
    assert owed(policy_snapshot()).directive.reference == "SOP-PLN123-STD"


def test_channels_as_they_stood(seeded):
    before = timezone.now()
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    hpn.channels.remove(*hpn.channels.filter(code="live_chat"))
    directive_record_change(directive=hpn, user=system_user(), reason="live chat out")
    assert owed(policy_snapshot(as_of=before)).directive.reference == "SOP-PLN123-HPN2023"
    assert owed(policy_snapshot()).directive.reference == "SOP-PLN123-STD"
    assert owed(policy_snapshot(), channel="email").directive.reference == "SOP-PLN123-HPN2023"


@pytest.mark.django_db
def test_before_anything_existed_is_a_clear_error(seeded):
    from rules.resolver import PolicyError

    with pytest.raises(PolicyError, match="no published baseline on 2000-01-01"):
        policy_snapshot(as_of=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert GreetingTemplate.objects.count() == 2
