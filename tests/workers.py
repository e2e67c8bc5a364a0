"""Real Celery worker processes for integration tests, on the test database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """A URL a separate process can use to open the database this test uses."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings['NAME']}"


def filesystem_transport_options(var_dir: Path) -> dict:
    queue = var_dir / "broker" / "queue"
    control = var_dir / "broker" / "control"
    queue.mkdir(parents=True, exist_ok=True)
    control.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "control_folder": str(control),
        "store_processed": False,
    }


@contextlib.contextmanager
def real_broker(broker_url: str, transport_options: dict | None = None):
    """Send tasks to a real broker from this test process (tests run them eagerly otherwise)."""
    from config.celery import app

    saved = {
        key: app.conf[key]
        for key in ("task_always_eager", "broker_url", "broker_transport_options", "broker_connection_retry")
    }
    app.conf.update(
        task_always_eager=False,
        broker_url=broker_url,
        broker_transport_options=transport_options or {},
    )
    _reset_pools(app)
    try:
        yield app
    finally:
        _reset_pools(app)
        app.conf.update(saved)


def _reset_pools(app) -> None:
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def start_worker(
    *, name: str, broker_url: str, var_dir: Path, log: Path, concurrency: int = 2, extra_env: dict | None = None
) -> subprocess.Popen:
    return _start(
        [
            "worker",
            "-l",
            "info",
            "-Q",
            "scoring",
            "-n",
            f"{name}@%h",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
        ],
        broker_url=broker_url,
        var_dir=var_dir,
        log=log,
        extra_env=extra_env,
    )


def _start(args: list[str], *, broker_url: str, var_dir: Path, log: Path, extra_env: dict | None) -> subprocess.Popen:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_", "DATABASE_URL", "CELERY_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "PLN123_VAR_DIR": str(var_dir),
            "PLN123_LOG_LEVEL": "INFO",
        }
    )
    env.update(extra_env or {})
    command = [sys.executable, "-m", "celery", "-A", "config", *args]
    handle = open(log, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def start_beat(*, broker_url: str, var_dir: Path, log: Path, extra_env: dict | None = None) -> subprocess.Popen:
    """The periodic scheduler that sends the sweeper task."""
    return _start(
        ["beat", "-l", "info", "-s", str(var_dir / "beat-schedule"), "--pidfile="],
        broker_url=broker_url,
        var_dir=var_dir,
        log=log,
        extra_env=extra_env,
    )


def stop_worker(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(predicate, *, timeout: float, interval: float = 0.5, what: str = "condition", log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    tail = ""
    if log is not None and log.exists():
        tail = "\n--- worker log (tail) ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-40:])
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{tail}")
