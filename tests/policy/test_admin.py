"""The policy admin: every page opens, changes carry a reason and make one new
version, validation speaks plainly, publish/withdraw, overlaps, the preview."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from policy.choices import DirectiveStatus, Element
from policy.models import CSO, Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand, TimeZoneAlias
from policy.seed import HPN_OPENING
from tests.factories import (
    CSOFactory,
    DirectiveFactory,
    GreetingTemplateFactory,
    SuperUserFactory,
    changeform_data,
)

pytestmark = pytest.mark.django_db

HPN = "SOP-PLN123-HPN2023"
STD = "SOP-PLN123-STD"
REASON_REQUIRED = "Say why you change a published directive"


@pytest.fixture
def pusat(seeded):
    return SuperUserFactory(username="pusat")


@pytest.fixture
def admin_client(client, pusat):
    client.force_login(pusat)
    return client


def hpn() -> Directive:
    return Directive.objects.get(reference=HPN)


def change_url(obj) -> str:
    return reverse(f"admin:policy_{obj._meta.model_name}_change", args=[obj.pk])


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_change(client, obj, **overrides):
    """Submit the change form of ``obj`` as it stands, with ``overrides``."""
    url = change_url(obj)
    data = changeform_data(client.get(url), **overrides)
    return client.post(url, data)


# --- every page opens -------------------------------------------------------------------

MODELS = [Channel, TimeZoneAlias, Directive, TimeBand, GreetingTemplate, ScoredParameter, CSO]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_add_change_and_history_pages_open(admin_client, model):
    CSOFactory(cso_id="CSO0001", full_name="Rina Marlina")
    name = model._meta.model_name
    obj = model.objects.first()
    assert obj is not None, f"the seed should give a {name}"
    for url in (
        reverse(f"admin:policy_{name}_changelist"),
        reverse(f"admin:policy_{name}_add"),
        reverse(f"admin:policy_{name}_change", args=[obj.pk]),
        reverse(f"admin:policy_{name}_history", args=[obj.pk]),
    ):
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        (Directive, "HPN2023", HPN),
        (Channel, "live", "live_chat"),
        (TimeZoneAlias, "Makassar", "WITA"),
        (GreetingTemplate, "Pelanggan Nasional", "Pelanggan Nasional"),
        (ScoredParameter, "Kata Sapaan", "Kata Sapaan"),
        (TimeBand, "Siang", "Siang"),
        (CSO, "Marlina", "CSO0001"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_search_finds(admin_client, model, query, expected):
    CSOFactory(cso_id="CSO0001", full_name="Rina Marlina")
    response = admin_client.get(reverse(f"admin:policy_{model._meta.model_name}_changelist"), {"q": query})
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert expected in response.content.decode()


def test_directive_list_shows_window_channels_version_and_filters(admin_client):
    response = admin_client.get(reverse("admin:policy_directive_changelist"), {"kind__exact": "directive"})
    body = response.content.decode()
    assert HPN in body and STD not in body
    assert "04/09/2023 00:00 to 30/09/2023 23:59" in body  # dd/mm/yyyy, as PLN staff write dates
    assert "email, live_chat, social_media" in body
    assert "Preview greeting" in body


# --- editing a directive: one version, one history row, a reason ---------------------------


def test_edit_published_directive_bumps_version_once_with_user_and_reason(admin_client, pusat):
    """GIVEN the published HPN directive at version 1
    WHEN Pusat changes its title and one template through the admin, with a reason
    THEN the version is 2, and exactly one new history row carries v2, Pusat and the reason."""
    directive = hpn()
    rows_before = directive.history.count()
    response = post_change(
        admin_client,
        directive,
        title="HPN 2023 (revised)",
        **{"templates-0-text": HPN_OPENING.replace("bisa dibantu", "ada yang bisa dibantu")},
        change_reason="Memo revised by Pusat",
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    directive.refresh_from_db()
    assert directive.version == 2
    assert directive.title == "HPN 2023 (revised)"
    assert directive.history.count() == rows_before + 1
    latest = directive.history.latest()
    assert (latest.version, latest.history_user, latest.history_change_reason) == (2, pusat, "Memo revised by Pusat")
    assert sorted(row.channel.code for row in latest.channels.all()) == ["email", "live_chat", "social_media"]
    template = directive.templates.get()
    assert template.history.latest().history_change_reason == "Memo revised by Pusat"
    assert template.history.latest().history_user == pusat


def test_channels_change_is_one_row_too(admin_client):
    directive = hpn()
    rows_before = directive.history.count()
    email = Channel.objects.get(code="email").pk
    live_chat = Channel.objects.get(code="live_chat").pk
    response = post_change(admin_client, directive, channels=[str(email), str(live_chat)], change_reason="No social")
    assert response.status_code == 302
    directive.refresh_from_db()
    assert directive.version == 2
    assert directive.history.count() == rows_before + 1
    assert sorted(row.channel.code for row in directive.history.latest().channels.all()) == ["email", "live_chat"]


def test_blank_reason_on_published_directive_is_refused(admin_client):
    directive = hpn()
    response = post_change(admin_client, directive, title="Changed without saying why", change_reason="")
    assert response.status_code == 200
    assert REASON_REQUIRED in response.content.decode()
    directive.refresh_from_db()
    assert directive.version == 1 and directive.title != "Changed without saying why"


def test_blank_reason_on_inline_template_of_published_directive_is_refused(admin_client):
    directive = hpn()
    response = post_change(admin_client, directive, **{"templates-0-text": "PLN 123 Halo {nama_cso}"})
    assert response.status_code == 200
    assert REASON_REQUIRED in response.content.decode()
    assert directive.templates.get().text == HPN_OPENING


def test_draft_change_without_reason_gets_automatic_reason(admin_client, pusat):
    draft = DirectiveFactory(channels=[Channel.objects.get(code="live_chat")])
    GreetingTemplateFactory(directive=draft)
    response = post_change(admin_client, draft, title="Natal 2023", priority="5", change_reason="")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.version == 2
    latest = draft.history.latest()
    assert latest.history_change_reason == "Changed in admin: title, priority"
    assert latest.history_user == pusat


def test_unchanged_save_makes_no_version(admin_client):
    directive = hpn()
    rows_before = directive.history.count()
    assert post_change(admin_client, directive).status_code == 302
    directive.refresh_from_db()
    assert directive.version == 1 and directive.history.count() == rows_before


def test_bad_slot_in_template_is_shown(admin_client):
    directive = hpn()
    response = post_change(
        admin_client, directive, change_reason="typo test", **{"templates-0-text": "PLN 123 Selamat {waktu}, {nama}"}
    )
    assert response.status_code == 200
    assert "The slot {nama} does not exist; the slots are {waktu}, {nama_cso}." in response.content.decode()


def test_window_end_before_start_is_shown(admin_client):
    directive = hpn()
    response = post_change(admin_client, directive, valid_until_date="2023-09-01", change_reason="wrong dates")
    assert response.status_code == 200
    assert "The window ends (2023-09-01 23:59:59) before it starts (2023-09-04 00:00:00)." in response.content.decode()


def test_template_for_uncovered_channel_is_an_error_on_a_published_directive(admin_client):
    directive = hpn()
    voice = Channel.objects.get(code="voice")
    data = {
        "templates-TOTAL_FORMS": "2",
        "templates-1-element": Element.OPENING,
        "templates-1-channel": str(voice.pk),
        "templates-1-text": "PLN 123 Selamat {waktu}, dengan {nama_cso}",
        "templates-1-directive": str(directive.pk),
        "change_reason": "Voice too",
    }
    response = post_change(admin_client, directive, **data)
    assert response.status_code == 200
    assert "is for voice, which SOP-PLN123-HPN2023 does not cover" in response.content.decode()
    assert directive.templates.count() == 1


def test_scope_problems_of_a_draft_are_warnings(admin_client):
    draft = DirectiveFactory(reference="SOP-PLN123-DRAFT", channels=[Channel.objects.get(code="live_chat")])
    voice = Channel.objects.get(code="voice")
    GreetingTemplateFactory(directive=draft, channel=voice)
    response = post_change(admin_client, draft, title="Draft (still)")
    assert response.status_code == 302
    texts = message_texts(response)
    assert any("is for voice, which SOP-PLN123-DRAFT does not cover" in t for t in texts), texts


def test_add_directive_in_admin_is_a_draft_created_with_reason(admin_client, pusat):
    live_chat = Channel.objects.get(code="live_chat")
    url = reverse("admin:policy_directive_add")
    data = changeform_data(
        admin_client.get(url),
        kind="directive",
        reference="SOP-PLN123-NEW",
        title="New",
        valid_from_date="2023-12-20",
        valid_from_time="00:00:00",
        valid_until_date="2023-12-26",
        valid_until_time="23:59:59",
        channels=[str(live_chat.pk)],
        **{
            "templates-TOTAL_FORMS": "1",
            "templates-0-element": "opening",
            "templates-0-channel": "",
            "templates-0-text": "PLN 123 Selamat {waktu}, Selamat Natal, dengan {nama_cso} bisa dibantu",
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Directive.objects.get(reference="SOP-PLN123-NEW")
    assert (created.status, created.version) == (DirectiveStatus.DRAFT, 1)
    assert created.history.earliest().history_change_reason == "Created in admin"
    assert created.history.earliest().history_user == pusat
    assert all(row.history_change_reason == "Created in admin" for row in created.history.all())
    assert created.templates.get().history.get().history_user == pusat


def test_template_edited_on_its_own_page_is_a_new_version_of_its_directive(admin_client, pusat):
    template = hpn().templates.get()
    response = post_change(admin_client, template, text=HPN_OPENING + " ya", change_reason="Add ya, as Pusat asked")
    assert response.status_code == 302
    directive = hpn()
    assert directive.version == 2
    assert "Add ya, as Pusat asked" in directive.history.latest().history_change_reason
    assert template.history.latest().history_user == pusat

    refused = post_change(admin_client, template, text=HPN_OPENING, change_reason="")
    assert REASON_REQUIRED in refused.content.decode()


def test_cso_change_has_automatic_reason(admin_client, pusat):
    cso = CSOFactory(cso_id="CSO0001", full_name="Rina Marlina")
    assert post_change(admin_client, cso, aliases="Rin").status_code == 302
    latest = cso.history.latest()
    assert (latest.history_change_reason, latest.history_user) == ("Changed in admin: aliases", pusat)


# --- publish and withdraw ------------------------------------------------------------------


def natal_draft(**kwargs) -> Directive:
    channels = [Channel.objects.get(code=c) for c in ("live_chat", "email")]
    draft = DirectiveFactory(reference="SOP-PLN123-NATAL2023", channels=channels, **kwargs)
    GreetingTemplateFactory(directive=draft)
    return draft


def run_action(client, action, directives, **extra):
    data = {"action": action, "_selected_action": [str(d.pk) for d in directives], **extra}
    return client.post(reverse("admin:policy_directive_changelist"), data, follow=True)


def test_publish_action_publishes_and_records_who(admin_client, pusat):
    draft = natal_draft()
    response = run_action(admin_client, "publish_selected", [draft])
    assert response.status_code == 200
    draft.refresh_from_db()
    assert (draft.status, draft.published_by) == (DirectiveStatus.PUBLISHED, pusat)
    latest = draft.history.latest()
    assert (latest.status, latest.history_user, latest.history_change_reason) == ("published", pusat, "Published")
    assert "SOP-PLN123-NATAL2023 v1 is published." in response.content.decode()


def test_publish_refusal_is_a_message_not_a_stack_trace(admin_client):
    draft = DirectiveFactory(reference="SOP-PLN123-EMPTY", channels=[Channel.objects.get(code="live_chat")])
    response = run_action(admin_client, "publish_selected", [draft, hpn()])
    assert response.status_code == 200
    body = response.content.decode()
    assert "SOP-PLN123-EMPTY was not published: SOP-PLN123-EMPTY has no greeting template" in body
    assert "SOP-PLN123-HPN2023 was not published: SOP-PLN123-HPN2023 is already published." in body
    draft.refresh_from_db()
    assert draft.status == DirectiveStatus.DRAFT


def test_withdraw_action_asks_why_and_records_it(admin_client, pusat):
    directive = hpn()
    page = run_action(admin_client, "withdraw_selected", [directive])
    assert page.status_code == 200
    assert "Why is it withdrawn?" in page.content.decode()
    directive.refresh_from_db()
    assert directive.status == DirectiveStatus.PUBLISHED

    blank = run_action(admin_client, "withdraw_selected", [directive], confirm="yes", reason="  ")
    assert "Say why the directive is withdrawn." in blank.content.decode()
    directive.refresh_from_db()
    assert directive.status == DirectiveStatus.PUBLISHED

    done = run_action(admin_client, "withdraw_selected", [directive], confirm="yes", reason="Memo cancelled")
    assert "SOP-PLN123-HPN2023 is withdrawn." in done.content.decode()
    directive.refresh_from_db()
    assert (directive.status, directive.withdrawn_by) == (DirectiveStatus.WITHDRAWN, pusat)
    latest = directive.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (pusat, "Memo cancelled")


def test_withdraw_a_draft_is_a_clear_error(admin_client):
    draft = natal_draft()
    response = run_action(admin_client, "withdraw_selected", [draft], confirm="yes", reason="Oops")
    assert "Only a published document can be withdrawn; SOP-PLN123-NATAL2023 is draft." in response.content.decode()


def test_per_object_publish_and_withdraw_pages(admin_client, pusat):
    draft = natal_draft()
    change_page = admin_client.get(change_url(draft)).content.decode()
    publish_url = reverse("admin:policy_directive_publish", args=[draft.pk])
    assert publish_url in change_page
    assert admin_client.get(publish_url).status_code == 200
    admin_client.post(publish_url, {"reason": "Natal memo signed"})
    draft.refresh_from_db()
    assert draft.status == DirectiveStatus.PUBLISHED
    assert draft.history.latest().history_change_reason == "Natal memo signed"

    withdraw_url = reverse("admin:policy_directive_withdraw", args=[draft.pk])
    refused = admin_client.post(withdraw_url, {"reason": ""})
    assert "Say why the directive is withdrawn." in refused.content.decode()
    admin_client.post(withdraw_url, {"reason": "Cancelled"})
    draft.refresh_from_db()
    assert draft.status == DirectiveStatus.WITHDRAWN
    assert admin_client.get(reverse("admin:policy_directive_withdraw", args=[999999])).status_code == 404


def test_overlap_warning_names_both_directives(admin_client):
    """GIVEN HPN published on live_chat in September
    WHEN another directive with an opening greeting on live_chat in September is published
    THEN the admin warns, naming both, after the publish and after each later save."""
    other = DirectiveFactory(
        reference="SOP-PLN123-PROMO",
        channels=[Channel.objects.get(code="live_chat")],
        valid_from_date=dt.date(2023, 9, 10),
        valid_until_date=dt.date(2023, 9, 20),
        priority=5,
    )
    GreetingTemplateFactory(directive=other)
    response = run_action(admin_client, "publish_selected", [other])
    body = response.content.decode()
    assert "SOP-PLN123-PROMO and SOP-PLN123-HPN2023 are both published and overlap on opening for live_chat" in body
    assert "SOP-PLN123-PROMO wins" in body

    saved = post_change(admin_client, hpn(), priority="1", change_reason="bump priority")
    texts = message_texts(saved)
    assert any("SOP-PLN123-HPN2023 and SOP-PLN123-PROMO" in t for t in texts), texts


# --- preview ---------------------------------------------------------------------------------


def preview(client, **params):
    base = {
        "channel": "live_chat",
        "date": "2023-09-10",
        "time": "08:15",
        "timezone": "WIB",
        "visibility": "private",
        "category": "Informasi",
        "first_contact": "on",
        "element": "opening",
    }
    return client.get(reverse("admin:policy_directive_preview"), {**base, **params})


def test_preview_renders_hpn_greeting_on_live_chat(admin_client):
    cso = CSOFactory(cso_id="CSO0001", full_name="Rina Marlina")
    response = preview(admin_client, cso=str(cso.pk))
    assert response.status_code == 200
    body = response.content.decode()
    expected = (
        "PLN 123 selamat Pagi, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, dengan Rina bisa dibantu"
    )
    assert expected in body
    assert "SOP-PLN123-HPN2023 v1" in body
    assert "1.1. Menggunakan Salam Pembuka Sesuai Standar" in body
    assert "is in force on live_chat at 2023-09-10 08:15 WIB" in body


def test_preview_renders_baseline_for_voice(admin_client):
    response = preview(admin_client, channel="voice", cso_name="Budi")
    body = response.content.decode()
    assert "PLN 123 Selamat Pagi, dengan Budi Bisa Dibantu" in body
    assert "SOP-PLN123-STD v1" in body
    assert "the baseline SOP-PLN123-STD applies" in body


def test_preview_public_complaint_owes_nothing(admin_client):
    response = preview(admin_client, channel="social_media", visibility="public", category="Padam")
    body = response.content.decode()
    assert "No greeting owed" in body and "Padam" in body


def test_preview_policy_error_is_a_form_error(admin_client):
    response = preview(admin_client, timezone="Mars/Olympus")
    assert response.status_code == 200
    assert "unknown time zone" in response.content.decode()
    response = preview(admin_client, channel="voice", visibility="public")
    assert response.status_code == 200
    assert "has no public posts" in response.content.decode()


def test_preview_without_published_baseline_is_a_form_error(admin_client):
    Directive.objects.filter(reference=STD).update(status=DirectiveStatus.WITHDRAWN)
    response = preview(admin_client)
    assert response.status_code == 200
    assert "no published baseline" in response.content.decode()


def test_preview_form_prefills_from_directive(admin_client):
    response = admin_client.get(reverse("admin:policy_directive_preview"), {"directive": hpn().pk})
    assert response.status_code == 200
    assert response.context["form"].initial["date"] == dt.date(2023, 9, 4)
    assert response.context["form"].initial["channel"] == "email"


def test_template_on_its_own_page_for_an_uncovered_channel_of_a_published_directive_is_refused(admin_client):
    template = hpn().templates.get()
    voice = Channel.objects.get(code="voice")
    response = post_change(admin_client, template, channel=str(voice.pk), change_reason="Voice only")
    assert response.status_code == 200
    assert "is for voice, which SOP-PLN123-HPN2023 does not cover" in response.content.decode()
    assert hpn().version == 1 and hpn().templates.get().channel is None


def test_deleting_the_only_template_of_a_published_directive_is_refused_with_a_message(admin_client):
    template = hpn().templates.get()
    response = admin_client.post(
        reverse("admin:policy_greetingtemplate_delete", args=[template.pk]), {"post": "yes"}, follow=True
    )
    assert "was not deleted: SOP-PLN123-HPN2023 has no greeting template" in response.content.decode()
    assert hpn().templates.count() == 1 and hpn().version == 1


def test_memo_file_uploaded_in_the_admin_is_stored_with_the_new_version(admin_client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    directive = hpn()
    url = change_url(directive)
    data = changeform_data(admin_client.get(url), change_reason="Signed memo attached")
    data["memo_file"] = SimpleUploadedFile("memo.txt", b"Memo HPN 2023")
    assert admin_client.post(url, data).status_code == 302
    directive = hpn()
    assert directive.version == 2 and directive.memo_file.name.startswith("memos/memo")
    assert directive.memo_file.read() == b"Memo HPN 2023"
    assert directive.history.latest().memo_file == directive.memo_file.name
