"""Typed readers for the environment: the only place settings read ``os.environ``.

Each helper fails loudly, naming the variable, when a value is present but wrong
(healthchecks ``hc/settings.py`` and paperless-ngx ``settings/parsers.py`` style).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"Environment variable {name} must be set.")
        return default if default is not None else ""
    return value


def env_choice(name: str, default: str, choices: list[str]) -> str:
    """One of a few known values (a language code, say), else a message naming them."""
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of {', '.join(choices)}.")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"Environment variable {name}={raw!r} is not a boolean (use true/false).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str] | None = None, *, required: bool = False) -> list[str]:
    raw = env_str(name, required=required)
    if not raw:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_timezone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not an IANA time zone.") from None
    return value


# SQLite on every connection: WAL, so readers (a worker loading its next chunk) never
# wait for a writer and a writer never waits for readers; synchronous=NORMAL, which in
# WAL cannot corrupt the file and may lose only the last commits on a power cut (a chunk
# whose commit is lost is still claimed, so it is scored again). BEGIN IMMEDIATE takes
# the write lock at the start of a transaction, so two writers queue on the busy
# timeout (seconds) instead of failing half-way with "database is locked".
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
}


def env_database(name: str, default_sqlite_path: Path) -> dict:
    """Parse ``DATABASE_URL``; SQLite in the project folder when it is unset."""
    raw = env_str(name)
    if not raw:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(default_sqlite_path),
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises several types for bad URLs
        raise ImproperlyConfigured(f"Environment variable {name} is not a valid database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        config["OPTIONS"] = dict(SQLITE_OPTIONS)
        config["CONN_MAX_AGE"] = 0
    elif not engine.endswith("postgresql"):
        raise ImproperlyConfigured(
            f"Environment variable {name} names an unsupported database ({engine}); use postgres:// or sqlite://."
        )
    return config


def env_broker(name: str) -> str:
    value = env_str(name)
    if not value:
        return ""
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in {"redis", "rediss", "amqp", "amqps", "pyamqp", "filesystem"}:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a supported broker URL (redis://, amqp:// or filesystem://)."
        )
    return value


def env_networks(name: str) -> list[str]:
    """Comma-separated IP addresses or networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``),
    each checked; returned in their normal form."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"Environment variable {name}: {item!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)."
            ) from None
    return networks
