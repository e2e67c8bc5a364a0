"""The QA admin, end to end through Django's test client: upload, progress, browse,
score detail, export, bad files, rescore, and what cannot be edited."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from scoring.choices import BatchKind, BatchStatus, Result
from scoring.exports import COLUMNS
from scoring.models import Message, Score, Transcript, UploadBatch

DEV_TRANSCRIPTS = 240
CONTRACT_HEADER = (
    "transcript_id,channel,cso_name,parameter_code,parameter_name,result,directive,directive_version,"
    "expected_greeting,reason,flags"
)


# --- helpers -----------------------------------------------------------------------------------


def upload(client, capture, name: str, content: bytes, *, follow: bool = False):
    """POST a file to the upload page with the on-commit callbacks run, so the eager
    Celery tasks score the batch before the response is read."""
    with capture(execute=True):
        return client.post(
            reverse("admin:scoring_uploadbatch_upload"),
            {"file": SimpleUploadedFile(name, content)},
            follow=follow,
        )


def dev_csv(dev_data) -> bytes:
    return (dev_data / "dev-transcripts.csv").read_bytes()


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def uploaded(admin_client, seeded, dev_data, django_capture_on_commit_callbacks):
    """The dev transcripts uploaded through the admin and scored."""
    response = upload(admin_client, django_capture_on_commit_callbacks, "dev-transcripts.csv", dev_csv(dev_data))
    batch = UploadBatch.objects.get()
    return batch, response


# --- upload and progress -------------------------------------------------------------------------


def test_upload_page_renders_with_a_way_back(admin_client, seeded):
    changelist = admin_client.get(reverse("admin:scoring_uploadbatch_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:scoring_uploadbatch_upload") in changelist.content.decode()

    page = admin_client.get(reverse("admin:scoring_uploadbatch_upload"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'type="file"' in body and 'enctype="multipart/form-data"' in body
    assert reverse("admin:scoring_uploadbatch_changelist") in body

    # The plain "add" page leads to the upload page.
    add = admin_client.get(reverse("admin:scoring_uploadbatch_add"))
    assert add.status_code == 302 and add["Location"] == reverse("admin:scoring_uploadbatch_upload")


def test_qa_flow_upload_to_batch_page(admin_client, uploaded):
    """GIVEN the seeded SOP
    WHEN QA uploads the dev CSV through the upload page
    THEN it lands on the batch page, the batch is done with every transcript scored,
    and the progress JSON says the same."""
    batch, response = uploaded
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:scoring_uploadbatch_change", args=[batch.pk])
    assert batch.status == BatchStatus.DONE
    assert batch.transcript_count == DEV_TRANSCRIPTS
    assert batch.scored_count == DEV_TRANSCRIPTS
    assert Transcript.objects.count() == DEV_TRANSCRIPTS
    assert Score.objects.filter(is_current=True).count() == DEV_TRANSCRIPTS

    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    # The request only stored the file; the workers checked, stored and scored it.
    assert f"Batch {batch.pk}: dev-transcripts.csv received." in page_messages(page)[0]
    assert f"<td>{DEV_TRANSCRIPTS}</td>" in body
    assert "Done" in body
    assert 'value="100"' in body  # the progress bar
    assert 'http-equiv="refresh"' not in body  # finished: no more refreshing
    assert reverse("admin:scoring_uploadbatch_export", args=[batch.pk, "csv"]) in body
    assert f"{reverse('admin:scoring_transcript_changelist')}?batch={batch.pk}" in body
    assert reverse("admin:scoring_uploadbatch_changelist") in body

    progress = admin_client.get(reverse("admin:scoring_uploadbatch_progress", args=[batch.pk]))
    assert progress.status_code == 200
    data = progress.json()
    assert data["status"] == "done"
    assert data["finished"] is True
    assert data["percent"] == 100
    assert data["transcript_count"] == data["scored_count"] == DEV_TRANSCRIPTS
    assert data["failed_count"] == 0
    assert data["chunks"]["done"] == data["chunk_count"] == batch.chunk_count
    assert data["chunks"]["pending"] == data["chunks"]["failed"] == 0
    assert data["message_count"] == Message.objects.count() and data["rows_read"] == data["message_count"]
    assert data["row_error_count"] == 0 and data["row_errors"] == []

    listing = admin_client.get(reverse("admin:scoring_uploadbatch_changelist"))
    assert listing.status_code == 200
    assert "dev-transcripts.csv" in listing.content.decode()


def test_unfinished_batch_page_refreshes_itself(admin_client, seeded, dev_data):
    """GIVEN a batch stored but not yet scored (no on-commit, so nothing ran)
    THEN its page refreshes itself and its JSON shows 0%."""
    from scoring.services import ingest

    batch = ingest.batch_ingest(filename="dev.csv", content=dev_csv(dev_data), user=None, enqueue=False)
    page = admin_client.get(reverse("admin:scoring_uploadbatch_change", args=[batch.pk]))
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="3">' in page.content.decode()
    data = admin_client.get(reverse("admin:scoring_uploadbatch_progress", args=[batch.pk])).json()
    assert data["status"] == "queued" and data["percent"] == 0 and data["finished"] is False
    assert data["chunks"]["pending"] == batch.chunk_count


def test_progress_of_a_missing_batch_is_a_json_404(admin_client, seeded):
    response = admin_client.get(reverse("admin:scoring_uploadbatch_progress", args=[999999]))
    assert response.status_code == 404
    assert "error" in response.json()
    page = admin_client.get(reverse("admin:scoring_uploadbatch_change", args=[999999]))
    assert page.status_code == 302  # back to the list, with a message


def test_same_file_again_warns_it_is_a_duplicate(admin_client, uploaded, dev_data, django_capture_on_commit_callbacks):
    first, _ = uploaded
    response = upload(admin_client, django_capture_on_commit_callbacks, "again.csv", dev_csv(dev_data), follow=True)
    second = UploadBatch.objects.exclude(pk=first.pk).get()
    assert second.duplicate_of_id == first.pk
    assert second.note in page_messages(response)
    assert Transcript.objects.count() == DEV_TRANSCRIPTS  # the same ids update, never duplicate


def test_same_file_while_it_is_imported_leads_to_that_batch(admin_client, seeded, dev_data):
    """Issue 10: an upload of content that is being imported right now stores nothing
    new; QA lands on the batch that imports it."""
    content = dev_csv(dev_data)
    page = reverse("admin:scoring_uploadbatch_upload")
    first = admin_client.post(page, {"file": SimpleUploadedFile("a.csv", content)})
    batch = UploadBatch.objects.get()
    assert batch.status == BatchStatus.RECEIVED  # the worker has not run yet
    again = admin_client.post(
        reverse("admin:scoring_uploadbatch_upload"), {"file": SimpleUploadedFile("b.csv", content)}, follow=True
    )
    assert first.status_code == 302
    assert again.redirect_chain[-1][0] == reverse("admin:scoring_uploadbatch_change", args=[batch.pk])
    assert any(f"already being imported as batch {batch.pk} (a.csv)" in m for m in page_messages(again))
    assert UploadBatch.objects.count() == 1


# --- transcripts --------------------------------------------------------------------------------


def test_transcript_list_filters_and_detail(admin_client, uploaded):
    batch, _ = uploaded
    url = reverse("admin:scoring_transcript_changelist")
    assert admin_client.get(url).status_code == 200

    filtered = admin_client.get(url, {"channel__id__exact": Transcript.objects.get(external_id="SM-D00102").channel_id})
    assert filtered.status_code == 200
    shown = filtered.context["cl"].result_count
    assert shown == Transcript.objects.filter(channel__code="social_media").count() > 0

    public = admin_client.get(url, {"visibility": "public", "batch": str(batch.pk)})
    assert public.status_code == 200
    assert public.context["cl"].result_count == Transcript.objects.filter(visibility="public").count()

    search = admin_client.get(url, {"q": "SM-D00102"})
    assert search.context["cl"].result_count == 1

    by_cso = admin_client.get(url, {"cso": "Intan Permata Sari"})
    assert by_cso.context["cl"].result_count == Transcript.objects.filter(cso_name="Intan Permata Sari").count()

    transcript = Transcript.objects.get(external_id="SM-D00102")
    detail = admin_client.get(reverse("admin:scoring_transcript_change", args=[transcript.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    texts = list(transcript.messages.order_by("position").values_list("text", flat=True))
    positions = [body.index(escape(text)) for text in texts]
    assert positions == sorted(positions)  # in order
    assert "12:35:54" in body  # local time, Asia/Makassar
    score = transcript.scores.get()
    assert reverse("admin:scoring_score_change", args=[score.pk]) in body
    assert url in body  # the way back


# --- scores ---------------------------------------------------------------------------------------


def test_score_detail_marks_the_matched_passage(admin_client, uploaded):
    score = (
        Score.objects.filter(passage_start__isnull=False, result=Result.YES)
        .select_related("transcript")
        .order_by("transcript__external_id")
        .first()
    )
    assert score is not None
    response = admin_client.get(reverse("admin:scoring_score_change", args=[score.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    marked = re.search(r"<mark>(.*?)</mark>", body, re.S)
    assert marked is not None
    from scoring.selectors import transcript_first_cso_turn

    turn = transcript_first_cso_turn(score.transcript)
    assert marked.group(1) == escape(turn[score.passage_start : score.passage_end])
    assert escape(score.reason) in body
    assert escape(score.expected_greeting) in body
    assert reverse("admin:policy_directive_change", args=[score.directive_id]) in body
    assert (
        reverse("admin:policy_directive_simple_history", args=[score.directive_id, score.directive_history_id]) in body
    )
    assert reverse("admin:scoring_transcript_change", args=[score.transcript_id]) in body
    assert score.scorer_version in body


def test_score_list_filters(admin_client, uploaded):
    url = reverse("admin:scoring_score_changelist")
    everything = admin_client.get(url)
    assert everything.status_code == 200
    assert everything.context["cl"].result_count == DEV_TRANSCRIPTS

    no = admin_client.get(url, {"result__exact": "NO"})
    assert no.status_code == 200
    assert no.context["cl"].result_count == Score.objects.filter(result="NO").count() > 0

    final_no = admin_client.get(url, {"final": "NO"})
    assert final_no.context["cl"].result_count == Score.objects.filter(result="NO").count()

    score = Score.objects.filter(directive__reference="SOP-PLN123-HPN2023").first()
    by_directive = admin_client.get(url, {"directive__id__exact": score.directive_id})
    assert by_directive.status_code == 200
    assert by_directive.context["cl"].result_count == Score.objects.filter(directive_id=score.directive_id).count()

    flagged = admin_client.get(url, {"flag": "festive_on_public_complaint"})
    assert flagged.status_code == 200
    expected = [s.pk for s in Score.objects.all() if "festive_on_public_complaint" in s.flags]
    assert sorted(s.pk for s in flagged.context["cl"].queryset) == sorted(expected)

    for params in (
        {"transcript__channel__id__exact": score.transcript.channel_id},
        {"cso": score.transcript.cso_name},
        {"current": "all"},
        {"current": "old"},
        {"flag": "none"},
        {"batch": str(score.batch_id)},
        {"q": score.transcript.external_id},
    ):
        assert admin_client.get(url, params).status_code == 200, params


# --- export ---------------------------------------------------------------------------------------


def test_export_csv_from_the_changelist(admin_client, uploaded):
    response = admin_client.get(reverse("admin:scoring_score_export", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="scores-\d{8}-\d{4}\.csv"', response["Content-Disposition"])
    content = response.content.decode("utf-8")
    assert content.splitlines()[0].startswith(CONTRACT_HEADER)
    rows = csv_rows(response.content)
    assert rows[0][: len(COLUMNS)] == CONTRACT_HEADER.split(",")
    assert len(rows) - 1 == DEV_TRANSCRIPTS


def test_export_honours_the_filters(admin_client, uploaded):
    response = admin_client.get(reverse("admin:scoring_score_export", args=["csv"]), {"result__exact": "NO"})
    rows = csv_rows(response.content)[1:]
    assert len(rows) == Score.objects.filter(result="NO").count() > 0
    assert {row[5] for row in rows} == {"NO"}


def test_export_xlsx_opens_with_openpyxl(admin_client, uploaded):
    response = admin_client.get(reverse("admin:scoring_score_export", args=["xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.fullmatch(r'attachment; filename="scores-\d{8}-\d{4}\.xlsx"', response["Content-Disposition"])
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][: len(COLUMNS)]) == COLUMNS
    assert len(rows) - 1 == DEV_TRANSCRIPTS


def test_export_selected_action(admin_client, uploaded):
    chosen = list(Score.objects.order_by("pk").values_list("pk", flat=True)[:5])
    url = reverse("admin:scoring_score_changelist")
    response = admin_client.post(url, {"action": "export_csv", "_selected_action": chosen})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert len(csv_rows(response.content)) - 1 == 5

    response = admin_client.post(url, {"action": "export_xlsx", "_selected_action": chosen})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 6


def test_export_of_a_batch(admin_client, uploaded):
    batch, _ = uploaded
    response = admin_client.get(reverse("admin:scoring_uploadbatch_export", args=[batch.pk, "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert len(csv_rows(response.content)) - 1 == DEV_TRANSCRIPTS
    wrong = admin_client.get(reverse("admin:scoring_uploadbatch_export", args=[batch.pk, "pdf"]))
    assert wrong.status_code == 302


# --- bad files --------------------------------------------------------------------------------------


def test_bad_rows_are_each_listed_and_nothing_is_stored(
    admin_client, seeded, dev_data, django_capture_on_commit_callbacks
):
    """GIVEN the dev CSV with a wrong channel on one row and an unparseable timestamp
    on another
    WHEN it is uploaded (the request stores the file; a worker checks it)
    THEN the batch page says the file was rejected and lists both errors with their
    rows, and nothing is stored, not even the file; the same file fixed then imports."""
    rows = csv_rows(dev_csv(dev_data))
    header = rows[0]
    channel_col, sent_col = header.index("channel"), header.index("sent_at")
    good_channel, good_sent = rows[5][channel_col], rows[9][sent_col]
    rows[5][channel_col] = "fax"
    rows[9][sent_col] = "not a time"

    response = upload(admin_client, django_capture_on_commit_callbacks, "bad.csv", csv_bytes(rows))
    assert response.status_code == 302
    rejected = UploadBatch.objects.get()
    assert response["Location"] == reverse("admin:scoring_uploadbatch_change", args=[rejected.pk])
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    errors = rejected.row_error_lines
    assert len(errors) >= 2
    channel_error = next(e for e in errors if "column channel" in e)
    time_error = next(e for e in errors if "column sent_at" in e)
    assert channel_error.startswith("row 6,") and "fax" in channel_error
    assert time_error.startswith("row 10,")
    body = page.content.decode()
    for error in errors:
        assert escape(error) in body
    assert "rejected as a whole; nothing from it was stored" in body
    assert 'http-equiv="refresh"' not in body  # rejected is final
    assert "Traceback" not in body
    assert rejected.status == BatchStatus.REJECTED and rejected.is_finished
    assert rejected.row_error_count == len(errors)
    assert not rejected.file  # the bad file is not kept either
    assert Transcript.objects.count() == 0
    assert Message.objects.count() == 0
    assert not rejected.chunks.exists()
    progress = admin_client.get(reverse("admin:scoring_uploadbatch_progress", args=[rejected.pk])).json()
    assert progress["status"] == "rejected" and progress["finished"] is True
    assert progress["row_errors"] == errors

    rows[5][channel_col], rows[9][sent_col] = good_channel, good_sent
    fixed = upload(admin_client, django_capture_on_commit_callbacks, "fixed.csv", csv_bytes(rows))
    assert fixed.status_code == 302
    batch = UploadBatch.objects.exclude(pk=rejected.pk).get()
    assert batch.status == BatchStatus.DONE and batch.scored_count == DEV_TRANSCRIPTS


def test_a_missing_column_is_reported(admin_client, seeded, dev_data, django_capture_on_commit_callbacks):
    rows = csv_rows(dev_csv(dev_data))
    text_col = rows[0].index("text")
    without_text = [row[:text_col] + row[text_col + 1 :] for row in rows]
    response = upload(admin_client, django_capture_on_commit_callbacks, "no-text.csv", csv_bytes(without_text))
    assert response.status_code == 302
    batch = UploadBatch.objects.get()
    errors = batch.row_error_lines
    assert any("column text" in e and "missing" in e for e in errors)
    assert escape(errors[0]) in admin_client.get(response["Location"]).content.decode()
    assert Transcript.objects.count() == 0
    assert batch.status == BatchStatus.REJECTED


def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(
    admin_client, seeded, dev_data, django_capture_on_commit_callbacks, settings
):
    """Issue 10: the upload size is checked in the request, before anything is stored."""
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    content = dev_csv(dev_data)
    big = content + content.split(b"\n", 1)[1] * (1 + 1024 * 1024 // len(content))
    response = upload(admin_client, django_capture_on_commit_callbacks, "big.csv", big)
    assert response.status_code == 200
    [error] = response.context["upload_errors"]
    assert error.startswith("big.csv: the file is ") and "more than the limit of 1.0 MB" in error
    assert "split it into smaller files" in error
    assert escape(error) in response.content.decode()
    assert not UploadBatch.objects.exists()


def test_a_file_of_the_wrong_kind_is_refused_by_the_form(admin_client, seeded, django_capture_on_commit_callbacks):
    response = upload(admin_client, django_capture_on_commit_callbacks, "notes.txt", b"hello")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not UploadBatch.objects.exists()


# --- rescore and resume -------------------------------------------------------------------------------


def test_rescore_selected_transcripts_keeps_the_old_scores(admin_client, uploaded, django_capture_on_commit_callbacks):
    first, _ = uploaded
    chosen = list(Transcript.objects.order_by("external_id")[:3])
    old = {s.pk for s in Score.objects.filter(transcript__in=chosen)}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:scoring_transcript_changelist"),
            {"action": "rescore_selected", "_selected_action": [t.pk for t in chosen]},
        )
    rescore = UploadBatch.objects.exclude(pk=first.pk).get()
    assert rescore.kind == BatchKind.RESCORE
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:scoring_uploadbatch_change", args=[rescore.pk])
    assert rescore.status == BatchStatus.DONE and rescore.scored_count == 3
    assert Score.objects.filter(pk__in=old, is_current=False).count() == len(old)
    assert Score.objects.filter(transcript__in=chosen, is_current=True, batch=rescore).count() == 3
    # The default score list shows only the current ones; "all" shows the old too.
    url = reverse("admin:scoring_score_changelist")
    assert admin_client.get(url).context["cl"].result_count == DEV_TRANSCRIPTS
    assert admin_client.get(url, {"current": "all"}).context["cl"].result_count == DEV_TRANSCRIPTS + 3


def test_rescore_and_resume_a_batch_from_its_page(admin_client, uploaded, django_capture_on_commit_callbacks):
    first, _ = uploaded
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:scoring_uploadbatch_rescore", args=[first.pk]), follow=True)
    rescore = UploadBatch.objects.exclude(pk=first.pk).get()
    assert response.redirect_chain[-1][0] == reverse("admin:scoring_uploadbatch_change", args=[rescore.pk])
    assert any("queued for rescoring" in m for m in page_messages(response))
    assert rescore.status == BatchStatus.DONE and rescore.scored_count == DEV_TRANSCRIPTS
    assert Score.objects.filter(is_current=False).count() == DEV_TRANSCRIPTS

    resumed = admin_client.post(reverse("admin:scoring_uploadbatch_resume", args=[first.pk]), follow=True)
    assert resumed.status_code == 200
    assert any("nothing to resume" in m for m in page_messages(resumed))
    assert admin_client.get(reverse("admin:scoring_uploadbatch_resume", args=[first.pk])).status_code == 405


def test_resume_a_stalled_batch(admin_client, seeded, dev_data, django_capture_on_commit_callbacks):
    from scoring.services import ingest

    batch = ingest.batch_ingest(filename="dev.csv", content=dev_csv(dev_data), user=None, enqueue=False)
    UploadBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.STALLED)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:scoring_uploadbatch_changelist"),
            {"action": "resume_selected", "_selected_action": [batch.pk]},
            follow=True,
        )
    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.scored_count == DEV_TRANSCRIPTS


# --- nothing is edited through the admin ------------------------------------------------------------------


def test_transcripts_scores_and_batches_cannot_be_added_changed_or_deleted(admin_client, uploaded):
    batch, _ = uploaded
    transcript = Transcript.objects.order_by("pk").first()
    score = Score.objects.order_by("pk").first()
    for name in ("transcript", "score"):
        assert admin_client.get(reverse(f"admin:scoring_{name}_add")).status_code == 403
        listing = admin_client.get(reverse(f"admin:scoring_{name}_changelist"))
        assert reverse(f"admin:scoring_{name}_add") not in listing.content.decode()
    for name, obj in (("transcript", transcript), ("score", score), ("uploadbatch", batch)):
        change = reverse(f"admin:scoring_{name}_change", args=[obj.pk])
        assert admin_client.post(change, {"reason": "edited"}).status_code == 403
        assert admin_client.get(reverse(f"admin:scoring_{name}_delete", args=[obj.pk])).status_code == 403
    score.refresh_from_db()
    assert score.reason != "edited"
    actions = admin_client.get(reverse("admin:scoring_score_changelist")).context["action_form"].fields["action"]
    assert "delete_selected" not in dict(actions.choices)


def test_a_view_only_user_sees_but_cannot_upload(client, uploaded, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="x" * 16, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="scoring", codename__in=["view_uploadbatch", "view_transcript", "view_score"]
        )
    )
    client.force_login(user)
    batch, _ = uploaded
    assert client.get(reverse("admin:scoring_uploadbatch_change", args=[batch.pk])).status_code == 200
    assert client.get(reverse("admin:scoring_uploadbatch_upload")).status_code == 403
    assert client.post(reverse("admin:scoring_uploadbatch_rescore", args=[batch.pk])).status_code == 403
    assert client.get(reverse("admin:scoring_score_export", args=["csv"])).status_code == 200
