"""The expected_greeting command answers the resolver's question from the database's
policy, in text and as JSON (the contract of docs/formats.md)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rules.resolver import PolicyError

HPN = "SOP-PLN123-HPN2023"
STD = "SOP-PLN123-STD"
HPN_GREETING = (
    "PLN 123 selamat {w}, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, dengan Rina bisa dibantu"
)
STD_GREETING = "PLN 123 Selamat {w}, dengan Rina Bisa Dibantu"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--channel", "live_chat", "--at", "2023-09-10T08:15", "--timezone", "WIB", "--cso", "Rina"],
            {"owed": True, "greeting": HPN_GREETING.format(w="Pagi"), "directive": HPN, "version": 1},
        ),
        (
            ["--channel", "email", "--at", "2023-09-10T19:40", "--timezone", "WITA", "--cso", "Rina"],
            {"owed": True, "greeting": HPN_GREETING.format(w="Malam"), "directive": HPN},
        ),
        (
            ["--channel", "live_chat", "--at", "2023-09-30T15:30:00Z", "--timezone", "WIT", "--cso", "Rina"],
            {"owed": True, "greeting": STD_GREETING.format(w="Malam"), "directive": STD},
        ),
        (
            ["--channel", "live_chat", "--at", "2023-09-30T15:30:00Z", "--timezone", "WIB", "--cso", "Rina"],
            {"owed": True, "greeting": HPN_GREETING.format(w="Malam"), "directive": HPN},
        ),
        (
            ["--channel", "social_media", "--at", "2023-09-12T10:00", "--visibility", "public", "--category", "Padam"],
            {"owed": False, "greeting": None, "parameter_name": "Menggunakan Kata Sapaan"},
        ),
        (
            ["--channel", "social_media", "--at", "2023-09-12T10:00", "--visibility", "public"]
            + ["--category", "Informasi", "--cso", "Rina"],
            {"owed": True, "greeting": HPN_GREETING.format(w="Pagi"), "parameter_code": "1.1"},
        ),
        (
            ["--channel", "voice", "--at", "2023-09-12T10:00", "--cso", "Rina"],
            {"owed": True, "greeting": STD_GREETING.format(w="Pagi"), "directive": STD},
        ),
    ],
)
def test_expected_greeting_command_json(seeded, capsys, args, expected):
    call_command("expected_greeting", *args, "--json")
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"owed", "greeting", "directive", "version", "parameter_code", "parameter_name", "reason"}
    for key, value in expected.items():
        assert answer[key] == value
    assert answer["reason"]


def test_expected_greeting_command_text_and_errors(seeded, capsys):
    call_command("expected_greeting", "--channel", "email", "--at", "2023-09-10T19:40", "--timezone", "WITA")
    out = capsys.readouterr().out
    assert "Owed: PLN 123 selamat Malam" in out
    assert "Decided by: SOP-PLN123-HPN2023 version 1" in out
    assert "19:40 is Malam" in out
    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("expected_greeting", "--channel", "email", "--at", "yesterday")
    with pytest.raises(CommandError, match="unknown time zone"):
        call_command("expected_greeting", "--channel", "email", "--at", "2023-09-10T19:40", "--timezone", "XYZ")


@pytest.mark.django_db
def test_no_baseline_is_a_clear_error():
    from policy.selectors import policy_snapshot

    with pytest.raises(PolicyError, match="no published baseline"):
        policy_snapshot()
