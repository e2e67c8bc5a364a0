"""The benchmark's plumbing: the databases and broker it makes and removes, the
processes it starts (the project's own commands and Celery workers), and the peak
memory of each process tree, sampled with psutil.

Kept apart from ``benchmark.py`` so that the stages read as the path they measure.
Nothing here imports Django: the benchmark drives the site through its commands, as an
operator would, and reads only the batch row (and the score count) to know where a
batch stands.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
# Prefixes of the runs' own databases on a server; every one is dropped at the end.
PG_PREFIX = "pln123_bench"


# --- memory ---------------------------------------------------------------------------


class MemoryWatch:
    """Samples the resident memory of every process of the trees it watches, every
    ``interval`` seconds, and keeps each process's peak. A process tree is one role
    (``import_transcripts``, ``worker 1``...): a Celery worker is a parent and its pool
    child, and the figure of a role is its largest process, the one the "< 300 MB per
    process" target is about."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self._roots: dict[str, psutil.Process] = {}
        self._peaks: dict[str, dict[int, int]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, role: str, pid: int) -> None:
        with self._lock, contextlib.suppress(psutil.Error):
            self._roots[role] = psutil.Process(pid)
            self._peaks.setdefault(role, {})
        self._sample_once()

    def watch_self(self, role: str) -> None:
        self.watch(role, os.getpid())

    def peak(self, role: str) -> int:
        """The largest resident size, in bytes, any process of the role reached."""
        self._sample_once()
        with self._lock:
            return max(self._peaks.get(role, {}).values(), default=0)

    def processes(self, role: str) -> int:
        with self._lock:
            return len(self._peaks.get(role, {}))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _sample_once(self) -> None:
        with self._lock:
            roots = list(self._roots.items())
        for role, root in roots:
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                with self._lock:
                    peaks = self._peaks[role]
                    peaks[proc.pid] = max(peaks.get(proc.pid, 0), rss)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample_once()


# --- processes ------------------------------------------------------------------------


@dataclass
class Env:
    """The environment of one run's processes: its database, broker and folder."""

    database_url: str
    broker_url: str
    var_dir: Path
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTEST", "DJANGO_", "DATABASE_URL", "CELERY_", "PLN123_"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.local",
                # DEBUG keeps every query in memory: off, as in production.
                "DJANGO_DEBUG": "false",
                "DATABASE_URL": self.database_url,
                "CELERY_BROKER_URL": self.broker_url,
                "PLN123_VAR_DIR": str(self.var_dir),
                "PLN123_LOG_LEVEL": "WARNING",
                # The naive path's task module lives beside this file.
                "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "scripts")]),
            }
        )
        env.update(self.extra)
        return env


class CommandFailed(RuntimeError):
    pass


def run_command(args: list[str], env: Env, *, memory: MemoryWatch | None = None, role: str = "") -> tuple[float, str]:
    """Run one command to its end (its memory watched as ``role``); returns the
    seconds it took and its output. A non-zero exit raises with its output."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env.as_dict(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    if memory is not None:
        memory.watch(role, process.pid)
    output, _ = process.communicate()
    seconds = time.perf_counter() - start
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise CommandFailed(f"{' '.join(args)} exited with {process.returncode}:\n{text[-3000:]}")
    return seconds, text


def manage(*args: str) -> list[str]:
    return [str(MANAGE), *args]


class Worker:
    """One Celery worker process with one pool process (``--concurrency 1``), so that
    "two workers" is two processes scoring side by side."""

    def __init__(self, *, app: str, queues: list[str], name: str, env: Env, log: Path, concurrency: int = 1):
        self.name = name
        self.log = log
        handle = open(log, "ab")  # noqa: SIM115 - closed when the process ends
        # -l info: the worker says "ready." in its log, which is how the benchmark
        # knows it listens before the clock starts.
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                app,
                "worker",
                "-l",
                "info",
                "-Q",
                ",".join(queues),
                "-n",
                f"{name}@%h",
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env.as_dict(),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandFailed(f"worker {self.name} exited with {self.process.returncode}:\n{self.tail()}")
            if re.search(r"\bready\.", self.log.read_text(errors="replace")):
                return
            time.sleep(0.2)
        raise CommandFailed(f"worker {self.name} not ready after {timeout}s:\n{self.tail()}")

    def stop(self, timeout: float = 60) -> None:
        """A warm shutdown (the task in hand is finished), then a kill if it hangs."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start_beat(env: Env, log: Path) -> subprocess.Popen:
    """The scheduler that sends the sweeper task (the kill stage needs it). Its schedule
    file goes in the run's folder, made first: beat cannot create it in a folder that
    does not exist yet, and then never sends the sweeper (it logs and carries on)."""
    env.var_dir.mkdir(parents=True, exist_ok=True)
    handle = open(log, "ab")  # noqa: SIM115 - closed when the process ends
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "-s",
            str(env.var_dir / "beat-schedule"),
            "--pidfile=",
        ],
        cwd=ROOT,
        env=env.as_dict(),
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    handle.close()
    return process


# --- databases --------------------------------------------------------------------------


