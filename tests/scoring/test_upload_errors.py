"""The upload page of a rejected file, as QA: at most the first 100 problems on the
page, all of them in a CSV to download (for the uploader only), nothing stored."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from common.spreadsheet import FORMULA_START
from scoring.models import Transcript, UploadBatch
from tests.factories import UserFactory
from tests.roles import QA, role_user

HEADER = "transcript_id,channel,cso_name,sent_at,sender,text"


def bad_csv(rows: int) -> bytes:
    lines = [HEADER] + [
        f'T-{i},live_chat,=HYPERLINK("http://evil.example"),2023-10-10 08:15:00,robot,halo' for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def qa(seeded) -> Client:
    client = Client()
    client.force_login(role_user(QA))
    return client


def upload(client: Client, name: str, content: bytes, capture=None):
    """Post the upload form; with ``capture`` (django_capture_on_commit_callbacks) the
    worker's ingest task runs when the request commits, as it would on the server, and
    the batch page the upload redirects to is returned."""
    url = reverse("admin:scoring_uploadbatch_upload")
    if capture is None:
        return client.post(url, {"file": SimpleUploadedFile(name, content)})
    with capture(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302
    return client.get(response["Location"])


def listed(response) -> list[str]:
    body = response.content.decode()
    block = body.split('id="row-errors"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li>(.*?)</li>", block, flags=re.S)


def test_a_file_with_many_bad_rows_lists_the_first_hundred_and_offers_all(qa, django_capture_on_commit_callbacks):
    """GIVEN a CSV whose 150 rows each have an unknown sender
    WHEN QA uploads it and the worker checks it
    THEN the batch page lists the first 100 problems and says so, links a CSV of all 150
    (each with its row and column, no cell a formula), and nothing is stored."""
    response = upload(qa, "=bad.csv", bad_csv(150), django_capture_on_commit_callbacks)
    assert response.status_code == 200
    items = listed(response)
    assert len(items) == 100
    assert items[0].startswith("row 2, column sender:") and items[-1].startswith("row 101, column sender:")
    body = response.content.decode()
    assert "The first 100 of 150 problems" in body
    link = re.search(r'id="row-errors-download" href="([^"]+)"', body).group(1)
    assert "Download the list of problems (CSV)" in body

    download = qa.get(link)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["file", "where", "column", "problem"]
    assert len(rows) == 151
    assert [r[1] for r in rows[1:]] == [f"row {n}" for n in range(2, 152)]
    assert all(r[0] == "'=bad.csv" and r[2] == "sender" and "robot" in r[3] for r in rows[1:])
    assert not any(cell.startswith(FORMULA_START) for row in rows for cell in row)
    assert not Transcript.objects.exists()
    batch = UploadBatch.objects.get()
    assert batch.row_error_count == 150 and not batch.file


def test_a_few_problems_are_all_on_the_page(qa, django_capture_on_commit_callbacks):
    response = upload(qa, "few.csv", bad_csv(3), django_capture_on_commit_callbacks)
    assert len(listed(response)) == 3
    body = response.content.decode()
    assert "The first" not in body and "Download the list of problems (CSV)" in body


def test_the_batch_list_is_for_whoever_may_see_the_batch(qa, seeded, django_capture_on_commit_callbacks):
    """The problems of a rejected batch are part of the batch: another QA clerk may read
    them, a user who may not see batches may not."""
    upload(qa, "bad.csv", bad_csv(2), django_capture_on_commit_callbacks)
    link = reverse("admin:scoring_uploadbatch_problems", args=[UploadBatch.objects.get().pk])
    other = UserFactory(username="qa-other", is_staff=True)
    from django.contrib.auth.models import Group

    other.groups.add(Group.objects.get(name=QA))
    colleague = Client()
    colleague.force_login(other)
    assert colleague.get(link).status_code == 200
    outsider = Client()
    outsider.force_login(UserFactory(username="no-role", is_staff=True))
    assert outsider.get(link).status_code == 403
    assert qa.get(reverse("admin:scoring_uploadbatch_problems", args=[999])).status_code == 302


def test_a_file_refused_at_the_door_lists_its_problem_for_the_uploader_only(qa, seeded, settings):
    """A file over the size limit makes no batch: its problem is on the upload page, and
    the CSV of it is kept for the one who uploaded it."""
    settings.UPLOAD_MAX_BYTES = 100
    response = upload(qa, "bad.csv", bad_csv(5))
    assert response.status_code == 200
    body = response.content.decode()
    assert "more than the limit of 100 bytes" in body
    link = re.search(r'id="upload-errors-download" href="([^"]+)"', body).group(1)
    other = UserFactory(username="qa-other", is_staff=True)
    from django.contrib.auth.models import Group

    other.groups.add(Group.objects.get(name=QA))
    stranger = Client()
    stranger.force_login(other)
    refused = stranger.get(link)
    assert refused.status_code == 302 and refused["Location"] == reverse("admin:scoring_uploadbatch_upload")
    assert qa.get(link.replace(link.rstrip("/").rsplit("/", 1)[1], "x" * 32)).status_code == 302
    assert qa.get(link).status_code == 200
    assert not UploadBatch.objects.exists()
