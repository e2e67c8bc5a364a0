"""Login lockout behind the TLS proxy: the client's address comes from X-Forwarded-For
only when the request comes from a trusted proxy; an account locked at one address
stays open from the others; many user names from one address are stopped too; the
lockout page says what to do."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

PASSWORD = "a sound pass phrase 2023"
PROXY = "127.0.0.1"  # nginx on the web machine, as in docs/deployment.md
X, Y = "203.0.113.7", "198.51.100.9"  # two clients on the internet


@pytest.fixture
def behind_proxy(db, settings):
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    get_user_model().objects.create_user("alice", password=PASSWORD, is_staff=True)
    get_user_model().objects.create_user("bob", password=PASSWORD, is_staff=True)


def login(username: str, password: str, *, client_address: str | None, forwarded: str | None = None):
    """A login POST as it reaches Django: from the proxy with the client's address in
    X-Forwarded-For (``client_address``), or straight from ``forwarded=None`` peers."""
    extra = {"REMOTE_ADDR": PROXY}
    if client_address is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded or client_address
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}, **extra
    )
    return response, client


def test_five_wrong_guesses_from_one_client_do_not_lock_the_account_for_another(behind_proxy, settings):
    """GIVEN the site behind a trusted proxy
    WHEN someone at client X guesses alice's password wrong AXES_FAILURE_LIMIT times
    THEN alice is locked out at X (even with the right password), with a page saying
    what to do, and logs in from client Y as usual."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login("alice", "wrong", client_address=X)[0].status_code == 200
    locked, _ = login("alice", "wrong", client_address=X)
    assert locked.status_code == 429
    again, client = login("alice", PASSWORD, client_address=X)
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    page = again.content.decode()
    assert "Logging in as <strong>alice</strong> from here is locked" in page
    assert "You can try again at" in page and "What to do" in page and "Other users are not affected" in page

    elsewhere, client = login("alice", PASSWORD, client_address=Y)
    assert elsewhere.status_code == 302 and client.session["_auth_user_id"]
    assert login("bob", PASSWORD, client_address=X)[0].status_code == 302


def test_a_guess_from_behind_the_proxy_counts_against_the_forwarded_address(behind_proxy):
    login("alice", "wrong", client_address=X)
    # A client writing its own X-Forwarded-For: the proxy appends the real address,
    # which is the one counted; what the client wrote is ignored.
    login("alice", "wrong", client_address=Y, forwarded=f"10.9.8.7, {Y}")
    assert sorted(AccessAttempt.objects.values_list("ip_address", flat=True)) == sorted([X, Y])


def test_the_header_is_ignored_unless_the_request_comes_from_a_trusted_proxy(db, settings):
    get_user_model().objects.create_user("alice", password=PASSWORD, is_staff=True)
    client = Client()
    url = reverse("admin:login")
    settings.TRUSTED_PROXIES = []  # the default: no proxy trusted
    client.post(url, {"username": "alice", "password": "wrong"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=X)
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    client.post(url, {"username": "alice", "password": "wrong"}, REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR=Y)
    assert sorted(AccessAttempt.objects.values_list("ip_address", flat=True)) == sorted([PROXY, "192.0.2.50"])


def test_many_usernames_from_one_address_are_throttled(behind_proxy, settings):
    """GIVEN the site behind a trusted proxy
    WHEN client X tries one wrong password for each of many user names
    THEN below PLN123_LOGIN_ADDRESS_FAILURE_LIMIT nothing is locked (and a good login
    from X does not clear the count), at the limit every login from X is refused with a
    page saying so, and client Y logs in as usual."""
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    for i in range(limit - 2):
        assert login(f"guess{i}", "wrong", client_address=X)[0].status_code == 200
    assert login("alice", PASSWORD, client_address=X)[0].status_code == 302
    assert login(f"guess{limit - 2}", "wrong", client_address=X)[0].status_code == 200
    throttled, _ = login(f"guess{limit - 1}", "wrong", client_address=X)
    assert throttled.status_code == 429

    refused, client = login("bob", PASSWORD, client_address=X)
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    page = refused.content.decode()
    assert "Logging in from your network address is locked" in page and "What to do" in page
    assert login("bob", PASSWORD, client_address=Y)[0].status_code == 302


def test_trusted_proxies_setting_is_checked(monkeypatch):
    from config.env import env_networks

    monkeypatch.setenv("PLN123_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8, ::1")
    assert env_networks("PLN123_TRUSTED_PROXIES") == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    monkeypatch.setenv("PLN123_TRUSTED_PROXIES", "127.0.0.1, nginx")
    with pytest.raises(ImproperlyConfigured, match="'nginx' is not an IP address or network"):
        env_networks("PLN123_TRUSTED_PROXIES")
