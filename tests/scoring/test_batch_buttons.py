"""The rescore and resume buttons of a batch page are shown to exactly those whose
POST is let through: the rescore right, not the upload right."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from scoring.models import UploadBatch
from scoring.services.ingest import batch_ingest
from tests.factories import UserFactory
from tests.roles import AUDITOR, PUSAT, QA, role_user
from tests.scoring.uploads import jsonl, line

RESCORE = 'value="Rescore these transcripts"'
RESUME = 'value="Resume (queue waiting chunks again)"'


@pytest.fixture
def batch(seeded):
    """A batch still waiting for its chunks, so both buttons are due."""
    return batch_ingest(filename="a.jsonl", content=jsonl(line("A")), user=None, enqueue=False)


def page(client, user, batch) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:scoring_uploadbatch_change", args=[batch.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_qa_sees_both_buttons_and_both_work(client, batch):
    qa = role_user(QA)
    html = page(client, qa, batch)
    assert RESCORE in html and RESUME in html
    resumed = client.post(reverse("admin:scoring_uploadbatch_resume", args=[batch.pk]))
    assert resumed.status_code == 302
    rescored = client.post(reverse("admin:scoring_uploadbatch_rescore", args=[batch.pk]))
    assert rescored.status_code == 302
    assert UploadBatch.objects.filter(kind="rescore", uploaded_by=qa).count() == 1


@pytest.mark.parametrize("role", [PUSAT, AUDITOR])
def test_roles_without_the_rescore_right_see_neither_button(client, batch, role):
    html = page(client, role_user(role), batch)
    assert RESCORE not in html and RESUME not in html


def test_the_upload_right_alone_shows_no_button_the_post_would_refuse(client, batch):
    """GIVEN a user who may upload and view batches but not rescore
    WHEN they open a batch page
    THEN neither button is there (their POST would be refused with 403)."""
    user = UserFactory(username="uploader", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="scoring", codename__in=["add_uploadbatch", "view_uploadbatch"]
        )
    )
    html = page(client, user, batch)
    assert RESCORE not in html and RESUME not in html
    assert client.post(reverse("admin:scoring_uploadbatch_resume", args=[batch.pk])).status_code == 403
