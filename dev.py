#!/usr/bin/env python3
"""Run the site or its checks on this machine. Needs only Python 3.11; sets up .venv itself.

    python3 dev.py run [--host H] [--port P]   migrate, seed the SOP, first admin, web + worker
    python3 dev.py test [--sqlite-only | --postgres-only] [PYTEST ARGS...]   lint, checks, tests
    python3 dev.py messages [--compile-only]   extract the strings to translate, compile the catalogue

Standard library only: this script runs before any dependency is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import venv
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


class StepFailed(Exception):
    """A step failed; the message says which and how."""


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


# --- setup ---------------------------------------------------------------------------


def requirements_hash(path: Path, seen: set[Path] | None = None) -> str:
    """Hash of a requirements file and of every file it includes with -r, plus the Python version."""
    seen = seen if seen is not None else set()
    digest = hashlib.sha256(sys.version.encode())
    path = path.resolve()
    if path in seen:
        return digest.hexdigest()
    seen.add(path)
    text = path.read_text(encoding="utf-8")
    digest.update(text.encode())
    for line in text.splitlines():
        parts = line.strip().split()
        if len(parts) >= 2 and parts[0] in {"-r", "--requirement"}:
            digest.update(requirements_hash(path.parent / parts[1], seen).encode())
    return digest.hexdigest()


def ensure_venv(requirements: str) -> None:
    """Create .venv when missing and install ``requirements`` unless the stamp says it is done."""
    if not PYTHON.exists():
        say(f"creating the virtual environment {VENV}")
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    req = ROOT / requirements
    stamp = VENV / f".installed-{req.name}.sha256"
    wanted = requirements_hash(req)
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return
    say(f"installing {requirements} into .venv (quietly; this takes a minute the first time)")
    result = subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "-r", str(req)], cwd=ROOT)
    if result.returncode != 0:
        raise StepFailed(f"pip install -r {requirements} failed (exit {result.returncode}); see the output above.")
    stamp.write_text(wanted + "\n")


def var_dir(env: dict[str, str]) -> Path:
    """The same folder as VAR_DIR in config/settings/base.py."""
    return Path(env.get("PLN123_VAR_DIR") or ROOT / "var")


def ensure_var_dirs(env: dict[str, str]) -> None:
    """The folders that settings name but do not create: the embedded broker's and STATIC_ROOT."""
    base = var_dir(env)
    for folder in (base / "static", base / "broker" / "queue", base / "broker" / "control"):
        folder.mkdir(parents=True, exist_ok=True)


