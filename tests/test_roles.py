"""Who may do what in the admin, one row per role and page or action.

The roles (groups made by policy/migrations/0003_roles.py):
- Pusat: makes, edits, publishes, withdraws, imports and exports the policy; sees the
  scores; does not upload, rescore or override.
- QA: uploads, rescores, views and exports scores, overrides with a written
  justification; sees the policy and its history; changes no policy object.
- Auditor: sees and exports everything, history included; changes nothing, by any
  form, action, import or URL.
- a staff user in no group sees nothing; anonymous goes to the login page.

A refused write must leave the whole database as it was (every row of every table,
history and admin log included); an allowed one must have done its work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from policy.choices import DirectiveStatus
from policy.models import Directive
from scoring.choices import BatchKind, BatchStatus, Result
from scoring.models import ScoreOverride, UploadBatch
from tests.roles import (
    ANONYMOUS,
    AUDITOR,
    DRAFT,
    POLICY_MODELS,
    PUBLISHED,
    ROLES,
    World,
    build_world,
    changed_tables,
    fingerprint,
    jsonl_lines,
    login_url,
    role_user,
    superuser_client,
    superuser_form,
)

pytestmark = pytest.mark.django_db

APP = {name: "policy" for name in POLICY_MODELS} | {
    "uploadbatch": "scoring",
    "transcript": "scoring",
    "score": "scoring",
    "user": "auth",
    "group": "auth",
}
NATAL = "SOP-PLN123-ROLES-IMPORTED"
NATAL_CSV = (
    "reference,kind,title,issuing_unit,status,priority,valid_from_date,valid_from_time,valid_until_date,"
    "valid_until_time,channels,first_contact_only,public_owed_categories,typo_ratio,typo_min_length,"
    "forms_of_address,memo_text\n"
    f'{NATAL},directive,Natal 2023,PLN Pusat,draft,0,2023-12-20,00:00:00,2023-12-26,23:59:59,"live_chat, email",'
    "1,Informasi,0.10,10,,Memo Natal\n"
)
REASON = "Agreed with the SOP owner"


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end;
    each test runs in a savepoint within it, as Django's setUpTestData does."""
    from django.db import transaction

    from common.users import system_user
    from policy.seed import sop_seed
    from tests.conftest import DEV_DATA

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            sop_seed(user=system_user())
            yield build_world(DEV_DATA)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(_world, db) -> World:
    # A test may have changed these in memory; start each one from the database.
    for obj in [_world.superuser, _world.draft, _world.published, _world.baseline, _world.batch, _world.stalled]:
        obj.refresh_from_db()
    for obj in _world.objects.values():
        obj.refresh_from_db()
    return _world


# --- URLs --------------------------------------------------------------------------------------------


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=[str(a) for a in args])


def changelist(model: str) -> Callable[[World], str]:
    return lambda w: url(f"{APP[model]}_{model}_changelist")


def object_url(model: str, view: str) -> Callable[[World], str]:
    return lambda w: url(f"{APP[model]}_{model}_{view}", w.pk(model))


def latest_version_url(model: str) -> Callable[[World], str]:
    """The simple-history page of the object's latest version (view, and revert on POST)."""

    def build(w: World) -> str:
        record = w.obj(model).history.latest()
        return url(f"policy_{model}_simple_history", w.pk(model), record.history_id)

    return build


