"""Login lockout (django-axes) that works behind the TLS proxy of docs/deployment.md.

- :func:`client_ip`: the client's address is ``REMOTE_ADDR``; only when that is one of
  ``settings.TRUSTED_PROXIES`` (``PLN123_TRUSTED_PROXIES``) is ``X-Forwarded-For`` read,
  from the right, skipping the trusted proxies, so a client cannot choose its address
  by sending the header itself.
- :class:`LockoutHandler`: two counts over the cool-off, an account at one address
  (``PLN123_LOGIN_FAILURE_LIMIT``) and one address over every account
  (``PLN123_LOGIN_ADDRESS_FAILURE_LIMIT``), so guessing many usernames from one address
  is stopped too, and a locked account stays open from every other address.
- :func:`lockout_response`: the page that says which lock it is, until when, and what
  to do.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from functools import lru_cache

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib import admin
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


# --- the client's address --------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(n) for n in trusted)


def _address(text: str):
    """An address as a proxy writes it (``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:443``)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address a login attempt is counted against (``AXES_CLIENT_IP_CALLABLE``)."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    peer = _address(remote)
    if not networks or peer is None or not any(peer in n for n in networks):
        return remote  # not from a trusted proxy: its header could say anything
    client = peer
    # Each proxy appends the address it was reached from; the first untrusted one
    # from the right is the client. Anything left of it was written by the client.
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        found = _address(hop)
        if found is None:
            if hop.strip():
                logger.warning("X-Forwarded-For from trusted proxy %s holds %r, not an address", remote, hop.strip())
            break
        client = found
        if not any(found in n for n in networks):
            break
    return str(client)


# --- the two counts --------------------------------------------------------------------


class LockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with two limits. ``AXES_LOCKOUT_PARAMETERS`` is
    ``[["username", "ip_address"], "ip_address"]``: the account at this address, then
    the address over every account."""

    def failure_counts(self, request, credentials=None) -> tuple[int, int]:
        account, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        return account, address

    def get_failures(self, request, credentials=None) -> int:
        # axes compares one number with AXES_FAILURE_LIMIT; the address count is scaled
        # to it, so that it reaches that limit exactly when it reaches its own:
        # floor(a * u / A) >= u  <=>  a >= A  (A >= u, checked in the settings).
        account, address = self.failure_counts(request, credentials)
        account_limit = settings.AXES_FAILURE_LIMIT
        return max(account, address * account_limit // settings.LOGIN_ADDRESS_FAILURE_LIMIT)

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A good login clears that account's failures at this address only: one valid
        # password must not reset the count of guesses at other accounts.
        account_attempts = self.filter_user_attempts(request, credentials)[0]
        count, _ = account_attempts.delete()
        return count


# --- the page --------------------------------------------------------------------------


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page (``AXES_LOCKOUT_CALLABLE``): which lock, until when, what to do."""
    handler = LockoutHandler()
    account, address = handler.failure_counts(request, credentials)
    whole_address = account < settings.AXES_FAILURE_LIMIT and address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
    account_attempts, address_attempts = handler.get_user_attempts(request, credentials)
    latest = (address_attempts if whole_address else account_attempts).aggregate(t=Max("attempt_time"))["t"]
    cool_off = get_cool_off(request)
    until = (latest or timezone.now()) + cool_off if cool_off else None
    context = {
        **admin.site.each_context(request),
        "title": _("Login locked"),
        "username": get_client_username(request, credentials) or "",
        "whole_address": whole_address,
        "until": timezone.localtime(until) if until else None,
        "minutes": max(1, math.ceil((until - timezone.now()).total_seconds() / 60)) if until else None,
    }
    return render(request, "admin/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
