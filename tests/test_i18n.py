"""Bahasa Indonesia: the catalogue is complete and compiled, the site speaks the
reader's language, dates and times are dd/mm/yyyy and 24-hour, reasons of verdicts
are translated, and no admin page a role can reach shows a project string in English."""

from __future__ import annotations

import html
import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from common.catalog import compiled_catalogue, project_catalogues, read_mo, read_po
from scoring.explain import explained_reason
from tests.roles import ROLES, role_user
from tests.test_roles import CASES, TABLE, _world, world  # noqa: F401 (fixtures)

PO = settings.BASE_DIR / "locale" / "id" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def entries():
    return [e for e in read_po(PO) if e.msgid and not e.obsolete]


# --- the catalogue -----------------------------------------------------------------------------


def test_the_project_has_an_indonesian_catalogue():
    assert project_catalogues(settings.BASE_DIR) == [PO]
    assert settings.LOCALE_PATHS == [settings.BASE_DIR / "locale"]


def test_every_message_is_translated_and_none_is_fuzzy():
    missing = [e.msgid for e in entries() if not e.translated]
    fuzzy = [e.msgid for e in entries() if e.fuzzy]
    assert not missing, f"untranslated in {PO.name}: {missing}"
    assert not fuzzy, f"fuzzy (not compiled) in {PO.name}: {fuzzy}"


def test_translations_keep_the_placeholders_of_their_message():
    wrong = [
        (e.msgid, e.value)
        for e in entries()
        for translated in e.value.split("\0")
        if sorted(set(PLACEHOLDER.findall(e.msgid))) != sorted(set(PLACEHOLDER.findall(translated)))
        or ("{nama_cso}" in e.msgid) != ("{nama_cso}" in translated)
    ]
    assert not wrong


def test_the_committed_mo_is_the_compiled_po():
    """GIVEN the .po translators edit WHEN it is compiled in pure Python THEN it holds
    exactly what the committed .mo holds (run `python3 dev.py messages --compile-only`)."""
    expected = {k: v for k, v in compiled_catalogue(read_po(PO)).items() if k}
    actual = {k: v for k, v in read_mo(MO).items() if k}
    assert actual == expected, "locale/id/LC_MESSAGES/django.mo is stale: python3 dev.py messages --compile-only"


# --- which language ------------------------------------------------------------------------------