# --- a case: one page or action ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request. ``done`` says whether a write took effect (it must when allowed,
    must not when refused); ``shows`` whether an allowed page shows what it is for.
    A refusal is a status in ``refused`` with the database unchanged."""

    name: str
    method: str
    url: Callable[[World], str]
    data: Callable[[World], dict] | None = None
    done: Callable[[World], bool] | None = None
    shows: Callable[[object], bool] | None = None
    ok: tuple[int, ...] = (200,)
    refused: tuple[int, ...] = (403,)
    follow: bool = False

    def __str__(self) -> str:
        return self.name


def page(name, to, **kwargs) -> Case:
    return Case(name=f"{name}-GET", method="GET", url=to, **kwargs)


def post(name, to, data, done=None, **kwargs) -> Case:
    kwargs.setdefault("ok", (302,))
    return Case(name=f"{name}-POST", method="POST", url=to, data=data, done=done, **kwargs)


def action(model: str, name: str, selected: Callable[[World], list], done=None, **extra) -> Case:
    """A changelist action. Offered only to whom has its right: for the others Django
    shows the list again (200, no action offered), or answers "no action selected"
    with a redirect to it, or 403 without the right to view."""

    def data(w: World) -> dict:
        return {"action": name, "_selected_action": [str(pk) for pk in selected(w)], "index": "0", **extra}

    kwargs = {"ok": (302,), "refused": REFUSED_ACTION}
    if done is None:  # an action that answers with a file
        kwargs = {"ok": (200,), "refused": REFUSED_ACTION, "shows": is_csv}
    return post(f"{model}-{name}", changelist(model), data, done, **kwargs)


REFUSED_ACTION = (200, 302, 403)


def is_csv(response) -> bool:
    return response["Content-Type"].startswith("text/csv") and b"," in response.content


def is_attachment(response) -> bool:
    return "attachment" in response.get("Content-Disposition", "")


def lists_rows(response) -> bool:
    return response.context["cl"].result_count >= 1


# --- what each model's add and change forms post, and how to see it was saved -----------------------

EDITS = {  # model: (field, new value, as the form posts it)
    "directive": ("title", "Promo (revised)"),
    "greetingtemplate": ("text", "PLN 123 Selamat {waktu}, dengan {nama_cso}, ada yang bisa dibantu"),
    "timeband": ("word", "Pagi hari"),
    "scoredparameter": ("name", "Salam pembuka (revised)"),
    "cso": ("full_name", "Rina M."),
    "channel": ("name", "Electronic mail"),
    "timezonealias": ("iana_name", "Asia/Pontianak"),
}


def edit_data(model: str, to: Callable[[World], str]) -> Callable[[World], dict]:
    field, value = EDITS[model]
    return lambda w: superuser_form(w, to(w), **{field: value, "change_reason": REASON})


def edited(model: str) -> Callable[[World], bool]:
    field, value = EDITS[model]
    return lambda w: str(getattr(POLICY_MODELS[model].objects.get(pk=w.obj(model).pk), field)) == value


ADDS = {  # model: (form fields, lookup of the new row)
    "directive": (
        lambda w: {
            "kind": "directive",
            "reference": "SOP-PLN123-NEW",
            "title": "New",
            "valid_from_date": "2023-12-20",
            "valid_from_time": "00:00:00",
            "valid_until_date": "2023-12-26",
            "valid_until_time": "23:59:59",
            "channels": [w.pk("channel")],
            "templates-TOTAL_FORMS": "1",
            "templates-0-element": "opening",
            "templates-0-channel": "",
            "templates-0-text": "PLN 123 Selamat {waktu}, dengan {nama_cso} bisa dibantu",
        },
        {"reference": "SOP-PLN123-NEW"},
    ),
    "greetingtemplate": (
        lambda w: {
            "directive": str(w.draft.pk),
            "element": "closing",
            "channel": "",
            "text": "Terima kasih, {nama_cso}",
        },
        {"directive__reference": DRAFT, "element": "closing"},
    ),
    "timeband": (
        lambda w: {"baseline": str(w.baseline.pk), "word": "Dini", "starts_at": "02:00", "ends_at": "02:30"},
        {"word": "Dini"},
    ),
    "scoredparameter": (
        lambda w: {"code": "9.9", "name": "Test", "channel": w.pk("channel"), "element": "opening", "active": "on"},
        {"code": "9.9"},
    ),
    "cso": (lambda w: {"cso_id": "CSO0100", "full_name": "Sari Dewi"}, {"cso_id": "CSO0100"}),
    "channel": (lambda w: {"code": "whatsapp", "name": "WhatsApp"}, {"code": "whatsapp"}),
    "timezonealias": (lambda w: {"code": "UTC", "iana_name": "UTC"}, {"code": "UTC"}),
}


def add_data(model: str) -> Callable[[World], dict]:
    fields, _ = ADDS[model]
    return lambda w: superuser_form(w, url(f"policy_{model}_add"), **fields(w), change_reason=REASON)


def added(model: str) -> Callable[[World], bool]:
    _, lookup = ADDS[model]
    return lambda w: POLICY_MODELS[model].objects.filter(**lookup).exists()


def deleted(model: str) -> Callable[[World], bool]:
    return lambda w: not type(w.obj(model)).objects.filter(pk=w.obj(model).pk).exists()


def policy_pages(model: str) -> list[Case]:
    """List, view, add, change, delete, history and the simple-history version page."""
    change = object_url(model, "change")
    return [
        page(f"{model}-list", changelist(model), shows=lists_rows),
        page(f"{model}-view", change),
        page(f"{model}-add", lambda w: url(f"policy_{model}_add")),
        post(f"{model}-add", lambda w: url(f"policy_{model}_add"), add_data(model), added(model)),
        post(f"{model}-change", change, edit_data(model, change), edited(model)),
        page(f"{model}-delete", object_url(model, "delete")),
        post(f"{model}-delete", object_url(model, "delete"), lambda w: {"post": "yes"}, deleted(model)),
        page(f"{model}-history", object_url(model, "history")),
        page(f"{model}-version", latest_version_url(model)),
        post(
            f"{model}-revert",
            latest_version_url(model),
            edit_data(model, latest_version_url(model)),
            edited(model),
            # The directive sends everyone back to its history page: restore by editing.
            refused=(302, 403) if model == "directive" else (403,),
        ),
    ]


def scoring_pages(model: str) -> list[Case]:
    """The scoring rows are records: nobody adds, changes or deletes them here."""
    add = lambda w: url(f"scoring_{model}_add")  # noqa: E731
    add_page = page(f"{model}-add", add)
    if model == "uploadbatch":  # the add page is the upload page
        add_page = page(f"{model}-add", add, follow=True, shows=lambda r: b'type="file"' in r.content)
    return [
        page(f"{model}-list", changelist(model), shows=lists_rows),
        page(f"{model}-view", object_url(model, "change")),
        add_page,
        post(f"{model}-add", add, lambda w: {"file": SimpleUploadedFile("x.jsonl", b"")}, refused=(302, 403)),
        post(f"{model}-change", object_url(model, "change"), lambda w: {"reason": "edited", "result": "NO"}),
        page(f"{model}-delete", object_url(model, "delete")),
        post(f"{model}-delete", object_url(model, "delete"), lambda w: {"post": "yes"}, deleted(model)),
        page(f"{model}-history", object_url(model, "history")),
    ]


# --- the extra pages and actions ---------------------------------------------------------------------------


def draft_published(w: World) -> bool:
    return Directive.objects.get(pk=w.draft.pk).status == DirectiveStatus.PUBLISHED


def withdrawn(w: World) -> bool:
    return Directive.objects.get(pk=w.published.pk).status == DirectiveStatus.WITHDRAWN


def natal_csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("natal.csv", NATAL_CSV.encode(), content_type="text/csv")


def import_confirmation(w: World) -> dict:
    """Step 1 of the import (a dry run) done by a superuser: the confirmation form
    that step 2 posts."""
    response = superuser_client(w).post(
        url("policy_directive_import"), {"resource": "0", "format": "0", "import_file": natal_csv()}
    )
    assert response.context["confirm_form"] is not None, response.content.decode()
    return dict(response.context["confirm_form"].initial)


def export_form(w: World) -> dict:
    from policy.resources import DirectiveResource

    fields = {f"directiveresource_{name}": "on" for name in DirectiveResource().get_export_order()}
    return {"resource": "0", "format": "0", **fields}


def rescored(w: World) -> bool:
    return UploadBatch.objects.filter(kind=BatchKind.RESCORE).exists()


def resumed(w: World) -> bool:
    return UploadBatch.objects.get(pk=w.stalled.pk).status != BatchStatus.STALLED


def other_result(w: World) -> str:
    return Result.NO if w.obj("score").result == Result.YES else Result.YES


def overridden(w: World) -> bool:
    return ScoreOverride.objects.filter(score=w.obj("score")).exists()


def index_lists_policy(response) -> bool:
    return any(app["app_label"] == "policy" for app in response.context["app_list"])


DIRECTIVE = [
    page("directive-publish", lambda w: url("policy_directive_publish", w.draft.pk)),
    post(
        "directive-publish",
        lambda w: url("policy_directive_publish", w.draft.pk),
        lambda w: {"reason": "Natal memo signed"},
        draft_published,
    ),
    action("directive", "publish_selected", lambda w: [w.draft.pk], draft_published),
    page("directive-withdraw", lambda w: url("policy_directive_withdraw", w.published.pk)),
    post(
        "directive-withdraw",
        lambda w: url("policy_directive_withdraw", w.published.pk),
        lambda w: {"reason": "Memo cancelled"},
        withdrawn,
    ),
    action("directive", "withdraw_selected", lambda w: [w.published.pk], withdrawn, confirm="yes", reason="Cancelled"),
    page("directive-import", lambda w: url("policy_directive_import")),
    post(
        "directive-import",
        lambda w: url("policy_directive_import"),
        lambda w: {"resource": "0", "format": "0", "import_file": natal_csv()},
        ok=(200,),
        shows=lambda r: r.context.get("confirm_form") is not None,
    ),
    post(
        "directive-process_import",
        lambda w: url("policy_directive_process_import"),
        import_confirmation,
        lambda w: Directive.objects.filter(reference=NATAL, status=DirectiveStatus.DRAFT).exists(),
    ),
    page("cso-import", lambda w: url("policy_cso_import")),
    page("directive-export", lambda w: url("policy_directive_export")),
    post("directive-export", lambda w: url("policy_directive_export"), export_form, ok=(200,), shows=is_attachment),
    page("directive-preview", lambda w: url("policy_directive_preview") + f"?directive={w.published.pk}"),
    page(
        "directive-timeline",
        lambda w: url("policy_directive_timeline"),
        shows=lambda r: PUBLISHED in r.content.decode() and 'id="timeline"' in r.content.decode(),
    ),
    page("audit-trail", lambda w: reverse("audit:trail")),
    page(
        "audit-trail-csv",
        lambda w: reverse("audit:trail") + "?start=2000-01-01&end=2100-12-31&format=csv",
        shows=lambda r: is_csv(r) and PUBLISHED in r.content.decode(),
    ),
]

SCORING = [
    page("uploadbatch-upload", lambda w: url("scoring_uploadbatch_upload")),
    post(
        "uploadbatch-upload",
        lambda w: url("scoring_uploadbatch_upload"),
        lambda w: {"file": SimpleUploadedFile("one.jsonl", jsonl_lines(w.dev_data, 4, 5))},
        lambda w: UploadBatch.objects.filter(original_name="one.jsonl").exists(),
    ),
    post("uploadbatch-rescore", object_url("uploadbatch", "rescore"), lambda w: {}, rescored),
    post("uploadbatch-resume", lambda w: url("scoring_uploadbatch_resume", w.stalled.pk), lambda w: {}, resumed),
    action("uploadbatch", "rescore_selected", lambda w: [w.batch.pk], rescored),
    action("uploadbatch", "resume_selected", lambda w: [w.stalled.pk], resumed),
    page("uploadbatch-progress", object_url("uploadbatch", "progress"), shows=lambda r: r.json()["percent"] == 100),
    page(
        "uploadbatch-export",
        lambda w: url("scoring_uploadbatch_export", w.batch.pk, "csv"),
        shows=lambda r: is_csv(r) and is_attachment(r),
    ),
    post("transcript-rescore", object_url("transcript", "rescore"), lambda w: {}, rescored),
    action("transcript", "rescore_selected", lambda w: [w.pk("transcript")], rescored),
    page("score-override", object_url("score", "override"), ok=(302,)),
    post(
        "score-override",
        object_url("score", "override"),
        lambda w: {"result": other_result(w), "justification": "The recording has the full greeting."},
        overridden,
    ),
    post(  # the justification is mandatory: even QA is refused without one
        "score-override-unjustified",
        object_url("score", "override"),
        lambda w: {"result": other_result(w), "justification": "  "},
        overridden,
        refused=(200, 403),
    ),
    page("score-export", lambda w: url("scoring_score_export", "csv"), shows=lambda r: is_csv(r) and is_attachment(r)),
    action("score", "export_csv", lambda w: [w.pk("score")]),
    page(
        "score-dashboard",
        lambda w: url("scoring_score_dashboard"),
        shows=lambda r: r.context["board"].total.total >= 1 and b"<svg" in r.content,
    ),
    page("score-dashboard-export", lambda w: url("scoring_score_dashboard_export"), shows=is_attachment),
]

OTHER = [
    page("index", lambda w: url("index"), refused=(200,), shows=index_lists_policy),
    page("user-list", changelist("user"), shows=lists_rows),
    page("user-history", object_url("user", "history")),
    post("user-change", object_url("user", "change"), lambda w: {"username": "renamed", "is_superuser": "on"}),
    page("group-view", object_url("group", "change")),
    post("group-change", object_url("group", "change"), lambda w: {"name": "Renamed"}),
]

CASES = {str(case): case for case in (
    *[case for model in POLICY_MODELS for case in policy_pages(model)],
    *[case for model in ("uploadbatch", "transcript", "score") for case in scoring_pages(model)],
    *DIRECTIVE,
    *SCORING,
    *OTHER,
)}  # fmt: skip

# --- the table ------------------------------------------------------------------------------------------
# Y: allowed, N: refused. Anonymous is always sent to the login page (one row per case too).

Y, N = True, False
# fmt: off
TABLE = [
    # case                                  Pusat QA  Auditor nogroup
    # -- policy models: Pusat edits, QA and Auditor see (history too) ---------------------------------
    ("directive-list-GET",                  Y,    Y,  Y,      N),
    ("directive-view-GET",                  Y,    Y,  Y,      N),
    ("directive-add-GET",                   Y,    N,  N,      N),
    ("directive-add-POST",                  Y,    N,  N,      N),
    ("directive-change-POST",               Y,    N,  N,      N),
    ("directive-delete-GET",                N,    N,  N,      N),
    ("directive-delete-POST",               N,    N,  N,      N),
    ("directive-history-GET",               Y,    Y,  Y,      N),
    ("directive-version-GET",               Y,    Y,  Y,      N),
    ("directive-revert-POST",               N,    N,  N,      N),  # by design: restore by editing
    ("greetingtemplate-list-GET",           Y,    Y,  Y,      N),
    ("greetingtemplate-view-GET",           Y,    Y,  Y,      N),
    ("greetingtemplate-add-GET",            Y,    N,  N,      N),
    ("greetingtemplate-add-POST",           Y,    N,  N,      N),
    ("greetingtemplate-change-POST",        Y,    N,  N,      N),
    ("greetingtemplate-delete-GET",         Y,    N,  N,      N),
    ("greetingtemplate-delete-POST",        Y,    N,  N,      N),
    ("greetingtemplate-history-GET",        Y,    Y,  Y,      N),
    ("greetingtemplate-version-GET",        Y,    Y,  Y,      N),
    ("greetingtemplate-revert-POST",        Y,    N,  N,      N),
    ("timeband-list-GET",                   Y,    Y,  Y,      N),
    ("timeband-view-GET",                   Y,    Y,  Y,      N),
    ("timeband-add-GET",                    Y,    N,  N,      N),
    ("timeband-add-POST",                   Y,    N,  N,      N),
    ("timeband-change-POST",                Y,    N,  N,      N),
    ("timeband-delete-GET",                 Y,    N,  N,      N),
    ("timeband-delete-POST",                Y,    N,  N,      N),
    ("timeband-history-GET",                Y,    Y,  Y,      N),
    ("timeband-version-GET",                Y,    Y,  Y,      N),
    ("timeband-revert-POST",                Y,    N,  N,      N),
    ("scoredparameter-list-GET",            Y,    Y,  Y,      N),
    ("scoredparameter-view-GET",            Y,    Y,  Y,      N),
    ("scoredparameter-add-GET",             Y,    N,  N,      N),
    ("scoredparameter-add-POST",            Y,    N,  N,      N),
    ("scoredparameter-change-POST",         Y,    N,  N,      N),
    ("scoredparameter-delete-GET",          N,    N,  N,      N),
    ("scoredparameter-delete-POST",         N,    N,  N,      N),
    ("scoredparameter-history-GET",         Y,    Y,  Y,      N),
    ("scoredparameter-version-GET",         Y,    Y,  Y,      N),
    ("scoredparameter-revert-POST",         Y,    N,  N,      N),
    ("cso-list-GET",                        Y,    Y,  Y,      N),
    ("cso-view-GET",                        Y,    Y,  Y,      N),
    ("cso-add-GET",                         Y,    N,  N,      N),
    ("cso-add-POST",                        Y,    N,  N,      N),
    ("cso-change-POST",                     Y,    N,  N,      N),
    ("cso-delete-GET",                      N,    N,  N,      N),
    ("cso-delete-POST",                     N,    N,  N,      N),
    ("cso-history-GET",                     Y,    Y,  Y,      N),
    ("cso-version-GET",                     Y,    Y,  Y,      N),
    ("cso-revert-POST",                     Y,    N,  N,      N),
    ("channel-list-GET",                    Y,    Y,  Y,      N),
    ("channel-view-GET",                    Y,    Y,  Y,      N),
    ("channel-add-GET",                     Y,    N,  N,      N),
    ("channel-add-POST",                    Y,    N,  N,      N),
    ("channel-change-POST",                 Y,    N,  N,      N),
    ("channel-delete-GET",                  N,    N,  N,      N),
    ("channel-delete-POST",                 N,    N,  N,      N),
    ("channel-history-GET",                 Y,    Y,  Y,      N),
    ("channel-version-GET",                 Y,    Y,  Y,      N),
    ("channel-revert-POST",                 Y,    N,  N,      N),
    ("timezonealias-list-GET",              Y,    Y,  Y,      N),
    ("timezonealias-view-GET",              Y,    Y,  Y,      N),
    ("timezonealias-add-GET",               Y,    N,  N,      N),
    ("timezonealias-add-POST",              Y,    N,  N,      N),
    ("timezonealias-change-POST",           Y,    N,  N,      N),
    ("timezonealias-delete-GET",            N,    N,  N,      N),
    ("timezonealias-delete-POST",           N,    N,  N,      N),
    ("timezonealias-history-GET",           Y,    Y,  Y,      N),
    ("timezonealias-version-GET",           Y,    Y,  Y,      N),
    ("timezonealias-revert-POST",           Y,    N,  N,      N),
    # -- directive: publish, withdraw, import, export, preview, audit trail -------------------------
    ("directive-publish-GET",               Y,    N,  N,      N),
    ("directive-publish-POST",              Y,    N,  N,      N),
    ("directive-publish_selected-POST",     Y,    N,  N,      N),
    ("directive-withdraw-GET",              Y,    N,  N,      N),
    ("directive-withdraw-POST",             Y,    N,  N,      N),
    ("directive-withdraw_selected-POST",    Y,    N,  N,      N),
    ("directive-import-GET",                Y,    N,  N,      N),
    ("directive-import-POST",               Y,    N,  N,      N),
    ("directive-process_import-POST",       Y,    N,  N,      N),
    ("cso-import-GET",                      Y,    N,  N,      N),
    ("directive-export-GET",                Y,    Y,  Y,      N),
    ("directive-export-POST",               Y,    Y,  Y,      N),
    ("directive-preview-GET",               Y,    Y,  Y,      N),
    ("directive-timeline-GET",              Y,    Y,  Y,      N),
    ("audit-trail-GET",                     Y,    Y,  Y,      N),
    ("audit-trail-csv-GET",                 Y,    Y,  Y,      N),
    # -- scoring records: seen by all three roles, edited by nobody ----------------------------------
    ("uploadbatch-list-GET",                Y,    Y,  Y,      N),
    ("uploadbatch-view-GET",                Y,    Y,  Y,      N),
    ("uploadbatch-add-GET",                 N,    Y,  N,      N),  # leads to the upload page
    ("uploadbatch-add-POST",                N,    N,  N,      N),
    ("uploadbatch-change-POST",             N,    N,  N,      N),
    ("uploadbatch-delete-GET",              N,    N,  N,      N),
    ("uploadbatch-delete-POST",             N,    N,  N,      N),
    ("uploadbatch-history-GET",             Y,    Y,  Y,      N),
    ("transcript-list-GET",                 Y,    Y,  Y,      N),
    ("transcript-view-GET",                 Y,    Y,  Y,      N),
    ("transcript-add-GET",                  N,    N,  N,      N),
    ("transcript-add-POST",                 N,    N,  N,      N),
    ("transcript-change-POST",              N,    N,  N,      N),
    ("transcript-delete-GET",               N,    N,  N,      N),
    ("transcript-delete-POST",              N,    N,  N,      N),
    ("transcript-history-GET",              Y,    Y,  Y,      N),
    ("score-list-GET",                      Y,    Y,  Y,      N),
    ("score-view-GET",                      Y,    Y,  Y,      N),
    ("score-add-GET",                       N,    N,  N,      N),
    ("score-add-POST",                      N,    N,  N,      N),
    ("score-change-POST",                   N,    N,  N,      N),
    ("score-delete-GET",                    N,    N,  N,      N),
    ("score-delete-POST",                   N,    N,  N,      N),
    ("score-history-GET",                   Y,    Y,  Y,      N),
    # -- QA's work: upload, rescore, resume, override; exports for all who see scores ---------------
    ("uploadbatch-upload-GET",              N,    Y,  N,      N),
    ("uploadbatch-upload-POST",             N,    Y,  N,      N),
    ("uploadbatch-rescore-POST",            N,    Y,  N,      N),
    ("uploadbatch-resume-POST",             N,    Y,  N,      N),
    ("uploadbatch-rescore_selected-POST",   N,    Y,  N,      N),
    ("uploadbatch-resume_selected-POST",    N,    Y,  N,      N),
    ("uploadbatch-progress-GET",            Y,    Y,  Y,      N),
    ("uploadbatch-export-GET",              Y,    Y,  Y,      N),
    ("transcript-rescore-POST",             N,    Y,  N,      N),
    ("transcript-rescore_selected-POST",    N,    Y,  N,      N),
    ("score-override-GET",                  N,    Y,  N,      N),  # QA: back to the score page
    ("score-override-POST",                 N,    Y,  N,      N),
    ("score-override-unjustified-POST",     N,    N,  N,      N),
    ("score-export-GET",                    Y,    Y,  Y,      N),
    ("score-export_csv-POST",               Y,    Y,  Y,      N),
    ("score-dashboard-GET",                 Y,    Y,  Y,      N),
    ("score-dashboard-export-GET",          Y,    Y,  Y,      N),
    # -- the site and the accounts: only the Auditor reads the accounts --------------------------------
    ("index-GET",                           Y,    Y,  Y,      N),  # nogroup: a page with no app
    ("user-list-GET",                       N,    N,  Y,      N),
    ("user-history-GET",                    N,    N,  Y,      N),
    ("user-change-POST",                    N,    N,  N,      N),
    ("group-view-GET",                      N,    N,  Y,      N),
    ("group-change-POST",                   N,    N,  N,      N),
]
# fmt: on

# Rows where the site does not follow the rules yet: (role, case) -> what goes wrong.
# Permission holes found by this table and not yet fixed: (role, case) -> why.
HOLES: dict[tuple[str, str], str] = {}


def table_rows():
    names = [row[0] for row in TABLE]
    assert len(names) == len(set(names)), "a case is twice in the table"
    assert set(names) == set(CASES), (
        f"cases without a row: {set(CASES) - set(names)}; rows without a case: {set(names) - set(CASES)}"
    )
    for name, *allowed in TABLE:
        yield pytest.param(ANONYMOUS, CASES[name], None, id=f"{ANONYMOUS}-{name}-login")
        for role, ok in zip(ROLES, allowed, strict=True):
            marks = ()
            if (role, name) in HOLES:
                marks = pytest.mark.xfail(strict=True, reason=f"HOLE: {HOLES[role, name]}")
            verdict = "allowed" if ok else "refused"
            yield pytest.param(role, CASES[name], ok, id=f"{role}-{name}-{verdict}", marks=marks)


def perform(client, case: Case, target: str, body: dict, *, follow: bool):
    if case.method == "GET":
        return client.get(target, follow=follow)
    return client.post(target, body, follow=follow)


@pytest.mark.parametrize(("role", "case", "allowed"), list(table_rows()))
def test_role_may_or_may_not(client, world, role, case, allowed, django_capture_on_commit_callbacks):
    """GIVEN the seeded SOP, a draft and a published directive, a scored batch and a stalled one
    WHEN a user of ``role`` makes the request of ``case``
    THEN an allowed request answers and does its work; a refused one is refused
    (403, or a redirect or form that changed nothing) and the database is as it was;
    anonymous is sent to the login page."""
    if role != ANONYMOUS:
        client.force_login(role_user(role))
    # The URL and body first: some bodies are forms a superuser had to open.
    target, body = case.url(world), case.data(world) if case.data else {}
    before = fingerprint()
    with django_capture_on_commit_callbacks(execute=True):
        response = perform(client, case, target, body, follow=case.follow and role != ANONYMOUS)
    after = fingerprint()

    if role == ANONYMOUS:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith(login_url() + "?next="), response["Location"]
        assert changed_tables(before, after) == []
        return
    status = response.status_code
    if allowed:
        assert status in case.ok, f"{role} {case}: {status}, expected {case.ok}"
        if case.done:
            assert case.done(world), f"{role} {case}: answered {status} but did not do it"
        if case.shows and status == 200:
            assert case.shows(response), f"{role} {case}: the page does not show what it is for"
        if case.method == "GET":
            assert changed_tables(before, after) == []
    else:
        assert status in case.refused, f"{role} {case}: {status}, expected one of {case.refused}"
        assert changed_tables(before, after) == [], f"{role} {case} changed the database"
        if case.done:
            assert not case.done(world)
        if case.shows and status == 200:
            assert not case.shows(response), f"{role} {case}: a refused page shows its content"


# --- an Auditor posting to every admin URL ---------------------------------------------------------------


def url_patterns(patterns, prefix=""):
    """(route, name) of every URL below ``patterns``."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def admin_patterns():
    """(route, name) of every admin URL, relative to /admin/: the ModelAdmins' own
    included, and the pages other apps serve inside the admin (the audit trail)."""
    for route, name in url_patterns(get_resolver().url_patterns):
        if route.startswith("admin/"):
            yield route.removeprefix("admin/"), name


