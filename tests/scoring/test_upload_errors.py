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


def upload(client: Client, name: str, content: bytes):
    return client.post(reverse("admin:scoring_uploadbatch_upload"), {"file": SimpleUploadedFile(name, content)})


def listed(response) -> list[str]:
    body = response.content.decode()
    block = body.split('class="errornote upload-errors"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li>(.*?)</li>", block, flags=re.S)


def test_a_file_with_many_bad_rows_lists_the_first_hundred_and_offers_all(qa):
    """GIVEN a CSV whose 150 rows each have an unknown sender
    WHEN QA uploads it
    THEN the page lists the first 100 problems and says so, links a CSV of all 150 (each
    with its row and column, no cell a formula), and nothing is stored."""
    response = upload(qa, "=bad.csv", bad_csv(150))
    assert response.status_code == 200
    items = listed(response)
    assert len(items) == 100
    assert items[0].startswith("row 2, column sender:") and items[-1].startswith("row 101, column sender:")
    body = response.content.decode()
    assert "The first 100 of 150 problems" in body
    link = re.search(r'id="upload-errors-download" href="([^"]+)"', body).group(1)
    assert "Download the list of all 150 problems (CSV)" in body

    download = qa.get(link)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["file", "where", "column", "problem"]
    assert len(rows) == 151
    assert [r[1] for r in rows[1:]] == [f"row {n}" for n in range(2, 152)]
    assert all(r[0] == "'=bad.csv" and r[2] == "sender" and "robot" in r[3] for r in rows[1:])
    assert not any(cell.startswith(FORMULA_START) for row in rows for cell in row)
    assert not UploadBatch.objects.exists() and not Transcript.objects.exists()


def test_a_few_problems_are_all_on_the_page(qa):
    response = upload(qa, "few.csv", bad_csv(3))
    assert len(listed(response)) == 3
    body = response.content.decode()
    assert "The first" not in body and "Download the list of all 3 problems (CSV)" in body


def test_the_list_is_only_for_the_one_who_uploaded(qa, seeded):
    response = upload(qa, "bad.csv", bad_csv(2))
    link = re.search(r'id="upload-errors-download" href="([^"]+)"', response.content.decode()).group(1)
    other = UserFactory(username="qa-other", is_staff=True)
    from django.contrib.auth.models import Group

    other.groups.add(Group.objects.get(name=QA))
    stranger = Client()
    stranger.force_login(other)
    refused = stranger.get(link)
    assert refused.status_code == 302 and refused["Location"] == reverse("admin:scoring_uploadbatch_upload")
    assert qa.get(link.replace(link.rstrip("/").rsplit("/", 1)[1], "x" * 32)).status_code == 302
    assert qa.get(link).status_code == 200
