"""The QA admin pages that are not a model form: upload, batch progress (page and
JSON), rescore and resume, the read-only transcript and score pages, and the score
exports. Wired through the ModelAdmins' get_urls(); each takes its ModelAdmin.

Writes go through scoring.services, reads through scoring.selectors. Every error a
person can cause ends as a message on a page, never a stack trace.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rules.resolver import PolicyError
from scoring import evidence_pack, explain, exports, selectors, upload_errors
from scoring.choices import BATCH_NOT_CUT, BatchStatus
from scoring.forms import OverrideForm, UploadForm
from scoring.models import Score, UploadBatch
from scoring.services import chunks, ingest, overrides
from scoring.types import RowError, UploadInvalid

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Batches that will move on by themselves: their page refreshes until they stop.
MOVING = (BatchStatus.RECEIVED, BatchStatus.CHECKING, BatchStatus.STORING, BatchStatus.QUEUED, BatchStatus.SCORING)


# --- helpers -------------------------------------------------------------------------------


def _context(request, model_admin, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "app_label": model_admin.model._meta.app_label,
        **extra,
    }


def admin_url(name: str, *args, query: str = "") -> str:
    return reverse(f"admin:{name}", args=args) + (f"?{query}" if query else "")


def _object_or_redirect(request, model_admin, object_id):
    """The object, or a redirect to the changelist with a message when it is gone."""
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        opts = model_admin.model._meta
        messages.warning(
            request,
            _("There is no %(thing)s with id %(id)s; perhaps it was deleted.")
            % {"thing": opts.verbose_name, "id": repr(object_id)},
        )
        return None, HttpResponseRedirect(admin_url(f"{opts.app_label}_{opts.model_name}_changelist"))
    if not model_admin.has_view_permission(request, obj):
        raise PermissionDenied
    return obj, None


def batch_url(batch: UploadBatch) -> str:
    return admin_url("scoring_uploadbatch_change", batch.pk)


def export_filename(fmt: str, *, stem: str = "scores") -> str:
    return f"{stem}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def export_response(scores, fmt: str, *, stem: str = "scores") -> HttpResponse:
    """The score export of docs/formats.md as a download."""
    response = HttpResponse(exports.render_scores(scores, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export_filename(fmt, stem=stem)}"'
    return response


def export_queryset(queryset):
    """What the export needs in one go: the rows it joins and the overrides in force."""
    return (
        queryset.select_related("transcript", "transcript__channel", "parameter", "directive")
        .with_latest_override()
        .order_by("transcript__external_id", "parameter__code", "-scored_at", "-pk")
    )


def highlight(text: str, start: int | None, end: int | None, passage: str = ""):
    """The turn with the matched passage in ``<mark>``; everything else escaped.
    Falls back to finding the passage text when the stored offsets do not fit."""
    if start is None or end is None or not (0 <= start < end <= len(text)):
        found = text.find(passage) if passage else -1
        if found < 0:
            return escape(text), False
        start, end = found, found + len(passage)
    return format_html("{}<mark>{}</mark>{}", text[:start], text[start:end], text[end:]), True


def batch_progress_data(batch: UploadBatch) -> dict:
    return {
        "id": batch.pk,
        "status": batch.status,
        "status_label": batch.get_status_display(),
        "finished": batch.is_finished,
        "percent": batch.progress_percent,
        "transcript_count": batch.transcript_count,
        "scored_count": batch.scored_count,
        "failed_count": batch.failed_count,
        "chunk_count": batch.chunk_count,
        "chunks_done": batch.chunks_done,
        "chunks": selectors.batch_chunk_summary(batch),
        "rows_read": batch.rows_read,
        "message_count": batch.message_count,
        "row_error_count": batch.row_error_count,
        # The first problems only: the full list is the batch's CSV (issue 10).
        "row_errors": batch.row_error_lines[: upload_errors.ERRORS_ON_PAGE],
    }


def received_message(batch: UploadBatch) -> str:
    return _(
        "Batch %(batch)s: %(file)s received. The workers check it and store its transcripts, "
        "then score them; this page follows them, and lists every problem if the file has any."
    ) % {"batch": batch.pk, "file": batch.original_name}


# --- upload ----------------------------------------------------------------------------------


def batch_upload(request, *, model_admin):
    """Upload one transcript file: stored and queued, or rejected with every error."""
    if not model_admin.has_upload_permission(request):
        raise PermissionDenied
    errors: list[str] = []
    listing: dict = {}
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            # Django has already spilled a big upload to a temporary file: it is stored
            # from there as it is, never read into memory whole, and checked by a worker.
            upload = form.cleaned_data["file"]
            try:
                batch = ingest.batch_receive(filename=upload.name, file=upload, user=request.user)
            except ingest.BatchInWork as exc:
                messages.info(request, str(exc))
                if exc.batch is not None:
                    return HttpResponseRedirect(batch_url(exc.batch))
            except UploadInvalid as exc:
                listing = upload_error_listing(request, upload.name, exc.errors)
                errors = listing.pop("errors")
                messages.error(
                    request,
                    _(
                        "%(file)s was not imported: %(count)s problem(s) found. Nothing was stored; "
                        "fix the file and upload it again."
                    )
                    % {"file": upload.name, "count": len(exc.errors)},
                )
            except (ValidationError, PolicyError, DatabaseError, LookupError, OSError) as exc:
                logger.exception("upload of %s failed", upload.name)
                errors = [
                    getattr(exc, "messages", None) and " ".join(exc.messages) or _("the file could not be stored")
                ]
                messages.error(request, _("%(file)s was not imported. Nothing was stored.") % {"file": upload.name})
            else:
                messages.success(request, received_message(batch))
                if batch.duplicate_of_id:
                    messages.warning(request, batch.note)
                return HttpResponseRedirect(batch_url(batch))
    else:
        form = UploadForm()
    context = _context(request, model_admin, title=_("Upload transcripts"), form=form, upload_errors=errors, **listing)
    return TemplateResponse(request, "admin/scoring/uploadbatch/upload.html", context)


def upload_error_listing(request, filename: str, all_errors) -> dict:
    """The first problems for the page, and where to download all of them."""
    token = upload_errors.error_report_save(user=request.user, filename=filename, errors=all_errors)
    return {
        "errors": [str(error) for error in all_errors[: upload_errors.ERRORS_ON_PAGE]],
        "upload_error_total": len(all_errors),
        "upload_error_report": admin_url("scoring_uploadbatch_upload_errors", token),
    }


def upload_errors_download(request, *, model_admin, token: str):
    """The full list of a rejected upload's problems, as CSV, for the one who uploaded it."""
    if not model_admin.has_upload_permission(request):
        raise PermissionDenied
    path = upload_errors.error_report_path(user=request.user, token=token)
    if path is None:
        messages.warning(
            request, "That list of problems is no longer kept (lists are kept for a day); upload the file again."
        )
        return HttpResponseRedirect(admin_url("scoring_uploadbatch_upload"))
    response = HttpResponse(path.read_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename("csv", stem="upload-problems")}"'
    return response