# Not the project's data: the Auditor's own session and password are theirs to end or change.
SELF_SERVICE = {"logout", "password_change", "password_change_done"}
# Pages whose body is a table case's: the real form, so a missing check would write.
BODY_OF = {
    "policy_directive_publish": "directive-publish-POST",
    "policy_directive_withdraw": "directive-withdraw-POST",
    "policy_directive_import": "directive-import-POST",
    "policy_directive_process_import": "directive-process_import-POST",
    "policy_directive_export": "directive-export-POST",
    "scoring_uploadbatch_upload": "uploadbatch-upload-POST",
    "scoring_score_override": "score-override-POST",
}
OBJECT_OF = {  # the object a page acts on, when not the model's usual one
    "policy_directive_publish": lambda w: w.draft.pk,
    "policy_directive_withdraw": lambda w: w.published.pk,
    "scoring_uploadbatch_resume": lambda w: w.stalled.pk,
}
MODEL_OF_URL = re.compile(r"^(?P<app>auth|axes|policy|scoring)_(?P<model>[a-z]+)_(?P<view>.+)$")
AUDITOR_REVERT_HOLE: dict[str, str] = {}  # model -> why, while a revert hole is open
UNNAMED_OBJECT_URL = re.compile(r"^(?P<app>auth|axes|policy|scoring)/(?P<model>[a-z]+)/<path:object_id>/$")


