"""The SOP as docs/rules.md states it: baseline SOP-PLN123-STD and directive
SOP-PLN123-HPN2023. ``sop_seed`` creates what is missing and never touches what
exists, so running it twice changes nothing and an admin's later edits survive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from policy.choices import DirectiveKind, DirectiveStatus, Element
from policy.models import Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand, TimeZoneAlias
from policy.services import save_with_history

REASON = "Seeded from the SOP memo (manage.py seed_sop)"
MEMO_PATH = Path(__file__).parent / "data" / "memo-hpn2023.txt"

CHANNELS = [
    ("voice", "Voice (PLN 123 line)", False),
    ("live_chat", "Live chat", False),
    ("email", "Email", False),
    ("social_media", "Social media", True),
]
ZONES = [("WIB", "Asia/Jakarta"), ("WITA", "Asia/Makassar"), ("WIT", "Asia/Jayapura")]
BANDS = [
    ("Pagi", dt.time(4, 0), dt.time(10, 59)),
    ("Siang", dt.time(11, 0), dt.time(14, 59)),
    ("Sore", dt.time(15, 0), dt.time(17, 59)),
    ("Malam", dt.time(18, 0), dt.time(3, 59)),
]
PARAMETERS = [
    ("1.1", "Menggunakan Salam Pembuka Sesuai Standar", "live_chat"),
    ("1.1", "Menggunakan Salam Pembuka Sesuai Standar", "email"),
    ("1.1", "Menggunakan Salam Pembuka Sesuai Standar", "voice"),
    ("1.1", "Menggunakan Kata Sapaan", "social_media"),
]
BASELINE = {
    "kind": DirectiveKind.BASELINE,
    "reference": "SOP-PLN123-STD",
    "title": "Standar salam pembuka CSO PLN 123",
    "issuing_unit": "Divisi Pelayanan Pelanggan & Retail PLN Pusat",
    "memo_text": 'Salam pembuka: "PLN 123 {Selamat Pagi/Siang/Sore/Malam}, dengan {..Nama CSO..} Bisa Dibantu"',
    "public_owed_categories": "Informasi",
    "first_contact_only": True,
    "forms_of_address": "Kak, Kakak, Bapak, Ibu, Pak, Bu",
}
BASELINE_OPENING = "PLN 123 Selamat {waktu}, dengan {nama_cso} Bisa Dibantu"
HPN = {
    "kind": DirectiveKind.DIRECTIVE,
    "reference": "SOP-PLN123-HPN2023",
    "title": 'Perubahan Salam Pembuka "HARI PELANGGAN NASIONAL" Tgl 04 September 2023 (untuk Layanan Digital)',
    "issuing_unit": "Divisi Pelayanan Pelanggan & Retail PLN Pusat",
    "valid_from_date": dt.date(2023, 9, 4),
    "valid_from_time": dt.time(0, 0),
    "valid_until_date": dt.date(2023, 9, 30),
    "valid_until_time": dt.time(23, 59, 59),
    "public_owed_categories": "Informasi",
    "first_contact_only": True,
}
HPN_CHANNELS = ["live_chat", "email", "social_media"]
HPN_OPENING = (
    "PLN 123 selamat {waktu}, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, "
    "dengan {nama_cso} bisa dibantu"
)


@transaction.atomic
def sop_seed(*, user) -> list[str]:
    """Load the SOP; return one line per object created (empty: nothing to do)."""
    created: list[str] = []

    def ensure(model, lookup: dict, defaults: dict, label: str):
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = save_with_history(model(**lookup, **defaults), user=user, reason=REASON)
            created.append(label)
        return obj

    channels = {
        code: ensure(Channel, {"code": code}, {"name": name, "allows_public": public}, f"channel {code}")
        for code, name, public in CHANNELS
    }
    for code, iana in ZONES:
        ensure(TimeZoneAlias, {"code": code}, {"iana_name": iana}, f"zone {code}")
    for code, name, channel in PARAMETERS:
        ensure(
            ScoredParameter,
            {"code": code, "channel": channels[channel]},
            {"name": name, "element": Element.OPENING},
            f"parameter {code} {channel}",
        )

    baseline = _ensure_document(BASELINE, [], BASELINE_OPENING, user, created)
    if not baseline.time_bands.exists():
        for word, start, end in BANDS:
            save_with_history(
                TimeBand(baseline=baseline, word=word, starts_at=start, ends_at=end), user=user, reason=REASON
            )
        created.append("time bands of SOP-PLN123-STD")
    hpn_fields = dict(HPN, memo_text=MEMO_PATH.read_text(encoding="utf-8"))
    _ensure_document(hpn_fields, [channels[c] for c in HPN_CHANNELS], HPN_OPENING, user, created)
    return created


def _ensure_document(fields: dict, channels, opening: str, user, created: list[str]) -> Directive:
    directive = Directive.objects.filter(reference=fields["reference"]).first()
    if directive is not None:
        return directive
    directive = Directive(**fields, status=DirectiveStatus.PUBLISHED, published_at=timezone.now(), published_by=user)
    save_with_history(directive, user=user, reason=REASON)
    if channels:
        directive.channels.set(channels)
    save_with_history(
        GreetingTemplate(directive=directive, element=Element.OPENING, text=opening), user=user, reason=REASON
    )
    created.append(f"{directive.kind} {directive.reference}")
    return directive
