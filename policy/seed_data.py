"""The SOP as the memo states it, as plain values: the baseline SOP-PLN123-STD and the
directive SOP-PLN123-HPN2023. ``policy.seed`` writes them to the database; the tests
of the pure ``rules`` package build their policy snapshot from the same values, so
the two cannot drift apart. No Django import here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rules.vocabulary import DocumentKind

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
    "kind": DocumentKind.BASELINE,
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
    "kind": DocumentKind.DIRECTIVE,
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
