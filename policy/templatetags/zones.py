"""Times as PLN staff read them: dd/mm/yyyy, 24-hour clock and the regional zone name.

``{% load zones %}`` then ``{{ moment|with_zone }}`` (in the site zone) or
``{{ moment|with_zone:"Asia/Makassar" }}``: "31/10/2023 08:15 WITA". The
abbreviations are the policy's time zone aliases (admin: Time zone aliases)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template
from django.conf import settings
from django.utils import formats, timezone

from policy.selectors import zone_abbreviation

register = template.Library()


@register.filter
def zone_name(zone: str) -> str:
    """WIB, WITA or WIT for an IANA zone name that has an alias, else the name itself."""
    return zone_abbreviation(str(zone or settings.TIME_ZONE))


@register.filter
def with_zone(moment, zone: str = ""):
    """An aware datetime in ``zone`` (the site zone when empty) with its abbreviation."""
    if not isinstance(moment, dt.datetime):
        return moment
    name = zone or settings.TIME_ZONE
    try:
        target = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        target, name = timezone.get_default_timezone(), settings.TIME_ZONE
    local = timezone.localtime(moment, target) if timezone.is_aware(moment) else moment
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {zone_abbreviation(name)}"