def url_model(name: str | None, route: str = "") -> str | None:
    """The model an admin URL is about: from its name, or for the unnamed
    ``<app>/<model>/<id>/`` (a redirect to the change page) from its route."""
    match = MODEL_OF_URL.match(name or "") or UNNAMED_OBJECT_URL.match(route)
    return match["model"] if match else None


def auditor_targets():
    """One entry per admin URL (per action for a changelist): (name, route, action)."""
    for route, name in admin_patterns():
        if route.endswith("(?P<url>.*)$") or name in SELF_SERVICE:
            continue  # the catch-all 404 view, and the Auditor's own account
        label = name or route
        match = MODEL_OF_URL.match(name or "")
        if match and match["view"] == "changelist":
            model_admin = next(ma for m, ma in admin.site._registry.items() if m._meta.model_name == match["model"])
            for _, action_name, _ in model_admin._get_base_actions():
                yield pytest.param(name, route, action_name, id=f"{label}[{action_name}]")
        yield pytest.param(name, route, None, id=label, marks=auditor_hole(name))


def auditor_hole(name):
    match = MODEL_OF_URL.match(name or "")
    if match and match["view"] == "simple_history" and match["model"] in AUDITOR_REVERT_HOLE:
        return pytest.mark.xfail(strict=True, reason=f"HOLE: {AUDITOR_REVERT_HOLE[match['model']]}")
    return ()