# --- batches --------------------------------------------------------------------------------


def batch_detail(request, *, model_admin, object_id):
    """A batch's progress, counts, chunks, errors, and where its results are."""
    batch, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    context = _context(
        request,
        model_admin,
        title=str(batch),
        batch=batch,
        object=batch,
        progress=batch_progress_data(batch),
        refresh=batch.status in MOVING,
        # Shown to those the POST lets through (rescore and resume check the same right).
        can_rescore=model_admin.has_rescore_permission(request),
        can_resume=batch.status not in (BatchStatus.DONE, *BATCH_NOT_CUT),
        transcripts_url=admin_url("scoring_transcript_changelist", query=f"batch={batch.pk}"),
        scores_url=admin_url("scoring_score_changelist", query=f"batch={batch.pk}&current=all"),
        duplicate_url=batch_url(batch.duplicate_of) if batch.duplicate_of_id else "",
        row_error_lines=batch.row_error_lines[: upload_errors.ERRORS_ON_PAGE],
        row_errors_url=admin_url("scoring_uploadbatch_problems", batch.pk) if batch.row_errors else "",
    )
    return TemplateResponse(request, "admin/scoring/uploadbatch/detail.html", context)


def batch_problems_download(request, *, model_admin, object_id):
    """A rejected batch's problems as CSV (cells neutralised), for whoever may see the batch."""
    batch, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    errors = [RowError(e["location"], e["column"], e["message"]) for e in batch.row_errors]
    rest = batch.row_error_count - len(errors)
    if rest > 0:
        errors.append(
            RowError(
                "",
                "",
                _("... and %(count)s more problem(s), not kept: fix these and upload the file again to see them")
                % {"count": f"{rest:,}"},
            )
        )
    content = upload_errors.error_report_csv(filename=batch.original_name, errors=errors)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    stem = f"batch-{batch.pk}-problems"
    response["Content-Disposition"] = f'attachment; filename="{export_filename("csv", stem=stem)}"'
    return response


