"""The audit trail and the preview's answers about the past."""

import csv
import io

from django.urls import reverse
from django.utils import timezone

from common.users import system_user
from policy.models import Channel, Directive
from policy.services import directive_record_change


def test_channel_changes_read_as_codes_in_the_trail(seeded, admin_client):
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    hpn.channels.remove(Channel.objects.get(code="live_chat"))
    directive_record_change(directive=hpn, user=system_user(), reason="live chat out")
    today = timezone.localdate().isoformat()
    response = admin_client.get(reverse("audit:trail"), {"start": today, "end": today, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    changes = " ".join(r["changes"] for r in rows if r["object"] == "SOP-PLN123-HPN2023")
    assert "email, live_chat, social_media -> email, social_media" in changes
    assert "<Channel" not in changes and "{" not in changes


def test_audit_trail_refuses_a_range_ending_before_it_starts_and_survives_far_dates(seeded, admin_client):
    url = reverse("audit:trail")
    bad = admin_client.get(url, {"start": "2024-01-02", "end": "2024-01-01"})
    assert bad.status_code == 200 and "ends before it starts" in bad.content.decode()
    far = admin_client.get(url, {"start": "0001-01-01", "end": "9999-12-31"})
    assert far.status_code == 200 and "out of range" in far.content.decode()


def test_preview_as_it_stood_before_the_history_began_says_so(seeded, admin_client):
    question = {
        "channel": "live_chat",
        "date": "2023-09-15",
        "time": "10:00",
        "timezone": "WITA",
        "visibility": "private",
        "first_contact": "on",
        "element": "opening",
        "as_it_stood": "on",
    }
    page = admin_client.get(reverse("admin:policy_directive_preview"), question).content.decode()
    assert "The audit history of the policy begins on" in page
    assert "is not recorded" in page


def test_preview_ignores_a_bad_directive_id(seeded, admin_client):
    assert admin_client.get(reverse("admin:policy_directive_preview"), {"directive": "abc"}).status_code == 200
