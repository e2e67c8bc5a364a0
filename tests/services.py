"""The real services some tests need: PostgreSQL, Redis and RabbitMQ on this machine.

Each helper returns the service's URL when a TCP connection to it succeeds within a
second. When it does not, the test is skipped, or fails under PLN123_REQUIRE_SERVICES=1
(CI sets it, so a missing service can never turn into a quietly green run).
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

DEFAULTS = {
    "PostgreSQL": ("PLN123_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres", 5432),
    "Redis": ("PLN123_TEST_REDIS_URL", "redis://127.0.0.1:6379/0", 6379),
    "RabbitMQ": ("PLN123_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//", 5672),
}


def services_required() -> bool:
    return os.environ.get("PLN123_REQUIRE_SERVICES") == "1"


def is_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _service_url(name: str) -> str:
    variable, default, default_port = DEFAULTS[name]
    url = os.environ.get(variable) or default
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    if not is_reachable(host, port):
        message = f"{name} is not reachable at {host}:{port} (from {variable} or its default)"
        if services_required():
            pytest.fail(f"{message} (CI requires it)", pytrace=False)
        pytest.skip(message)
    return url


def postgres_url() -> str:
    """URL of a PostgreSQL server for tests that need one; skips or fails when it is down."""
    return _service_url("PostgreSQL")


def redis_url() -> str:
    """URL of a Redis server for tests that need one; skips or fails when it is down."""
    return _service_url("Redis")


def rabbitmq_url() -> str:
    """URL of a RabbitMQ server for tests that need one; skips or fails when it is down."""
    return _service_url("RabbitMQ")


def require_services(*names: str) -> dict[str, str]:
    """URLs of the named services (all three when none is named), keyed by name."""
    return {name: _service_url(name) for name in (names or tuple(DEFAULTS))}