def batch_progress(request, *, model_admin, object_id):
    """The progress of a batch as JSON, for pages and scripts that poll it."""
    batch = model_admin.get_object(request, unquote(object_id))
    if batch is None:
        return JsonResponse({"error": f"no batch {object_id}"}, status=404)
    if not model_admin.has_view_permission(request, batch):
        return JsonResponse({"error": "not allowed"}, status=403)
    return JsonResponse(batch_progress_data(batch))


def rescore_batch(request, *, batch: UploadBatch, user) -> UploadBatch | None:
    try:
        new = ingest.batch_rescore(source=batch, user=user)
    except (ValidationError, PolicyError, DatabaseError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, _("Batch %(batch)s was not rescored: %(error)s") % {"batch": batch.pk, "error": text})
        return None
    messages.success(
        request,
        _("Batch %(batch)s: %(count)s transcript(s) of batch %(source)s queued for rescoring.")
        % {"batch": new.pk, "count": new.transcript_count, "source": batch.pk},
    )
    return new


def resume_batch(request, *, batch: UploadBatch) -> int | None:
    try:
        queued = chunks.batch_resume(batch=batch)
    except (ValidationError, PolicyError, DatabaseError) as exc:
        messages.error(request, _("Batch %(batch)s was not resumed: %(error)s") % {"batch": batch.pk, "error": exc})
        return None
    if queued:
        messages.success(
            request, _("Batch %(batch)s: %(count)s chunk(s) queued again.") % {"batch": batch.pk, "count": queued}
        )
    else:
        messages.info(request, _("Batch %(batch)s: no chunk was waiting; nothing to resume.") % {"batch": batch.pk})
    return queued


@require_POST
def batch_rescore_view(request, *, model_admin, object_id):
    batch, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    if not model_admin.has_rescore_permission(request):
        raise PermissionDenied
    new = rescore_batch(request, batch=batch, user=request.user)
    return HttpResponseRedirect(batch_url(new or batch))


@require_POST
def batch_resume_view(request, *, model_admin, object_id):
    batch, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    if not model_admin.has_rescore_permission(request):
        raise PermissionDenied
    resume_batch(request, batch=batch)
    return HttpResponseRedirect(batch_url(batch))


def batch_export(request, *, model_admin, object_id, fmt: str):
    """The latest score of every transcript of the batch."""
    batch, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    return export_response(selectors.current_scores(batch=batch), fmt, stem=f"scores-batch{batch.pk}")


# --- transcripts ----------------------------------------------------------------------------


def transcript_detail(request, *, model_admin, object_id):
    """A transcript as uploaded: its fields, its messages in order, and its scores."""
    transcript, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    zone = selectors.zone_named(transcript.timezone)
    rows = [
        {"message": m, "local": timezone.localtime(m.sent_at, zone)} for m in transcript.messages.order_by("position")
    ]
    scores = list(
        transcript.scores.select_related("parameter", "directive", "batch")
        .with_latest_override()
        .order_by("-is_current", "-scored_at", "-pk")
    )
    context = _context(
        request,
        model_admin,
        title=_("Transcript %(transcript)s") % {"transcript": transcript.external_id},
        transcript=transcript,
        object=transcript,
        message_rows=rows,
        zone_name=str(zone),
        scores=scores,
        batches_url=admin_url("scoring_uploadbatch_changelist"),
        can_rescore=model_admin.has_rescore_permission(request),
    )
    return TemplateResponse(request, "admin/scoring/transcript/detail.html", context)


@require_POST
def transcript_rescore_view(request, *, model_admin, object_id):
    transcript, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    if not model_admin.has_rescore_permission(request):
        raise PermissionDenied
    try:
        batch = ingest.batch_rescore(transcripts=[transcript], user=request.user)
    except (ValidationError, PolicyError, DatabaseError) as exc:
        messages.error(
            request,
            _("%(transcript)s was not rescored: %(error)s") % {"transcript": transcript.external_id, "error": exc},
        )
        return HttpResponseRedirect(admin_url("scoring_transcript_change", transcript.pk))
    messages.success(
        request,
        _("Batch %(batch)s: %(transcript)s queued for rescoring.")
        % {"batch": batch.pk, "transcript": transcript.external_id},
    )
    return HttpResponseRedirect(batch_url(batch))


