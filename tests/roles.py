"""Helpers for the role tests (tests/test_roles.py): the users of each role, a small
world with an object behind every admin page, the POST data a real form would send,
and a fingerprint of the whole database to prove that a refused request wrote nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from policy.choices import DirectiveKind, DirectiveStatus
from policy.models import (
    CSO,
    Channel,
    Directive,
    DirectiveExample,
    GreetingTemplate,
    ScoredParameter,
    TimeBand,
    TimeZoneAlias,
)
from tests.factories import (
    CSOFactory,
    DirectiveFactory,
    GreetingTemplateFactory,
    SuperUserFactory,
    UserFactory,
    _encode,
)

ANONYMOUS = "anonymous"
PUSAT = "Pusat"
QA = "QA"
AUDITOR = "Auditor"
NOBODY = "nogroup"  # staff, in no group
ROLES = (PUSAT, QA, AUDITOR, NOBODY)

DRAFT = "SOP-PLN123-ROLES-DRAFT"
PUBLISHED = "SOP-PLN123-ROLES-PUBLISHED"
# Sessions change on every request (messages, logins); they are not the project's data.
NOT_DATA = {"sessions.session"}


def ensure_roles() -> None:
    """The groups and rights the migrations give the roles, made again when they are
    missing: a transactional test before this one (a live server's, a worker's) may have
    flushed them, and a flush re-creates the permissions, not the groups. The migrations
    that write groups are replayed with the models as they stood there, so this follows
    every later change of rights with no list of its own."""
    if Group.objects.filter(name__in=(PUSAT, QA, AUDITOR)).count() == 3:
        return
    import inspect

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection)
    for key in loader.graph.leaf_nodes():
        for node in loader.graph.forwards_plan(key):
            migration = loader.graph.nodes[node]
            steps = [op for op in migration.operations if isinstance(op, RunPython)]
            if not any('get_model("auth", "Group")' in inspect.getsource(op.code) for op in steps):
                continue
            state_apps = loader.project_state(node, at_end=True).apps
            for op in steps:
                op.code(state_apps, None)


def role_user(role: str):
    """A staff user of ``role``, its rights from the group the migration made."""
    user = UserFactory(username=f"role-{role.lower()}", is_staff=True)
    if role != NOBODY:
        ensure_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


def jsonl_lines(dev_data: Path, start: int, stop: int) -> bytes:
    lines = (dev_data / "dev-transcripts.jsonl").read_text(encoding="utf-8").splitlines()
    return ("\n".join(lines[start:stop]) + "\n").encode()


@dataclass
class World:
    """Every admin page has an object: the seeded SOP, a draft directive ready to
    publish, a published one to withdraw, a CSO, a scored batch and a stalled one."""

    superuser: object
    draft: Directive
    published: Directive
    baseline: Directive
    batch: object
    stalled: object
    dev_data: Path
    objects: dict = field(default_factory=dict)

    def obj(self, model_name: str):
        return self.objects[model_name]

    def pk(self, model_name: str) -> str:
        return str(self.objects[model_name].pk)


def build_world(dev_data: Path) -> World:
    from scoring.choices import BatchStatus
    from scoring.models import Score, Transcript, UploadBatch
    from scoring.services import chunks, ingest

    superuser = SuperUserFactory(username="roles-admin")
    live_chat, email = Channel.objects.get(code="live_chat"), Channel.objects.get(code="email")
    draft = DirectiveFactory(reference=DRAFT, channels=[live_chat])
    GreetingTemplateFactory(directive=draft)
    published = DirectiveFactory(
        reference=PUBLISHED,
        channels=[email],
        valid_from_date=dt.date(2024, 1, 10),
        valid_until_date=dt.date(2024, 1, 12),
    )
    GreetingTemplateFactory(directive=published, text="PLN 123 Selamat {waktu}, Promo, dengan {nama_cso}")
    from policy.services import directive_publish

    directive_publish(directive=published, user=superuser, reason="Set up for the role tests")
    published.refresh_from_db()
    assert published.status == DirectiveStatus.PUBLISHED
    baseline = Directive.objects.get(kind=DirectiveKind.BASELINE)
    cso = CSOFactory(cso_id="CSO0001", full_name="Rina Marlina")
    # A labelled example of the draft that passes (no greeting at all is NO), so the
    # draft stays publishable.
    example = DirectiveExample.objects.create(
        directive=draft,
        channel=live_chat,
        local_date=dt.date(2024, 1, 10),
        local_time=dt.time(9, 0),
        cso_name="Rina",
        opening="Halo",
        expected="NO",
    )

    batch = ingest.batch_ingest(
        filename="roles.jsonl", content=jsonl_lines(dev_data, 0, 3), user=superuser, enqueue=False
    )
    batch = chunks.batch_score_inline(batch=batch)
    assert batch.status == BatchStatus.DONE and batch.scored_count == 3
    stalled = ingest.batch_ingest(
        filename="stalled.jsonl", content=jsonl_lines(dev_data, 3, 4), user=superuser, enqueue=False
    )
    UploadBatch.objects.filter(pk=stalled.pk).update(status=BatchStatus.STALLED)
    stalled.refresh_from_db()

    objects = {
        "directive": published,
        "greetingtemplate": draft.templates.get(),
        "timeband": baseline.time_bands.order_by("starts_at").first(),
        "scoredparameter": ScoredParameter.objects.order_by("pk").first(),
        "cso": cso,
        "directiveexample": example,
        "channel": email,
        "timezonealias": TimeZoneAlias.objects.get(code="WIB"),
        "uploadbatch": batch,
        "transcript": Transcript.objects.filter(last_batch=batch).order_by("pk").first(),
        "score": Score.objects.filter(batch=batch).order_by("pk").first(),
        "user": superuser,
        "group": Group.objects.get(name=AUDITOR),
    }
    return World(
        superuser=superuser,
        draft=draft,
        published=published,
        baseline=baseline,
        batch=batch,
        stalled=stalled,
        dev_data=dev_data,
        objects=objects,
    )


POLICY_MODELS = {
    m._meta.model_name: m for m in (Directive, GreetingTemplate, TimeBand, ScoredParameter, CSO, Channel, TimeZoneAlias)
}


# --- the database, before and after -------------------------------------------------------------


def fingerprint() -> dict:
    """Every row of every table (history, admin log, m2m and auth included), so that
    'nothing changed' means nothing: no row added, removed or edited."""
    snapshot = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower in NOT_DATA:
            continue
        snapshot[model._meta.label_lower] = list(model._default_manager.order_by("pk").values_list())
    return snapshot


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


# --- what a browser would post --------------------------------------------------------------------


def form_data(response, **overrides) -> dict:
    """The POST data of the admin form of ``response`` (a GET) as it stands, inline
    formsets included when the page has them; ``overrides`` replace single keys."""
    context = response.context
    data = {}
    form = context["adminform"].form
    for name in form.fields:
        data[form.add_prefix(name)] = _encode(form[name].value())
    for inline in context.get("inline_admin_formsets") or []:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _encode(management[name].value())
        for sub in formset.forms:
            for name in sub.fields:
                data[sub.add_prefix(name)] = _encode(sub[name].value())
    data.update(overrides)
    return data


def superuser_client(world: World) -> Client:
    client = Client()
    client.force_login(world.superuser)
    return client


def superuser_form(world: World, url: str, **overrides) -> dict:
    """The form of ``url`` as a superuser sees it, filled in: the request a role
    without the right would have to forge."""
    client = superuser_client(world)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return form_data(response, **overrides)


def login_url() -> str:
    return reverse("admin:login")