def object_for(world: World, name: str | None, model: str | None):
    if name in OBJECT_OF:
        return OBJECT_OF[name](world)
    if model in world.objects:
        return world.obj(model).pk
    return 999999  # a model the world has no row of (axes): a missing id


def fill_route(world: World, route: str, name: str | None) -> str:
    """The route with real values: ids of existing objects, csv, a version of the object."""
    model = url_model(name, route)
    pk = object_for(world, name, model)
    path = route
    if "([^/]+)/history/([^/]+)" in path:  # simple-history's version page (a regex)
        version = world.obj(model).history.latest().history_id
        path = path.replace("^([^/]+)/history/([^/]+)/$", f"{pk}/history/{version}/")
    if path.startswith("^(?P<app_label>"):
        path = "policy/"
    if name == "view_on_site":
        from django.contrib.contenttypes.models import ContentType

        directive = world.obj("directive")
        path = f"r/{ContentType.objects.get_for_model(directive).pk}/{directive.pk}/"
    path = path.replace("<path:object_id>", str(pk)).replace("<id>", str(world.superuser.pk))
    path = path.replace("<str:fmt>", "csv")
    return reverse("admin:index") + path


def auditor_body(world: World, name: str | None, route: str, action_name: str | None) -> dict:
    """What a determined Auditor would post: the real form with a change in it."""
    match = MODEL_OF_URL.match(name or "")
    if name in BODY_OF:
        return CASES[BODY_OF[name]].data(world)
    if action_name:
        pk = object_for(world, None, url_model(name))
        return {"action": action_name, "_selected_action": [str(pk)], "index": "0", "post": "yes"} | {
            "confirm": "yes",
            "reason": "Auditor was here",
        }
    if not match:
        return {}
    model, view = match["model"], match["view"]
    if view == "delete":
        return {"post": "yes"}
    if model in POLICY_MODELS and view == "add":
        return add_data(model)(world)
    if model in POLICY_MODELS and view in ("change", "simple_history"):
        return edit_data(model, lambda w: fill_route(w, route, name))(world)
    if model == "user" and view in ("change", "add"):
        password = {"password1": "N3w-passw0rd!x", "password2": "N3w-passw0rd!x", "usable_password": "true"}
        return superuser_form(
            world, fill_route(world, route, name), username="auditor-made", is_superuser="on", **password
        )
    if model == "user" and view == "password_change":
        return {"password1": "N3w-passw0rd!x", "password2": "N3w-passw0rd!x", "usable_password": "true"}
    if model == "group" and view in ("change", "add"):
        return superuser_form(world, fill_route(world, route, name), name="Auditors rule")
    if view == "import":
        return {"resource": "0", "format": "0", "import_file": natal_csv()}
    return {}


@pytest.mark.parametrize(("name", "route", "action_name"), list(auditor_targets()))
def test_auditor_post_anywhere_changes_nothing(client, world, name, route, action_name):
    """GIVEN an Auditor and the world of the table above
    WHEN they POST to any admin URL (a real form with a change in it where there is one,
    every changelist action on a real row)
    THEN the database is exactly as it was, and the answer is a refusal (403, 405, a
    redirect, a form with errors) or a read (an export, a page), never a server error."""
    client.force_login(role_user(AUDITOR))
    target = fill_route(world, route, name)
    body = auditor_body(world, name, route, action_name)
    before = fingerprint()
    response = client.post(target, body)
    after = fingerprint()
    assert changed_tables(before, after) == [], f"{target} ({response.status_code}) changed the database"
    assert response.status_code in (200, 302, 403, 404, 405), response.status_code