def test_indonesian_is_the_default_language():
    from config.settings import base

    assert base.LANGUAGE_CODE == "id"
    assert [code for code, _ in settings.LANGUAGES] == ["id", "en"]
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="id")
def test_a_browser_without_preference_gets_indonesian_and_one_asking_english_gets_english():
    login = reverse("admin:login")
    assert "Penilaian QA" in Client().get(login).content.decode()
    page = Client().get(login, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "SOP &amp; QA scoring" in page and "Penilaian QA" not in page
    page = Client().get(login, HTTP_ACCEPT_LANGUAGE="id-ID,id;q=0.9").content.decode()
    assert "Penilaian QA" in page


@pytest.mark.django_db
def test_the_language_switcher_remembers_the_choice():
    """GIVEN a QA user whose browser asks for English WHEN they choose Bahasa Indonesia in
    the header THEN the pages are Indonesian from then on (the language cookie)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(role_user("QA"))
    home = client.get(reverse("admin:index")).content.decode()
    assert 'id="language-switcher"' in home and "Upload transcripts" in home
    response = client.post(reverse("set_language"), {"language": "id", "next": reverse("admin:index")})
    assert response.status_code == 302 and response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "id"
    home = client.get(reverse("admin:index")).content.decode()
    assert "Unggah transkrip" in home and "Upload transcripts" not in home
    client.post(reverse("set_language"), {"language": "en", "next": reverse("admin:index")})
    assert "Upload transcripts" in client.get(reverse("admin:index")).content.decode()


# --- dates and times ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["id", "en"])
def test_dd_mm_yyyy_and_24_hour_times_are_accepted_and_shown(language):
    import datetime as dt

    from django.utils.formats import date_format, time_format

    from audit.forms import AuditTrailForm

    with translation.override(language):
        form = AuditTrailForm({"start": "31/10/2023", "end": "2023-11-01"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["start"] == dt.date(2023, 10, 31)
        assert date_format(dt.date(2023, 10, 31), "SHORT_DATE_FORMAT") == "31/10/2023"
        assert time_format(dt.time(23, 59)) == "23:59"
        assert time_format(dt.time(0, 0)) == "00:00"


# --- reasons of verdicts -----------------------------------------------------------------------------


def test_reasons_render_in_the_readers_language_and_in_english_as_stored():
    from common.reasons import messages_shown
    from rules.messages import N_, joined, msg, render

    parts = [
        msg(N_('missing phrase "%(phrase)s" (S8)'), phrase="Bisa Dibantu"),
        msg(
            N_("typo tolerated: %(typos)s (S8)"),
            typos=joined([msg(N_('"%(said)s" for "%(phrase)s"'), said="Slamat", phrase="Selamat")]),
        ),
    ]
    english = 'missing phrase "Bisa Dibantu" (S8); typo tolerated: "Slamat" for "Selamat" (S8)'
    assert render([p.as_json() for p in parts]) == english
    with translation.override("id"):
        assert messages_shown(parts) == (
            'frasa "Bisa Dibantu" tidak ada (S8); salah ketik ditoleransi: "Slamat" untuk "Selamat" (S8)'
        )
    with translation.override("en"):
        assert messages_shown(parts) == english


@pytest.mark.django_db
def test_a_score_shows_its_reason_in_indonesian(world):  # noqa: F811
    score = world.obj("score")
    assert score.reason_parts, "the engine stores its reason as messages"
    with translation.override("en"):
        assert score.reason_shown == score.reason
    with translation.override("id"):
        assert score.reason_shown != score.reason
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(role_user("QA"))
    page = client.get(reverse("admin:scoring_score_change", args=[score.pk])).content.decode()
    plain = page.replace("&quot;", '"').replace("&#x27;", "'")
    with translation.override("id"):
        clauses = explained_reason(score.reason_shown)
    assert clauses
    for clause in clauses:  # the reason's plain words, each clause in Indonesian
        assert html.escape(capfirst(clause["text"]), quote=False) in plain


def test_the_evidence_page_splits_an_indonesian_reason_from_its_rule_codes():
    from common.reasons import messages_shown
    from rules.messages import N_, joined, msg

    parts = [
        msg(N_('missing phrase "%(phrase)s" (S8)'), phrase="Bisa Dibantu"),
        msg(
            N_("typo tolerated: %(typos)s (S8)"),
            typos=joined([msg(N_('"%(said)s" for "%(phrase)s"'), said="Slamat", phrase="Selamat")]),
        ),
    ]
    with translation.override("id"):
        clauses = explained_reason(messages_shown(parts))
        titles = [str(rule["title"]) for clause in clauses for rule in clause["rules"]]
    assert [c["text"] for c in clauses] == [
        'frasa "Bisa Dibantu" tidak ada',
        'salah ketik ditoleransi: "Slamat" untuk "Selamat"',
    ]
    assert [[r["code"] for r in c["rules"]] for c in clauses] == [["S8"], ["S8"]]
    assert "reading the text: typos, numbers, extra words" not in titles  # the rule's title is Indonesian too


# --- no English left on the pages of each role ---------------------------------------------------------


def english_patterns():
    """The catalogue's English messages that read as English (two words or more), as
    patterns: a placeholder matches anything short."""
    out = []
    for e in entries():
        if e.value == e.msgid:
            continue
        words = re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub(" ", e.msgid))
        if len(words) < 2:
            continue
        pieces = [re.escape(html.unescape(p)) for p in PLACEHOLDER.split(e.msgid)[::2]]
        out.append((e.msgid, re.compile(r"(?<!\w)" + r".{1,200}?".join(pieces) + r"(?!\w)")))
    return out


def page_text(content: str) -> str:
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    content = re.sub(r"<[^>]+>", " ", content)
    return re.sub(r"\s+", " ", html.unescape(content))


ROLE_PAGES = [
    (role, name)
    for name, *allowed in TABLE
    if name.endswith("-GET")
    and name in CASES
    # Permission names are rows Django writes in English at migrate time, not messages.
    and name != "group-view-GET"
    for role, ok in zip(ROLES, allowed, strict=False)
    if ok
]


@pytest.mark.parametrize("role", sorted({role for role, _ in ROLE_PAGES}))
def test_every_page_a_role_reaches_is_in_indonesian(world, role):  # noqa: F811
    """GIVEN each role and every admin page the role table lets it open WHEN it is
    opened in Indonesian THEN no English message of the catalogue is on it."""
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(role_user(role))
    patterns = english_patterns()
    found = {}
    for _role, name in (pair for pair in ROLE_PAGES if pair[0] == role):
        case = CASES[name]
        response = client.get(case.url(world), follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        text = page_text(response.content.decode())
        left = [msgid for msgid, pattern in patterns if pattern.search(text)]
        if left:
            found[name] = left
    assert not found, f"English on the pages of {role}: {found}"


@override_settings(LANGUAGE_CODE="id")
@pytest.mark.django_db
def test_command_output_is_in_indonesian_by_default():
    from common.users import system_user
    from policy.seed import sop_seed

    sop_seed(user=system_user())
    out = StringIO()
    with translation.override("id"):
        call_command("expected_greeting", "--channel", "live_chat", "--at", "2023-09-10T08:15:00+07:00", stdout=out)
    text = out.getvalue()
    assert "pukul 08:15 termasuk Pagi" in text, text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("", "31/10/2023 23:59 WIB"),
        ("Asia/Makassar", "01/11/2023 00:59 WITA"),
        ("Asia/Jayapura", "01/11/2023 01:59 WIT"),
    ],
)
def test_times_are_shown_with_the_regional_zone_name_of_the_policy(zone, shown):
    """The abbreviations are the policy's time zone aliases (the seed's WIB, WITA, WIT)."""
    import datetime as dt

    from common.users import system_user
    from policy.seed import sop_seed
    from policy.templatetags.zones import with_zone, zone_name

    sop_seed(user=system_user())
    moment = dt.datetime(2023, 10, 31, 16, 59, tzinfo=dt.UTC)
    with translation.override("id"):
        assert with_zone(moment, zone) == shown
    assert zone_name("Asia/Makassar") == "WITA"
    assert zone_name("Europe/Paris") == "Europe/Paris"


@pytest.mark.django_db
def test_a_directive_window_typed_as_dd_mm_yyyy_is_accepted_with_one_error_at_most(world):  # noqa: F811
    """GIVEN Pusat edits a draft WHEN the first day is typed 31/10/2023 THEN it is stored;
    an unreadable date gets one error, not a second one from the model."""
    import datetime as dt

    from tests.roles import superuser_form

    change = reverse("admin:policy_directive_change", args=[world.draft.pk])
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(role_user("Pusat"))
    data = superuser_form(world, change, valid_from_date="31/10/2023", valid_until_date="30/11/2023")
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.draft.refresh_from_db()
    assert world.draft.valid_from_date == dt.date(2023, 10, 31)
    data["valid_from_date"] = "31/13/2023"
    response = client.post(change, data)
    errors = response.context["adminform"].form.errors["valid_from_date"]
    assert len(errors) == 1, errors


def test_an_unknown_language_code_stops_the_process_naming_the_variable(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_choice

    monkeypatch.setenv("PLN123_LANGUAGE_CODE", "fr")
    with pytest.raises(ImproperlyConfigured, match="PLN123_LANGUAGE_CODE='fr' is not one of id, en"):
        env_choice("PLN123_LANGUAGE_CODE", "id", ["id", "en"])
    monkeypatch.setenv("PLN123_LANGUAGE_CODE", "en")
    assert env_choice("PLN123_LANGUAGE_CODE", "id", ["id", "en"]) == "en"


@pytest.mark.django_db
def test_the_score_export_carries_the_reason_in_the_language_of_the_export(world):  # noqa: F811
    import csv
    import io

    from scoring.exports import render_scores

    score = world.obj("score")
    with translation.override("id"):
        rows = list(csv.DictReader(io.StringIO(render_scores([score], "csv").decode())))
        shown = score.reason_shown
    assert rows[0]["reason"] == score.reason  # the contract: English
    assert rows[0]["reason_translated"] == shown != score.reason


# --- no text left unmarked in the project's templates ------------------------------------------------

TEMPLATE_DIRS = [settings.BASE_DIR / "templates", *sorted(settings.BASE_DIR.glob("*/templates"))]
UNMARKED_ATTRIBUTE = re.compile(r'\b(?:title|placeholder|value|aria-label|alt)="([^"{]*[A-Za-z]{3,}[^"{]*)"')
# Attribute values that are codes, not words.
NOT_WORDS = {"yes", "no", "confirm", "post", "withdraw_selected"}


def unmarked_text(source: str) -> list[str]:
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r"\{% comment %\}.*?\{% endcomment %\}|\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"\{% blocktranslate.*?\{% endblocktranslate %\}", " ", source, flags=re.S)
    source = re.sub(r"\{% block bodyclass %\}.*?\{% endblock %\}", " ", source, flags=re.S)  # CSS classes
    found = []
    for match in re.finditer(r">([^<]*)<", source):
        text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|&\w+;", " ", match.group(1), flags=re.S)
        if re.search(r"[A-Za-z]{2,}", text):
            found.append(match.group(1).strip())
    for match in UNMARKED_ATTRIBUTE.finditer(source):
        if match.group(1) not in NOT_WORDS:
            found.append(match.group(0))
    return found


@pytest.mark.parametrize(
    "path",
    sorted(p for folder in TEMPLATE_DIRS for p in folder.rglob("*.html")),
    ids=lambda p: str(p.relative_to(settings.BASE_DIR)),
)
def test_the_text_of_every_project_template_is_marked_for_translation(path):
    assert unmarked_text(path.read_text(encoding="utf-8")) == []


def test_the_template_check_finds_unmarked_text():
    assert unmarked_text('<p>Upload now</p><input value="Send">') == ["Upload now", 'value="Send"']
    assert unmarked_text('<p>{% translate "Upload" %} {{ batch }}</p><input value="{% translate "Send" %}">') == []