class Database:
    """A database of the benchmark's own: a SQLite file in the run's folder, or a
    database created on the PostgreSQL server of ``server_url`` (and dropped by
    :meth:`drop`). Queried with plain SQL, so the benchmark needs no Django."""

    def __init__(self, url: str, *, path: Path | None = None, pg_name: str | None = None, server_url: str = ""):
        self.url = url
        self.path = path
        self.pg_name = pg_name
        self.server_url = server_url
        self._conn = None

    @property
    def vendor(self) -> str:
        return "sqlite" if self.path is not None else "postgresql"

    def connect(self):
        if self._conn is None:
            if self.path is not None:
                # Readers never block SQLite writers for long; a busy writer makes us wait.
                self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            else:
                import psycopg

                self._conn = psycopg.connect(self.url, autocommit=True)
        return self._conn

    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        """Run a query (``%s`` placeholders) and return dict rows; retries a locked SQLite."""
        if self.path is not None:
            sql = sql.replace("%s", "?")
        for attempt in range(50):
            try:
                cursor = self.connect().execute(sql, params)
                names = [column[0] for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def copy(self, name: str, folder: Path) -> Database:
        """A new database holding what this one holds (migrated and seeded)."""
        self.close()
        if self.path is not None:
            target = folder / f"{name}.sqlite3"
            shutil.copyfile(self.path, target)
            return Database(f"sqlite:///{target}", path=target)
        target = f"{PG_PREFIX}_{os.getpid()}_{name}"
        with _pg_server(self.server_url) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{target}"')
            server.execute(f'CREATE DATABASE "{target}" TEMPLATE "{self.pg_name}"')
        return Database(_with_dbname(self.server_url, target), pg_name=target, server_url=self.server_url)

    def drop(self) -> None:
        self.close()
        if self.pg_name is None:
            return
        with _pg_server(self.server_url) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def server_version(self) -> str:
        if self.path is not None:
            return f"SQLite {sqlite3.sqlite_version}"
        row = self.rows("SHOW server_version")[0]
        return f"PostgreSQL {next(iter(row.values())).split()[0]}"


def new_database(database_url: str | None, folder: Path, name: str) -> Database:
    """An empty database for the template every run copies."""
    if not database_url:
        path = folder / f"{name}.sqlite3"
        return Database(f"sqlite:///{path}", path=path)
    parsed = urllib.parse.urlparse(database_url)
    if not parsed.scheme.startswith("postgres"):
        raise SystemExit(f"--database-url: only postgres:// URLs are supported here (got {parsed.scheme}://).")
    target = f"{PG_PREFIX}_{os.getpid()}_{name}"
    with _pg_server(database_url) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{target}"')
        server.execute(f'CREATE DATABASE "{target}"')
    return Database(_with_dbname(database_url, target), pg_name=target, server_url=database_url)


def _with_dbname(url: str, name: str) -> str:
    parsed = urllib.parse.urlparse(url)
    return urllib.parse.urlunparse(parsed._replace(path=f"/{name}"))


@contextlib.contextmanager
def _pg_server(url: str):
    """A connection to the server's maintenance database (the URL's own), only ever
    used to create and drop the benchmark's databases."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


# --- brokers ----------------------------------------------------------------------------


# The prefix of the keys kombu's Redis transport keeps its queue bindings under
# (``_kombu.binding.<exchange>`` or, in newer versions, ``_kombu.binding_<name>``).
BINDINGS = "_kombu.binding"


class Broker:
    """The embedded filesystem broker (a folder per run, under PLN123_VAR_DIR) or a
    Redis database that must hold nothing else while the benchmark runs: the queues'
    names are the site's, so a shared Redis database would mix in others' tasks."""

    def __init__(self, url: str | None):
        self.url = url or "filesystem://"
        self.is_redis = self.url.startswith(("redis://", "rediss://"))
        if not self.is_redis and self.url != "filesystem://":
            raise SystemExit("--broker-url: redis://HOST:PORT/DB, or leave it out for the embedded broker.")

    def _client(self):
        import redis

        return redis.Redis.from_url(self.url)

    def check_empty(self) -> None:
        if self.is_redis:
            client = self._client()
            db = str(client.connection_pool.connection_kwargs.get("db", 0))
            others = [c for c in client.client_list() if c.get("db") == db and c.get("cmd") != "client|list"]
            if others:
                raise SystemExit(
                    f"--broker-url {self.url}: {len(others)} other client(s) use that Redis database (a worker "
                    "there would take the benchmark's tasks); give it one nobody uses (redis://127.0.0.1:6379/N)."
                )
            # kombu's bindings of the site's own queues, left by an earlier run, are
            # not tasks: they are dropped before each run like the queues themselves.
            keys = sum(1 for key in client.scan_iter() if not key.startswith(BINDINGS.encode()))
            if keys:
                raise SystemExit(
                    f"--broker-url {self.url}: that Redis database holds {keys} key(s) already; "
                    "give the benchmark an empty one of its own (redis://127.0.0.1:6379/N)."
                )

    def reset(self, queues: list[str]) -> None:
        """Drop what a run left in the broker (nothing, normally)."""
        if self.is_redis:
            client = self._client()
            names = [*queues, "unacked", "unacked_index", "unacked_mutex"]
            names += list(client.scan_iter(f"{BINDINGS}*"))
            if names:
                client.delete(*names)

    def describe(self) -> str:
        if not self.is_redis:
            return "embedded filesystem broker (kombu filesystem transport)"
        info = self._client().info("server")
        return f"Redis {info.get('redis_version', '?')}"