def manage(*args: str, env: dict[str, str], what: str | None = None) -> None:
    result = subprocess.run([str(PYTHON), str(ROOT / "manage.py"), *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise StepFailed(f"{what or 'manage.py ' + ' '.join(args)} failed (exit {result.returncode}).")


# --- run -----------------------------------------------------------------------------


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Each child leads its own process group: a terminal Ctrl-C reaches only this
    # script, which then stops both children in order, and whatever a child started
    # (the runserver reloader's server, the Celery pool and beat) can be found again.
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def stop_all(children: dict[str, tuple[subprocess.Popen, bool]], grace: float = 20.0) -> None:
    """SIGTERM each child (its whole group when ``group``), wait, then SIGKILL what is left."""
    for proc, group in children.values():
        if proc.poll() is None:
            if group:
                signal_group(proc, signal.SIGTERM)
            else:
                proc.terminate()
    deadline = time.monotonic() + grace
    for name, (proc, _) in children.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"The {name} did not stop within {grace:.0f}s; killing it.", flush=True)
    # Whatever is left in the groups: a leader that did not stop, or an orphaned child.
    for proc, _ in children.values():
        signal_group(proc, signal.SIGKILL)
        proc.wait()


def cmd_run(options: argparse.Namespace) -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env["PYTHONUNBUFFERED"] = "1"
    ensure_venv("requirements.txt")
    ensure_var_dirs(env)
    manage("migrate", "--noinput", env=env)
    manage("seed_sop", env=env)
    manage("ensure_admin", env=env)

    address = f"{options.host}:{options.port}"
    url_host = f"[{options.host}]" if ":" in options.host else options.host
    schedule = var_dir(env) / "celerybeat-schedule"
    worker_cmd = [str(BIN / "celery"), "-A", "config", "worker", "-B", "-s", str(schedule)]
    worker_cmd += ["-l", "info", "--concurrency", "2", "-Q", "scoring"]
    # The Celery main process stops its pool and beat itself (a warm shutdown) when
    # only it gets SIGTERM; runserver's reloader does not pass SIGTERM on to the
    # server it runs, so that one is stopped as a group.
    children: dict[str, tuple[subprocess.Popen, bool]] = {}
    stopping = {"signal": None}
    exited = None

    def on_signal(signum, frame):
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        say("starting the Celery worker (with the beat scheduler) on the embedded broker")
        children["celery worker"] = (start(worker_cmd, env), False)
        say(f"starting the web server on {address}")
        web_cmd = [str(PYTHON), str(ROOT / "manage.py"), "runserver", address]
        children["web server"] = (start(web_cmd, env), True)
        print(f"\n    Open http://{url_host}:{options.port}/admin/  (Ctrl-C stops both)\n", flush=True)
        while stopping["signal"] is None and exited is None:
            for name, (proc, _) in children.items():
                if proc.poll() is not None:
                    exited = (name, proc.returncode)
                    break
            else:
                time.sleep(0.3)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        say("stopping the web server and the worker")
        stop_all(children)
    if exited is not None:
        name, code = exited
        print(f"The {name} exited (status {code}), so everything was stopped.", file=sys.stderr)
        return code or 1
    return 0


# --- test ----------------------------------------------------------------------------


def reachable(url: str, default_port: int, timeout: float = 2.0) -> tuple[bool, str]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, f"{host}:{port}"
    except OSError:
        return False, f"{host}:{port}"


def random_secret_key(length: int = 50) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def run_step(title: str, cmd: list[str], env: dict[str, str]) -> None:
    say(title)
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    if result.returncode == 5 and cmd[:3] == [str(PYTHON), "-m", "pytest"]:
        raise StepFailed(f"{title}: pytest ran no test (exit 5); check the selection.")
    if result.returncode != 0:
        raise StepFailed(f"{title} failed (exit {result.returncode}).")


def cmd_test(options: argparse.Namespace, pytest_args: list[str]) -> int:
    base_env = dict(os.environ)
    base_env.pop("DATABASE_URL", None)
    base_env["PYTHONUNBUFFERED"] = "1"
    test_env = dict(base_env, DJANGO_SETTINGS_MODULE="config.settings.test")
    manage_py = [str(PYTHON), str(ROOT / "manage.py")]

    ensure_venv("requirements-dev.txt")
    ensure_var_dirs(test_env)

    run_step("ruff check .", [str(BIN / "ruff"), "check", "."], base_env)
    run_step("ruff format --check .", [str(BIN / "ruff"), "format", "--check", "."], base_env)
    run_step("manage.py check (test settings)", [*manage_py, "check"], test_env)
    run_step(
        "manage.py makemigrations --check --dry-run",
        [*manage_py, "makemigrations", "--check", "--dry-run"],
        test_env,
    )
    deploy_env = dict(
        base_env,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=random_secret_key(),
        ALLOWED_HOSTS="example.org",
    )
    run_step(
        "manage.py check --deploy (production settings)",
        [*manage_py, "check", "--deploy", "--fail-level", "WARNING"],
        deploy_env,
    )

    pytest = [str(PYTHON), "-m", "pytest", *pytest_args]
    if not options.postgres_only:
        run_step("pytest on SQLite", pytest, test_env)
    if not options.sqlite_only:
        url = os.environ.get("PLN123_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
        up, where = reachable(url, 5432)
        if up:
            run_step(f"pytest on PostgreSQL ({where})", pytest, dict(test_env, DATABASE_URL=url))
        elif os.environ.get("PLN123_REQUIRE_SERVICES") == "1":
            raise StepFailed(f"PostgreSQL is not reachable at {where}, and PLN123_REQUIRE_SERVICES=1 requires it.")
        else:
            say(f"skipped the PostgreSQL pass: not reachable at {where} (set PLN123_TEST_POSTGRES_URL to point at one)")
    say("all checks passed")
    return 0


# --- messages ------------------------------------------------------------------------

# What makemessages reads: the project's code and templates, not the tests or tools.
MESSAGES_IGNORE = ["tests/*", "scripts/*", "var/*", "deploy/*", "docs/*", ".ci/*", "dev.py"]


def cmd_messages(options: argparse.Namespace) -> int:
    """Refresh locale/id/LC_MESSAGES/django.po from the code (GNU xgettext needed for
    this step only), then compile every .po to its .mo in pure Python (common.catalog)."""
    ensure_venv("requirements-dev.txt")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test")
    if not options.compile_only:
        if not shutil.which("xgettext"):
            raise StepFailed(
                "extracting needs GNU gettext's xgettext (apt-get install gettext); "
                "`python3 dev.py messages --compile-only` compiles without it."
            )
        ignores = [arg for pattern in MESSAGES_IGNORE for arg in ("--ignore", pattern)]
        say("makemessages -l id (with the engine's N_ marker)")
        manage("makemessages", "-l", "id", "--no-obsolete", "--add-location=file", *ignores, env=env)
    say("compiling the catalogues (pure Python)")
    code = (
        "from pathlib import Path; from common.catalog import compile_po, project_catalogues, read_po\n"
        "for po in project_catalogues(Path('.')):\n"
        "    entries = read_po(po); missing = [e.msgid for e in entries if e.msgid and (e.fuzzy or not e.translated)]\n"
        "    print(f'{compile_po(po)}: {len(entries) - 1} messages, {len(missing)} untranslated or fuzzy')\n"
        "    [print('  to translate:', m) for m in missing]\n"
    )
    result = subprocess.run([str(PYTHON), "-c", code], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise StepFailed(f"compiling the catalogues failed (exit {result.returncode}).")
    return 0


# --- entry ---------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dev.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="set up, migrate, seed, create the first admin, serve with a worker")
    run.add_argument("--host", default="127.0.0.1", help="address for the web server (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8000, help="port for the web server (default 8000)")
    test = sub.add_parser("test", allow_abbrev=False, help="lint, checks and the test suite on SQLite and PostgreSQL")
    only = test.add_mutually_exclusive_group()
    only.add_argument("--sqlite-only", action="store_true", help="skip the PostgreSQL pass")
    only.add_argument("--postgres-only", action="store_true", help="skip the SQLite pass")
    messages = sub.add_parser("messages", help="extract the strings to translate and compile the catalogue")
    messages.add_argument("--compile-only", action="store_true", help="only compile the .po files (no xgettext)")
    options, extra = parser.parse_known_args(argv)
    if options.command != "test" and extra:
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    if extra[:1] == ["--"]:
        extra = extra[1:]
    try:
        if options.command == "run":
            return cmd_run(options)
        if options.command == "messages":
            return cmd_messages(options)
        return cmd_test(options, extra)
    except StepFailed as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