# --- scores ---------------------------------------------------------------------------------


def _directive_links(score: Score) -> dict:
    links = {"directive_url": "", "history_url": ""}
    if score.directive_id:
        links["directive_url"] = admin_url("policy_directive_change", score.directive_id)
        if score.directive_history_id:
            try:
                links["history_url"] = admin_url(
                    "policy_directive_simple_history", score.directive_id, score.directive_history_id
                )
            except NoReverseMatch:  # the policy admin without simple-history
                links["history_url"] = admin_url("policy_directive_history", score.directive_id)
    return links


def score_detail(request, *, model_admin, object_id, override_form=None):
    """One score and why: the CSO's first turn with the matched passage marked, the
    greeting owed, the reason, and the directive version that decided (rule S11)."""
    score, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    transcript = score.transcript
    # After a re-upload with other content, the messages this score judged are gone.
    stale = bool(score.content_hash) and score.content_hash != transcript.content_hash
    turn = "" if stale else selectors.transcript_first_cso_turn(transcript)
    marked, found = highlight(turn, score.passage_start, score.passage_end, score.matched_passage)
    local = ""
    if score.local_time is not None:
        zone = selectors.zone_named(score.zone_label)
        local = f"{timezone.localtime(score.local_time, zone):%Y-%m-%d %H:%M:%S} {score.zone_label}"
    others = (
        transcript.scores.exclude(pk=score.pk)
        .select_related("parameter", "directive")
        .with_latest_override()
        .order_by("-is_current", "-scored_at", "-pk")
    )
    evidence = selectors.score_evidence(score)
    context = _context(
        request,
        model_admin,
        title=_("Score of %(transcript)s, parameter %(parameter)s")
        % {"transcript": transcript.external_id, "parameter": score.parameter.code},
        **explain.evidence_context(evidence),
        reason_clauses=explain.explained_reason(score.reason_shown),
        score=score,
        object=score,
        transcript=transcript,
        turn_html=marked,
        passage_found=found,
        stale_content=stale,
        local=local,
        overrides=list(score.overrides.newest_first().select_related("created_by")),
        override_form=override_form or OverrideForm(initial={"result": score.final_result}),
        can_override=model_admin.has_override_permission(request),
        others=others,
        transcript_url=admin_url("scoring_transcript_change", transcript.pk),
        batch_link=batch_url(score.batch) if score.batch_id else "",
        **_directive_links(score),
    )
    return TemplateResponse(request, "admin/scoring/score/detail.html", context)


def scores_export(request, *, model_admin, fmt: str):
    """The scores the changelist shows with the same filters, search and date, as a file."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    try:
        changelist = model_admin.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
    except IncorrectLookupParameters:
        messages.error(request, _("Those filters are not understood; nothing was exported."))
        return HttpResponseRedirect(admin_url("scoring_score_changelist"))
    return export_response(export_queryset(queryset), fmt)


def score_override_view(request, *, model_admin, object_id):
    """QA sets a different result with a written justification (POST from the score page)."""
    score, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    if not model_admin.has_override_permission(request):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseRedirect(admin_url("scoring_score_change", score.pk))
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            overrides.score_override(
                score=score,
                result=form.cleaned_data["result"],
                justification=form.cleaned_data["justification"],
                user=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("%(transcript)s %(parameter)s: result set to %(result)s (automatic: %(automatic)s).")
                % {
                    "transcript": score.transcript.external_id,
                    "parameter": score.parameter.code,
                    "result": form.cleaned_data["result"],
                    "automatic": score.result,
                },
            )
            return HttpResponseRedirect(admin_url("scoring_score_change", score.pk))
    return score_detail(request, model_admin=model_admin, object_id=object_id, override_form=form)


# --- evidence packs -------------------------------------------------------------------------


def score_evidence(request, *, model_admin, object_id):
    """The evidence pack of one score, as a download."""
    score, redirect = _object_or_redirect(request, model_admin, object_id)
    if redirect:
        return redirect
    response = HttpResponse(evidence_pack.evidence_html(score), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{evidence_pack.evidence_filename(score)}"'
    return response


def evidence_zip_response(queryset) -> StreamingHttpResponse:
    """The evidence packs of the selected (filtered) scores as one ZIP, streamed."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        evidence_pack.evidence_zip_stream(evidence_pack.evidence_scores(queryset)), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="evidence-packs-{stamp}.zip"'
    return response
