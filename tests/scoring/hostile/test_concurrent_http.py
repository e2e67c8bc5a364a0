"""Issue 10: thirty concurrent uploads of one file, through HTTP on a live dev server
(loopback, port 8893) with a real worker, end as one stored file and one scoring of
each transcript; the other uploads are sent to that batch's page."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from scoring.models import Score, Transcript, UploadBatch
from tests.roles import QA, role_user
from tests.scoring.uploads import jsonl, line
from tests.workers import ROOT, start_worker, stop_worker, wait_for
from tests.workers import test_database_url as database_url

PORT = 8893
BASE = f"http://127.0.0.1:{PORT}"
UPLOADS = 30
PASSWORD = "thirty-at-once-2026"


def _server(var_dir: Path, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_", "DATABASE_URL", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": "filesystem://",
            "PLN123_VAR_DIR": str(var_dir),
        }
    )
    handle = open(log, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _logged_in(username: str) -> http.cookiejar.CookieJar:
    """The cookies of one login through the login page, as a person would log in (the
    per-address throttle would refuse thirty logins in a row from one address)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    url = f"{BASE}/admin/login/"
    token = _token(opener.open(url, timeout=60).read().decode())
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD})
    try:
        opener.open(urllib.request.Request(url, data=form.encode(), headers={"Referer": url}), timeout=60)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc
    return jar


def _client(login: http.cookiejar.CookieJar) -> urllib.request.OpenerDirector:
    """A client of its own (its own connections) with the session of that login."""
    jar = http.cookiejar.CookieJar()
    for cookie in login:
        jar.set_cookie(cookie)
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _upload(opener, content: bytes, results: list, barrier: threading.Barrier) -> None:
    try:
        _post(opener, content, results, barrier)
    except Exception as exc:  # reported by the test, which counts the results
        results.append(("failed", repr(exc)))


def _post(opener, content: bytes, results: list, barrier: threading.Barrier) -> None:
    url = f"{BASE}/admin/scoring/uploadbatch/upload/"
    page = opener.open(url, timeout=60).read().decode()
    token = _token(page)
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="month.jsonl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": url}
    )
    barrier.wait(timeout=60)
    for attempt in range(5):
        try:
            response = opener.open(request, timeout=120)
            results.append((response.status, response.headers.get("Location", "")))
        except urllib.error.HTTPError as exc:
            results.append((exc.code, exc.headers.get("Location", "")))
        except ConnectionResetError:
            # the dev server's listen queue is ten deep: the connection was refused
            # before any request was read, so it is sent again, as a browser would
            time.sleep(0.2 * (attempt + 1))
            continue
        return
    results.append(("failed", "connection reset five times"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_uploads_over_http_store_and_score_once(seeded, tmp_path):
    user = role_user(QA)
    # Hashed as the server's settings check it (the tests' own settings hash faster).
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save()
    content = jsonl(*(line(f"H-{n}") for n in range(5)))
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    server = _server(var_dir, tmp_path / "server.log")
    worker = None
    try:
        wait_for(lambda: _up(), timeout=60, what="the dev server", log=tmp_path / "server.log")
        results: list = []
        barrier = threading.Barrier(UPLOADS)
        login = _logged_in(user.username)
        openers = [_client(login) for _ in range(UPLOADS)]
        threads = [threading.Thread(target=_upload, args=(opener, content, results, barrier)) for opener in openers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert len(results) == UPLOADS, results
        assert all(status == 302 for status, _ in results), results
        batches = list(UploadBatch.objects.values_list("pk", "status", "created_at", "duplicate_of", "row_errors"))
        assert len(batches) == 1, (batches, sorted(results, key=str))
        batch = UploadBatch.objects.get()
        assert {location for _, location in results} == {f"/admin/scoring/uploadbatch/{batch.pk}/change/"}
        # The worker starts once every upload has its answer, so that none of them can
        # come after the batch has finished (a later upload is scored again, by design).
        worker = start_worker(name="w1", broker_url="filesystem://", var_dir=var_dir, log=tmp_path / "worker.log")
        wait_for(
            lambda: Score.objects.count() >= 5 and UploadBatch.objects.get().is_finished,
            timeout=180,
            what="the batch scored",
            log=tmp_path / "worker.log",
        )
    finally:
        stop_worker(server)
        if worker is not None:
            stop_worker(worker)
    assert UploadBatch.objects.count() == 1
    assert Transcript.objects.count() == 5 and Score.objects.count() == 5
    stored = [p for p in (Path(django_settings.MEDIA_ROOT)).rglob("batch-*month.jsonl")]
    stored += [p for p in (var_dir).rglob("batch-*month.jsonl")]
    assert len(stored) == 1, stored


def _up() -> bool:
    try:
        urllib.request.urlopen(f"{BASE}/admin/login/", timeout=5)
    except OSError:
        return False
    return True
