"""The history page: each row shows the fields changed old -> new, who and why."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from policy.models import CSO, Directive
from policy.seed import HPN_OPENING
from tests.factories import CSOFactory, SuperUserFactory, changeform_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def pusat(seeded):
    return SuperUserFactory(username="pusat", first_name="Dewi", last_name="Pusat")


@pytest.fixture
def admin_client(client, pusat):
    client.force_login(pusat)
    return client


def edit(client, obj, **overrides):
    url = reverse(f"admin:policy_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.post(url, changeform_data(client.get(url), **overrides))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    return response


def history_page(client, obj) -> str:
    url = reverse(f"admin:policy_{obj._meta.model_name}_history", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_directive_history_shows_fields_old_new_user_reason_and_version(admin_client):
    """GIVEN the seeded HPN directive
    WHEN Pusat changes its priority and typo tolerance, then its template, each with a reason
    THEN its history page lists both changes, field by field, old -> new, with Pusat, the
    reasons and the versions, and the template change appears in the content section."""
    directive = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    edit(admin_client, directive, priority="3", typo_ratio="0.20", change_reason="Stricter review for HPN")
    new_text = HPN_OPENING.replace("bisa dibantu", "ada yang bisa dibantu")
    edit(admin_client, directive, change_reason="Wording from the memo", **{"templates-0-text": new_text})

    body = history_page(admin_client, directive)
    assert "Stricter review for HPN" in body
    assert "Wording from the memo" in body
    assert _arrow(body, "Priority: 0", "3")
    assert _arrow(body, "Typo ratio: 0.10", "0.20")
    assert "pusat" in body
    # the versions column
    assert "<td>3</td>" in body and "<td>2</td>" in body
    # the content section: the template's text old -> new, with who and why
    assert "Greeting templates and time bands of this document" in body
    assert _arrow(body, f"Text: {HPN_OPENING}", new_text)
    assert "Seeded from the SOP memo" in body


def _arrow(body: str, old: str, new: str) -> bool:
    """Whether the page shows a change ``old -> new`` (whitespace-insensitive)."""
    flat = " ".join(html.unescape(strip_tags(body)).split())
    return f"{old} → {new}" in flat


def test_history_rows_carry_user_and_reason(admin_client, pusat):
    directive = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    edit(admin_client, directive, title="HPN 2023", change_reason="Shorter title")
    latest = directive.history.latest()
    delta = latest.diff_against(latest.prev_record)
    assert delta.changed_fields == ["title"]
    assert (latest.history_user, latest.history_change_reason, latest.version) == (pusat, "Shorter title", 2)


def test_cso_history_page_shows_change(admin_client):
    cso = CSOFactory(cso_id="CSO0001", full_name="Rina Marlina")
    edit(admin_client, cso, full_name="Rina Marlina Sari", change_reason="Name as on her ID card")
    body = history_page(admin_client, CSO.objects.get(pk=cso.pk))
    assert _arrow(body, "Full name: Rina Marlina", "Rina Marlina Sari")
    assert "Name as on her ID card" in body
    assert "pusat" in body


def test_directive_cannot_be_reverted_from_the_history_page(admin_client):
    directive = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    record = directive.history.earliest()
    url = reverse("admin:policy_directive_simple_history", args=[directive.pk, record.history_id])
    assert admin_client.get(url).status_code == 200
    rows_before = directive.history.count()
    response = admin_client.post(url, {"title": "reverted"})
    assert response.status_code == 302
    directive.refresh_from_db()
    assert directive.history.count() == rows_before and directive.title != "reverted"
