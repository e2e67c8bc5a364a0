"""seed_sop: the SOP as docs/rules.md states it, with history, safe to run twice."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from policy.history import TRACKED
from policy.models import Directive, ScoredParameter, TimeBand


def history_rows():
    return sum(model.history.count() for model in TRACKED)


@pytest.mark.django_db
def test_seed_command_loads_the_sop_with_user_and_reason_and_twice_changes_nothing(capsys):
    pusat = get_user_model().objects.create_user("pusat", password="x")
    call_command("seed_sop", "--user", "pusat")
    assert "Seeded the SOP" in capsys.readouterr().out
    rows = history_rows()
    assert rows > 0
    for model in TRACKED:
        for record in model.history.all():
            assert record.history_user == pusat
            assert record.history_change_reason.startswith("Seeded from the SOP memo")

    call_command("seed_sop")
    assert "nothing changed" in capsys.readouterr().out
    assert history_rows() == rows


@pytest.mark.django_db
def test_seed_without_user_acts_as_the_inactive_system_account():
    call_command("seed_sop")
    record = Directive.history.filter(reference="SOP-PLN123-STD").first()
    assert record.history_user.username == "system"
    assert record.history_user.is_active is False
    assert not record.history_user.has_usable_password()


def test_seed_is_the_spec(seeded):
    std = Directive.objects.get(reference="SOP-PLN123-STD")
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    assert std.status == hpn.status == "published"
    assert std.templates.get().text == "PLN 123 Selamat {waktu}, dengan {nama_cso} Bisa Dibantu"
    assert hpn.templates.get().text == (
        "PLN 123 selamat {waktu}, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, "
        "dengan {nama_cso} bisa dibantu"
    )
    assert (hpn.window_start, hpn.window_end) == (dt.datetime(2023, 9, 4, 0, 0), dt.datetime(2023, 9, 30, 23, 59, 59))
    assert sorted(hpn.channels.values_list("code", flat=True)) == ["email", "live_chat", "social_media"]
    assert hpn.public_categories() == ["Informasi"] and std.public_categories() == ["Informasi"]
    bands = {b.word: (b.starts_at, b.ends_at) for b in TimeBand.objects.filter(baseline=std)}
    assert bands == {
        "Pagi": (dt.time(4, 0), dt.time(10, 59)),
        "Siang": (dt.time(11, 0), dt.time(14, 59)),
        "Sore": (dt.time(15, 0), dt.time(17, 59)),
        "Malam": (dt.time(18, 0), dt.time(3, 59)),
    }
    names = {p.channel.code: p.name for p in ScoredParameter.objects.filter(code="1.1")}
    assert names == {
        "live_chat": "Menggunakan Salam Pembuka Sesuai Standar",
        "email": "Menggunakan Salam Pembuka Sesuai Standar",
        "voice": "Menggunakan Salam Pembuka Sesuai Standar",
        "social_media": "Menggunakan Kata Sapaan",
    }
