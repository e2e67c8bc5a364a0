"""The audit trail's address: its own, and the old one under the directive admin."""

from django.urls import reverse


def test_the_old_address_of_the_audit_trail_leads_to_it_with_its_query(admin_client):
    response = admin_client.get("/admin/policy/directive/audit-trail/?start=2024-01-01&end=2024-01-02")
    assert response.status_code == 302
    assert response["Location"] == reverse("audit:trail") + "?start=2024-01-01&end=2024-01-02"


def test_the_audit_trail_asks_an_anonymous_visitor_to_log_in(client):
    response = client.get(reverse("audit:trail"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
