"""Synthetic transcripts, labelled by construction: for tests, benchmarks and demos.

Why: the project must test and measure itself without anybody's data. This module
makes any number of conversations in the upload shape (the JSON objects of
docs/formats.md) together with the label each one must get under the rules of
docs/rules.md: result ``YES``/``NO``/``NA``, the directive that decides a ``YES`` or
``NO``, the greeting owed, and the flag of rule S10.

The labels are right by construction, never computed by the scoring engine: each
transcript is drawn from a named *case* ("the baseline greeting while the HPN greeting
is owed on live chat", "a public complaint on social media", ...). The case fixes what
decides the result (the channel, the local instant of the CSO's first message against
the directive's window, the audience, what the CSO writes, in which turn) and the label
follows from the rule the case illustrates. Everything else varies freely around that
and must not change the verdict: zones and how timestamps are written (naive local
time, the zone's offset, ``Z``, another zone's offset), forms of address between the
phrases, text before and after the greeting, a greeting split over two bubbles, case,
punctuation, emoji, the CSO's first name or full name. A scorer that agrees with these
labels follows the rules; where it does not, either the case is mislabelled or the
scorer is wrong, and the case name says which rule to read.

The SOP the labels follow is :class:`SOP`; its defaults are the seeded SOP
(``policy/seed.py``: ``SOP-PLN123-STD`` and ``SOP-PLN123-HPN2023``). Zones have fixed
offsets (Indonesia keeps no daylight saving time).

Plain Python, no Django: usable from tests, ``scripts/`` and the command line::

    python -m scoring.synthetic OUT.{jsonl,json,csv,xlsx} [--count N] [--seed S] [--labels LABELS.csv]

Deterministic: the same count, seed and SOP give the same transcripts and the same
bytes (for ``.xlsx``, the same cells: the zip archive stamps its entries with the
clock). Lazy: :func:`generate` yields one transcript at a time and the writers stream,
so a million transcripts need no more memory than one.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import io
import itertools
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import BinaryIO, NamedTuple

YES, NO, NA = "YES", "NO", "NA"
FLAG_FESTIVE = "festive_on_public_complaint"
FORMATS = ("jsonl", "json", "csv", "xlsx")
# The one-row-per-message upload columns, in the order of docs/formats.md.
TABLE_COLUMNS = (
    "transcript_id",
    "channel",
    "platform",
    "visibility",
    "category",
    "timezone",
    "cso_id",
    "cso_name",
    "first_contact",
    "sent_at",
    "sender",
    "text",
)
LABEL_COLUMNS = ("transcript_id", "result", "directive", "expected_greeting", "flags", "case")

_SLOT_RE = re.compile(r"\{(waktu|nama_cso)\}")
_WORD_RE = re.compile(r"[^\W\d_]+|\d+")


# --- the SOP the labels follow -------------------------------------------------------


@dataclass(frozen=True)
class SOP:
    """A baseline and one directive that changes its opening greeting on some channels
    for a window of local wall-clock time (rules S4-S8). Defaults: the seeded SOP."""

    baseline: str = "SOP-PLN123-STD"
    baseline_greeting: str = "PLN 123 Selamat {waktu}, dengan {nama_cso} Bisa Dibantu"
    directive: str = "SOP-PLN123-HPN2023"
    directive_greeting: str = (
        "PLN 123 selamat {waktu}, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, "
        "dengan {nama_cso} bisa dibantu"
    )
    directive_channels: tuple[str, ...] = ("live_chat", "email", "social_media")
    window_start: dt.datetime = dt.datetime(2023, 9, 4, 0, 0, 0)
    window_end: dt.datetime = dt.datetime(2023, 9, 30, 23, 59, 59)  # inclusive
    # (word, first minute, last minute); the last band runs past midnight.
    bands: tuple[tuple[str, dt.time, dt.time], ...] = (
        ("Pagi", dt.time(4, 0), dt.time(10, 59)),
        ("Siang", dt.time(11, 0), dt.time(14, 59)),
        ("Sore", dt.time(15, 0), dt.time(17, 59)),
        ("Malam", dt.time(18, 0), dt.time(3, 59)),
    )
    public_owed_categories: tuple[str, ...] = ("Informasi",)
    forms_of_address: tuple[str, ...] = ("Kak", "Kakak", "Bapak", "Ibu", "Pak", "Bu")
    channels: tuple[str, ...] = ("voice", "live_chat", "email", "social_media")
    public_channels: tuple[str, ...] = ("social_media",)
    # (alias, IANA name, UTC offset in hours); the first is the site's default zone.
    zones: tuple[tuple[str, str, int], ...] = (
        ("WIB", "Asia/Jakarta", 7),
        ("WITA", "Asia/Makassar", 8),
        ("WIT", "Asia/Jayapura", 9),
    )
    typo_ratio: float = 0.10
    typo_min_length: int = 10

    def directive_in_force(self, channel: str, local: dt.datetime) -> bool:
        """Rule S4: the directive decides on its channels inside its window (local time)."""
        return channel in self.directive_channels and self.window_start <= local <= self.window_end

    def owed(self, channel: str, local: dt.datetime) -> tuple[str, str]:
        """The reference and the greeting template that decide at this local instant."""
        if self.directive_in_force(channel, local):
            return self.directive, self.directive_greeting
        return self.baseline, self.baseline_greeting

    def band(self, local: dt.datetime) -> str:
        """Rule S6: the time-of-day word, by hour and minute."""
        minute = (local.hour, local.minute)
        for word, start, end in self.bands:
            first, last = (start.hour, start.minute), (end.hour, end.minute)
            if (first <= minute <= last) if first <= last else (minute >= first or minute <= last):
                return word
        raise ValueError(f"no band covers {local:%H:%M}")

    def owed_on_public(self, category: str) -> bool:
        """Rule S5: a public post owes the greeting only for these categories."""
        return category.strip().lower() in {c.lower() for c in self.public_owed_categories}

    @cached_property
    def festive_phrases(self) -> tuple[str, ...]:
        """Rule S10: the phrases of the directive's greeting that the baseline's lacks."""
        base = {_norm(p) for p in _phrases(self.baseline_greeting)}
        return tuple(p for p in _phrases(self.directive_greeting) if _norm(p) not in base)


def _norm(text: str) -> str:
    return " ".join(_WORD_RE.findall(text.lower()))


def _phrases(template: str) -> list[str]:
    """The fixed phrases of a template: split at its slots and commas (rule S8)."""
    return [p.strip() for part in _SLOT_RE.split(template)[::2] for p in part.split(",") if _WORD_RE.search(p)]


def _segments(template: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The template split at its commas, each part a run of ("text", words) and ("slot", name)."""
    out = []
    for part in template.split(","):
        pieces = []
        for index, bit in enumerate(_SLOT_RE.split(part)):
            if index % 2:
                pieces.append(("slot", bit))
            elif bit.strip():
                pieces.append(("text", bit.strip()))
        out.append(tuple(pieces))
    return tuple(out)


DEFAULT_SOP = SOP()


# --- labels -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Label:
    """What the score of a transcript must be, and the case that made it."""

    transcript_id: str
    case: str
    result: str
    directive: str = ""  # the deciding baseline or directive; YES and NO only
    expected_greeting: str = ""  # YES and NO only
    flags: tuple[str, ...] = ()

    def row(self) -> dict[str, str]:
        """The label as a row of the labels CSV (the export's column names)."""
        return {
            "transcript_id": self.transcript_id,
            "result": self.result,
            "directive": self.directive,
            "expected_greeting": self.expected_greeting,
            "flags": ";".join(self.flags),
            "case": self.case,
        }


class Labelled(NamedTuple):
    transcript: dict
    label: Label


# --- the vocabulary of the conversations ---------------------------------------------

CSOS = (
    ("CSO-001", "Rina Marlina"),
    ("CSO-002", "Agus Setiawan"),
    ("CSO-003", "Intan Permata Sari"),
    ("CSO-004", "Yoga Pratama"),
    ("CSO-005", "Nadia Putri"),
    ("CSO-006", "Hendra"),
    ("CSO-007", "Fitri Handayani"),
    ("CSO-008", "Dimas Anggara"),
    ("CSO-009", "Muhammad Rizky Aditya Nugroho"),
    ("CSO-010", "Ayu Kartika"),
)
CUSTOMERS = ("Budi", "Siti", "Andi", "Wati", "Joko", "Lestari", "Bambang", "Maya")
PLATFORMS = {
    "voice": ("phone",),
    "live_chat": ("web", "whatsapp", "web"),
    "email": ("email",),
    "social_media": ("facebook", "instagram", "twitter"),
}
OTHER_CATEGORIES = ("Padam", "Keluhan", "Gangguan", "Tagihan", "Permintaan", "")
CUSTOMER_TEXTS = (
    "Listrik di rumah saya padam sejak tadi pagi",
    "Token saya tidak masuk padahal sudah bayar",
    "Tagihan bulan ini naik dua kali lipat",
    "Mau tanya jadwal pemeliharaan di daerah saya",
    "Saya mau tambah daya jadi 2200 VA",
    "Halo, bisa minta info pasang baru?",
    "Selamat Hari Pelanggan Nasional juga, Kak",  # a customer's festive words never flag the CSO
)
CUSTOMER_REPLIES = ("ok terima kasih", "siap", "baik, saya tunggu", "ID pelanggan saya 512345678901", "👍")
# What a CSO writes that is no greeting at all: none of these holds a word of one.
CSO_FILLERS = (
    "Mohon ditunggu sebentar ya, kami cek dulu.",
    "Mohon maaf atas ketidaknyamanannya.",
    "Boleh kami minta ID pelanggannya?",
    "Terima kasih atas informasinya.",
    "Laporan sudah kami teruskan ke petugas lapangan.",
)
CSO_CLOSINGS = ("Terima kasih, semoga harinya menyenangkan.", "Laporan sudah kami catat, mohon ditunggu.")
PREFIXES = ("", "", "", "Halo Kak {customer}, ", "Hai Kak! ", "Terima kasih sudah menunggu. ")
EMAIL_PREFIXES = ("Yth. Bapak/Ibu {customer},\n\n", "Kepada Yth. Pelanggan,\n")
SUFFIXES = ("", "", "", " 🙏", "?", " 😊", " Silakan sampaikan keperluannya.")
JOINERS = (", ", ", ", ", ", " ", "! ", " - ", ",\n", " 😊 ")
# Words that are no form of address, each longer than any typo rule S8 tolerates.
INTRUSIONS = ("sekali", "mohon maaf", "sebentar", "juga")
# A zone named by IANA that is none of the SOP's aliases (rule S1).
OTHER_ZONES = (("Asia/Pontianak", 7),)


# --- the cases ----------------------------------------------------------------------


@dataclass
class _Draft:
    """A case being built: the situation, what the CSO writes turn by turn, the verdict."""

    channel: str
    local: dt.datetime  # the local wall-clock time of the CSO's first message (rule S3)
    visibility: str = "private"
    category: str = ""
    first_contact: bool = True
    turns: list[list[str]] = field(default_factory=list)  # CSO turns, each a list of bubbles
    result: str = YES
    festive: bool = False  # the CSO used a phrase only the directive's greeting has (rule S10)
    cso: tuple[str, str] | None = None  # (id, name) when the case needs a particular CSO


class _Maker:
    """Draws transcripts from the cases with one random.Random, in order."""

    def __init__(self, rng: random.Random, sop: SOP, id_prefix: str, cases: Iterable[str] | None):
        self.rng = rng
        self.sop = sop
        self.id_prefix = id_prefix
        self.digital = sop.directive_channels
        self.others = tuple(c for c in sop.channels if c not in sop.directive_channels)
        self.owed_categories = sop.public_owed_categories
        self.forms = sop.forms_of_address
        chosen = CASES if cases is None else {name: CASES[name] for name in cases}
        names, weights = zip(*((name, weight) for name, (weight, _) in chosen.items()), strict=True)
        self.case_names, self.case_cum = names, list(itertools.accumulate(weights))
        # Aliases in any case and IANA names; blank is the site's default zone (rule S1).
        self.zone_labels = [(alias, off) for alias, _, off in sop.zones] + [(iana, off) for _, iana, off in sop.zones]
        self.zone_labels += [("", sop.zones[0][2]), ("", sop.zones[0][2]), (sop.zones[-1][0].lower(), sop.zones[-1][2])]
        self.zone_labels += OTHER_ZONES
        self.segments = {t: _segments(t) for t in (sop.baseline_greeting, sop.directive_greeting)}

    # -- the situation

    def moment(self, inside: bool | None) -> dt.datetime:
        """A local wall-clock time inside the directive's window, outside it, or either
        (``None``); often close to an edge of the window or of a time-of-day band."""
        rng, start, end = self.rng, self.sop.window_start, self.sop.window_end
        while True:
            side = inside if inside is not None else rng.random() < 0.5
            near_edge = rng.random() < 0.25
            # Within hours of an edge, or seconds: then the CSO's turn may straddle it (rule S3).
            hours = dt.timedelta(seconds=rng.randrange(0, 3 * 3600 if rng.random() < 0.5 else 30))
            if side and near_edge:
                local = start + hours if rng.random() < 0.5 else end - hours
            elif side:
                local = start + dt.timedelta(seconds=rng.randrange(int((end - start).total_seconds()) + 1))
            elif near_edge:
                second = dt.timedelta(seconds=1)
                local = start - hours - second if rng.random() < 0.5 else end + hours + second
            elif rng.random() < 0.5:
                local = start - dt.timedelta(seconds=rng.randrange(1, 40 * 86400))
            else:
                local = end + dt.timedelta(seconds=rng.randrange(1, 40 * 86400))
            if rng.random() < 0.2:  # the minute before or at the start of a band
                _word, first, _last = rng.choice(self.sop.bands)
                clock = dt.datetime.combine(local.date(), first) - dt.timedelta(minutes=rng.randrange(2))
                local = clock.replace(second=rng.randrange(60)) if clock.date() == local.date() else local
            if inside is None or (start <= local <= end) == inside:
                return local

    def situation(self, *, directive: bool | None, public_owed: bool | None = None) -> _Draft:
        """Where and when: ``directive`` True means the directive decides, False the
        baseline, None either. ``public_owed`` True may make a public post that owes the
        greeting, False makes a public post that does not, None a private one."""
        rng = self.rng
        if directive is None:
            channel = rng.choice(self.sop.channels)
            local = self.moment(None)
        elif directive:
            channel = rng.choice(self.digital)
            local = self.moment(True)
        elif self.others and rng.random() < 0.4:
            channel = rng.choice(self.others)
            local = self.moment(None)
        else:
            channel = rng.choice(self.digital)
            local = self.moment(False)
        draft = _Draft(channel, local, category=rng.choice((*OTHER_CATEGORIES, *self.owed_categories)))
        if public_owed is False or (public_owed and rng.random() < 0.35):
            if channel not in self.sop.public_channels:
                draft.channel = channel = rng.choice(self.sop.public_channels)
                if directive is not None and self.sop.directive_in_force(channel, local) != directive:
                    return self.situation(directive=directive, public_owed=public_owed)
            draft.visibility = "public"
            if public_owed:
                owed = rng.choice(self.owed_categories)
                draft.category = rng.choice((owed, owed.lower(), owed.upper()))
            else:
                draft.category = rng.choice(OTHER_CATEGORIES)
        return draft

    # -- what the CSO writes

    def name_for(self, full: str) -> str:
        """Rule S7: the full name or any single word of it, in any case."""
        rng, words = self.rng, full.split()
        roll = rng.random()
        name = full if roll < 0.45 else words[0] if roll < 0.8 else rng.choice(words)
        return name.upper() if rng.random() < 0.05 else name.lower() if rng.random() < 0.05 else name

    def greeting(
        self,
        template: str,
        word: str,
        name: str,
        *,
        drop: str | None = None,
        typo: bool = False,
        number: bool = False,
        between: str | None = None,
        at: int | None = None,
        noise: bool = True,
    ) -> list[str]:
        """The template said with ``word`` and ``name``, as segments (split at its commas).

        ``drop`` leaves out a phrase (``"phrase"``) or the time-of-day word (``"waktu"``);
        ``typo`` puts one small typo in a phrase long enough for rule S8 to tolerate it;
        ``number`` changes a number; ``between`` puts words between two segments (after
        segment ``at - 1``, anywhere when ``at`` is None). With ``noise``, a form of
        address may stand between two segments (allowed by S8).
        """
        rng = self.rng
        segments = [list(s) for s in self.segments[template]]
        phrases = [(i, j) for i, seg in enumerate(segments) for j, (kind, _) in enumerate(seg) if kind == "text"]
        if drop == "phrase":
            i, j = rng.choice(phrases)
            segments[i][j] = ("gone", "")
        elif drop == "waktu":
            segments = [[("gone", "") if p == ("slot", "waktu") else p for p in seg] for seg in segments]
        if typo:
            long = [(i, j) for i, j in phrases if self.tolerated(segments[i][j][1])]
            i, j = rng.choice(long)
            segments[i][j] = ("text", self.misspell(segments[i][j][1]))
        if number:
            i, j = rng.choice([(i, j) for i, j in phrases if re.search(r"\d", segments[i][j][1])])
            segments[i][j] = ("text", re.sub(r"\d+", self.other_number, segments[i][j][1], count=1))
        slots = {"waktu": word, "nama_cso": name}
        texts = [
            " ".join(bit if kind == "text" else slots[bit] for kind, bit in seg if kind != "gone") for seg in segments
        ]
        texts = [t for t in texts if t]
        if between is not None:
            at = at if at is not None else rng.randrange(1, len(texts))
            texts[at - 1] += " " + between
        elif noise and rng.random() < 0.2:
            at = rng.randrange(1, len(texts))
            texts[at - 1] += " " + rng.choice((*self.forms, "Bapak/Ibu"))
        return texts

    def tolerated(self, phrase: str) -> bool:
        """Rule S8: one edit is tolerated in this phrase."""
        size = len(_norm(phrase))
        return size >= self.sop.typo_min_length and int(size * self.sop.typo_ratio + 1e-9) >= 1

    def misspell(self, phrase: str) -> str:
        """One edit inside the phrase: a letter of a word swapped for another, dropped,
        doubled, or a space typed inside a word or left out between two."""
        rng = self.rng
        words = phrase.split(" ")
        k = rng.choice([k for k, w in enumerate(words) if w.isalpha() and len(w) >= 4])
        word, p = words[k], rng.randrange(1, len(words[k]))
        op = rng.randrange(5)
        if op == 4 and k + 1 < len(words) and words[k + 1].isalpha():
            return " ".join([*words[:k], word + words[k + 1], *words[k + 2 :]])
        if op == 3 and 2 <= p <= len(word) - 2:
            word = word[:p] + " " + word[p:]
        elif op == 2:
            word = word[:p] + word[p] + word[p:]
        elif op == 1:
            word = word[:p] + word[p + 1 :]
        else:
            word = word[:p] + rng.choice([c for c in "aeiouknrst" if c != word[p].lower()]) + word[p + 1 :]
        words[k] = word
        return " ".join(words)

    def other_number(self, match: re.Match) -> str:
        number = match.group(0)
        while (other := str(int(number) + self.rng.choice((-1, 1, 9, 10)))) == number:
            pass
        return other

    def say(self, segments: list[str], draft: _Draft, customer: str, *, split: bool = False) -> list[str]:
        """Segments joined into the CSO's bubbles, with what people write around a greeting."""
        rng = self.rng
        text = segments[0]
        bubbles = []
        for segment in segments[1:]:
            if split and not bubbles and rng.random() < 0.5:
                bubbles.append(text + rng.choice((",", "", "!")))
                text = segment
            else:
                text += rng.choice(JOINERS) + segment
        bubbles.append(text)
        if split and len(bubbles) == 1:
            bubbles.insert(0, rng.choice(("Halo Kak,", f"Halo Kak {customer}!", "Terima kasih sudah menunggu.")))
        roll = rng.random()
        if roll < 0.1:
            bubbles = [b.upper() for b in bubbles]
        elif roll < 0.2:
            bubbles = [b.lower() for b in bubbles]
        if rng.random() < 0.1:
            bubbles = [re.sub(r"(?i)\bPLN 123\b", lambda m: m.group(0).replace(" ", ""), b) for b in bubbles]
        prefixes = EMAIL_PREFIXES if draft.channel == "email" and rng.random() < 0.5 else PREFIXES
        bubbles[0] = rng.choice(prefixes).format(customer=customer) + bubbles[0]
        bubbles[-1] += rng.choice(SUFFIXES)
        return bubbles

    # -- the whole transcript

    def one(self, number: int) -> Labelled:
        rng, sop = self.rng, self.sop
        case = self.case_names[bisect.bisect_right(self.case_cum, rng.random() * self.case_cum[-1])]
        cso_id, cso_name = rng.choice(CSOS)
        customer = rng.choice(CUSTOMERS)
        draft = CASES[case][1](self, cso_name, customer)
        cso_id, cso_name = draft.cso or (cso_id, cso_name)
        tid = f"{self.id_prefix}-{number:07d}"
        if draft.result == NA:
            flagged = (
                draft.festive
                and draft.visibility == "public"
                and not sop.owed_on_public(draft.category)
                and sop.directive_in_force(draft.channel, draft.local)
            )
            label = Label(tid, case, NA, flags=(FLAG_FESTIVE,) if flagged else ())
        else:
            # A case that says YES or NO built a situation that owes a greeting (rule S5).
            assert draft.turns and draft.first_contact, case
            assert draft.visibility == "private" or sop.owed_on_public(draft.category), case
            reference, template = sop.owed(draft.channel, draft.local)
            word = sop.band(draft.local)
            greeting = _SLOT_RE.sub(lambda m: word if m.group(1) == "waktu" else cso_name, template)
            label = Label(tid, case, draft.result, reference, greeting)
        zone, offset = rng.choice(self.zone_labels)
        transcript = {
            "id": tid,
            "channel": draft.channel,
            "platform": rng.choice(PLATFORMS.get(draft.channel, ("",))),
            "visibility": draft.visibility,
            "category": draft.category,
            "timezone": zone,
            "cso_id": cso_id,
            "cso_name": cso_name,
            "first_contact": draft.first_contact,
            "messages": self.messages(draft, offset),
        }
        return Labelled(transcript, label)

    def messages(self, draft: _Draft, offset: int) -> list[dict]:
        """Customer and CSO messages around the CSO's turns, the first CSO message at
        ``draft.local``; each timestamp written one of the ways rule S1 allows."""
        rng = self.rng
        second = dt.timedelta(seconds=1)
        timeline = []
        customer_first = not draft.turns or rng.random() < 0.9
        clock = draft.local - rng.randrange(20, 900) * second
        if customer_first:
            timeline.append((clock, "customer", rng.choice(CUSTOMER_TEXTS)))
        clock = draft.local
        for index, turn in enumerate(draft.turns):
            if index:
                clock += rng.randrange(20, 600) * second
                timeline.append((clock, "customer", rng.choice(CUSTOMER_REPLIES)))
                clock += rng.randrange(20, 300) * second
            for bubble in turn:
                timeline.append((clock, "cso", bubble))
                clock += rng.randrange(2, 40) * second
        if rng.random() < 0.5 or not draft.turns:
            clock += rng.randrange(20, 600) * second
            timeline.append((clock, "customer", rng.choice(CUSTOMER_REPLIES)))
        if rng.random() < 0.05:
            rng.shuffle(timeline)  # the file's order does not matter: sent_at does (rule S2)
        return [{"sent_at": self.written(when, offset), "sender": who, "text": text} for when, who, text in timeline]

    def written(self, local: dt.datetime, offset: int) -> str:
        """Rule S1: naive local time, the zone's own offset, UTC with Z, or another offset."""
        roll = self.rng.random()
        if roll < 0.4:
            return local.isoformat()
        if roll < 0.65:
            return f"{local.isoformat()}+{offset:02d}:00"
        utc = local - dt.timedelta(hours=offset)
        if roll < 0.85:
            return f"{utc.isoformat()}Z"
        other = self.rng.choice((0, 7, 8, 9))
        return f"{(utc + dt.timedelta(hours=other)).isoformat()}+{other:02d}:00"


# Each case builds a draft whose verdict follows from the rule it names. The owed
# template and time-of-day word come from the draft's channel and local instant.


def _owed_words(m: _Maker, d: _Draft) -> tuple[str, str]:
    return m.sop.owed(d.channel, d.local)[1], m.sop.band(d.local)


def _compliant(m: _Maker, cso: str, customer: str, *, directive: bool, **say) -> _Draft:
    d = m.situation(directive=directive, public_owed=True)
    template, word = _owed_words(m, d)
    typo = say.pop("typo", False)
    d.turns = [m.say(m.greeting(template, word, m.name_for(cso), typo=typo), d, customer, **say)]
    return _with_closing(m, d)


def _with_closing(m: _Maker, d: _Draft) -> _Draft:
    if m.rng.random() < 0.3:
        d.turns.append([m.rng.choice(CSO_CLOSINGS)])
    return d


def case_directive_greeting(m, cso, customer):
    """S4: the directive decides (digital channel, inside its window, local time) and
    its greeting is given, private or on a public Informasi post: YES."""
    return _compliant(m, cso, customer, directive=True)


def case_baseline_greeting(m, cso, customer):
    """S4: no directive in force (voice, or outside the window) and the baseline
    greeting is given: YES under the baseline."""
    return _compliant(m, cso, customer, directive=False)


def case_tolerated_typo(m, cso, customer):
    """S8: one small typo in a phrase of ten or more characters is tolerated: YES."""
    return _compliant(m, cso, customer, directive=m.rng.random() < 0.6, typo=True)


def case_split_over_bubbles(m, cso, customer):
    """S2: the first turn is every CSO bubble before the customer writes again: YES."""
    return _compliant(m, cso, customer, directive=m.rng.random() < 0.6, split=True)


def _wrong(m: _Maker, cso: str, customer: str, *, directive: bool | None = None, **change) -> _Draft:
    """The owed greeting with one thing wrong: NO under the owed document."""
    d = m.situation(directive=m.rng.random() < 0.6 if directive is None else directive, public_owed=True)
    template, word = _owed_words(m, d)
    name = change.pop("name", None) or m.name_for(cso)
    if change.pop("wrong_word", False):
        word = m.rng.choice([w for w, _, _ in m.sop.bands if w != word])
    d.turns = [m.say(m.greeting(template, word, name, **change), d, customer, split=m.rng.random() < 0.2)]
    d.result = NO
    return _with_closing(m, d)


def case_other_document_greeting(m, cso, customer):
    """S4, S9: the greeting of the document that does not decide (the baseline's while
    the directive's is owed, or the directive's outside its window or on voice): NO."""
    d = m.situation(directive=m.rng.random() < 0.5, public_owed=True)
    reference, _ = m.sop.owed(d.channel, d.local)
    other = m.sop.baseline_greeting if reference == m.sop.directive else m.sop.directive_greeting
    d.turns = [m.say(m.greeting(other, m.sop.band(d.local), m.name_for(cso), noise=False), d, customer)]
    d.result = NO
    return _with_closing(m, d)


def case_wrong_time_word(m, cso, customer):
    """S6: a time-of-day word other than the one of the local time: NO."""
    return _wrong(m, cso, customer, wrong_word=True)


def case_missing_phrase(m, cso, customer):
    """S8: a phrase of the template, or the time-of-day word, left out: NO."""
    return _wrong(m, cso, customer, drop=m.rng.choice(("phrase", "phrase", "waktu")))


def case_wrong_number(m, cso, customer):
    """S8: the numbers of the template (123, 2023) must be exact: NO."""
    return _wrong(m, cso, customer, number=True)


def case_wrong_name(m, cso, customer):
    """S7: a name that is not the CSO's: NO."""
    own = {w.lower() for w in cso.split()}
    other = m.rng.choice([w for _, full in CSOS for w in full.split() if w.lower() not in own])
    return _wrong(m, cso, customer, name=other)


def case_partial_name(m, cso, customer):
    """S7, S8: two words of a longer name are neither the full name nor one word of it: NO."""
    d_cso = m.rng.choice([(cso_id, full) for cso_id, full in CSOS if len(full.split()) >= 3])
    d = _wrong(m, d_cso[1], customer, name=" ".join(d_cso[1].split()[:2]))
    d.cso = d_cso
    return d


def case_words_inside_greeting(m, cso, customer):
    """S8: words other than a form of address between the phrases: NO."""
    return _wrong(m, cso, customer, between=m.rng.choice(INTRUSIONS), noise=False)


def case_short_word_inside_greeting(m, cso, customer):
    """S8: a short word ("ya") between the phrases, right beside the directive's longest
    phrase: NO, as any other word there; it is no typo inside a phrase."""
    segments = m.segments[m.sop.directive_greeting]
    longest = max(range(len(segments)), key=lambda i: max(len(b) for kind, b in segments[i] if kind == "text"))
    at = m.rng.choice([a for a in (longest, longest + 1) if 1 <= a < len(segments)])
    return _wrong(m, cso, customer, directive=True, between="ya", at=at, noise=False)


def case_greeting_in_later_turn(m, cso, customer):
    """S2: the greeting first appears after the customer wrote again: NO."""
    d = m.situation(directive=m.rng.random() < 0.6, public_owed=True)
    template, word = _owed_words(m, d)
    d.turns = [[m.rng.choice(CSO_FILLERS)], m.say(m.greeting(template, word, m.name_for(cso)), d, customer)]
    d.result = NO
    return d


def case_split_by_customer(m, cso, customer):
    """S2: the customer writes between the two halves of the greeting: NO."""
    d = m.situation(directive=m.rng.random() < 0.6, public_owed=True)
    template, word = _owed_words(m, d)
    segments = m.greeting(template, word, m.name_for(cso), noise=False)
    at = m.rng.randrange(1, len(segments))
    d.turns = [[", ".join(segments[:at]) + ","], [", ".join(segments[at:])]]
    d.result = NO
    return d


def case_no_greeting(m, cso, customer):
    """S8: no greeting in the CSO's first turn at all: NO."""
    d = m.situation(directive=m.rng.random() < 0.6, public_owed=True)
    d.turns = [[m.rng.choice(CSO_FILLERS)]]
    d.result = NO
    return _with_closing(m, d)


def _anything(m: _Maker, d: _Draft, cso: str, customer: str) -> None:
    """What a CSO may write when no greeting is owed; ``d.festive`` when it uses a
    phrase only the directive's greeting has (rule S10), in any turn."""
    rng, sop = m.rng, m.sop
    roll = rng.random()
    word, name = sop.band(d.local), m.name_for(cso)
    if roll < 0.4:
        d.turns = [m.say(m.greeting(sop.directive_greeting, word, name, typo=rng.random() < 0.2), d, customer)]
        d.festive = True
    elif roll < 0.55:
        d.turns = [[rng.choice(CSO_FILLERS)], [rng.choice(sop.festive_phrases) + ", Kak!"]]
        d.festive = True
    elif roll < 0.8:
        d.turns = [m.say(m.greeting(sop.baseline_greeting, word, name), d, customer)]
    else:
        d.turns = [[rng.choice(CSO_FILLERS)]]
    _with_closing(m, d)
    d.result = NA


def case_public_complaint(m, cso, customer):
    """S5: a public post whose category is not Informasi owes no greeting: NA; S10: the
    directive's special greeting used anyway while in force is flagged."""
    d = m.situation(directive=None, public_owed=False)
    _anything(m, d, cso, customer)
    return d


def case_follow_up(m, cso, customer):
    """S5: not a first contact: NA (flagged as a public complaint would be, S10)."""
    d = m.situation(directive=None, public_owed=False if m.rng.random() < 0.3 else None)
    d.first_contact = False
    _anything(m, d, cso, customer)
    return d


def case_follow_up_public_informasi(m, cso, customer):
    """S5, S10: a follow-up on a public Informasi post with the directive's greeting while
    in force: NA, and no flag, since the post is no complaint."""
    d = m.situation(directive=True, public_owed=True)
    while d.visibility != "public":
        d = m.situation(directive=True, public_owed=True)
    d.first_contact = False
    d.turns = [m.say(m.greeting(m.sop.directive_greeting, m.sop.band(d.local), m.name_for(cso)), d, customer)]
    d.result, d.festive = NA, True
    return d


def case_no_reply(m, cso, customer):
    """S5: the CSO never wrote: NA."""
    d = m.situation(directive=None, public_owed=m.rng.choice((None, False)))
    d.result = NA
    return d


# name: (weight, builder); the weights favour the common cases, every case stays frequent.
CASES: dict[str, tuple[int, Callable[[_Maker, str, str], _Draft]]] = {
    "directive_greeting": (14, case_directive_greeting),
    "baseline_greeting": (12, case_baseline_greeting),
    "tolerated_typo": (6, case_tolerated_typo),
    "split_over_bubbles": (6, case_split_over_bubbles),
    "other_document_greeting": (10, case_other_document_greeting),
    "wrong_time_word": (6, case_wrong_time_word),
    "missing_phrase": (5, case_missing_phrase),
    "wrong_number": (3, case_wrong_number),
    "wrong_name": (3, case_wrong_name),
    "partial_name": (2, case_partial_name),
    "words_inside_greeting": (3, case_words_inside_greeting),
    "short_word_inside_greeting": (2, case_short_word_inside_greeting),
    "greeting_in_later_turn": (4, case_greeting_in_later_turn),
    "split_by_customer": (3, case_split_by_customer),
    "no_greeting": (3, case_no_greeting),
    "public_complaint": (10, case_public_complaint),
    "follow_up": (5, case_follow_up),
    "follow_up_public_informasi": (2, case_follow_up_public_informasi),
    "no_reply": (3, case_no_reply),
}


# --- the entry points ---------------------------------------------------------------


def generate(
    count: int,
    *,
    seed: int = 0,
    sop: SOP = DEFAULT_SOP,
    id_prefix: str | None = None,
    cases: Iterable[str] | None = None,
) -> Iterator[Labelled]:
    """``count`` labelled transcripts, one at a time, the same for the same arguments.
    Ids are ``{id_prefix}-{n:07d}``, ``id_prefix`` being ``SYN{seed}`` unless given;
    ``cases`` limits the draw to some names of :data:`CASES`."""
    prefix = id_prefix if id_prefix is not None else f"SYN{seed}"
    maker = _Maker(random.Random(seed), sop, prefix, cases)
    for number in range(1, count + 1):
        yield maker.one(number)


def transcripts_of(items: Iterable[Labelled]) -> Iterator[dict]:
    return (item.transcript for item in items)


def table_rows(transcript: dict) -> Iterator[list]:
    """The rows of one transcript in the CSV and XLSX formats: one per message."""
    head = [
        transcript["id"],
        transcript["channel"],
        transcript["platform"],
        transcript["visibility"],
        transcript["category"],
        transcript["timezone"],
        transcript["cso_id"],
        transcript["cso_name"],
        "true" if transcript["first_contact"] else "false",
    ]
    for message in transcript["messages"]:
        yield [*head, message["sent_at"], message["sender"], message["text"]]


def write_upload(transcripts: Iterable[dict], out: BinaryIO, fmt: str) -> int:
    """Write ``transcripts`` to the binary stream ``out`` in one of :data:`FORMATS`,
    streaming; return how many were written."""
    count = 0
    if fmt in ("jsonl", "json"):
        array = fmt == "json"
        out.write(b"[\n" if array else b"")
        for transcript in transcripts:
            line = json.dumps(transcript, ensure_ascii=False)
            out.write(((",\n" if array and count else "") + line + ("" if array else "\n")).encode())
            count += 1
        out.write(b"\n]\n" if array else b"")
    elif fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(TABLE_COLUMNS)
        for transcript in transcripts:
            writer.writerows(table_rows(transcript))
            count += 1
        text.flush()
        text.detach()  # the caller owns ``out``
    elif fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        fixed = dt.datetime(2023, 1, 1)  # not the clock: the same content gives the same properties
        workbook.properties.created = workbook.properties.modified = fixed
        sheet = workbook.create_sheet("transcripts")
        sheet.append(TABLE_COLUMNS)
        for transcript in transcripts:
            for row in table_rows(transcript):
                sheet.append(row)
            count += 1
        workbook.save(out)
    else:
        raise ValueError(f"unknown upload format {fmt!r} (one of {', '.join(FORMATS)})")
    return count


def upload_bytes(transcripts: Iterable[dict], fmt: str) -> bytes:
    """The upload file as bytes: for tests and small uploads."""
    out = io.BytesIO()
    write_upload(transcripts, out, fmt)
    return out.getvalue()


def write_labels(labels: Iterable[Label], out: BinaryIO) -> int:
    """The labels as CSV (:data:`LABEL_COLUMNS`), streaming; return how many."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.DictWriter(text, LABEL_COLUMNS)
    writer.writeheader()
    count = 0
    for label in labels:
        writer.writerow(label.row())
        count += 1
    text.flush()
    text.detach()
    return count


def save(path: Path, count: int, *, seed: int = 0, labels_path: Path | None = None, **options) -> int:
    """Generate straight into a file (its format by extension) and, when asked, the
    labels into another; each is written streaming, in a pass of its own."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"{path}: the name must end in .{', .'.join(FORMATS)}")
    with open(path, "wb") as out:
        written = write_upload(transcripts_of(generate(count, seed=seed, **options)), out, fmt)
    if labels_path is not None:
        with open(labels_path, "wb") as out:
            write_labels((item.label for item in generate(count, seed=seed, **options)), out)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scoring.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the upload file to write: .jsonl, .json, .csv or .xlsx")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--labels", type=Path, default=None, help="also write the labels as CSV here")
    args = parser.parse_args(argv)
    written = save(args.path, args.count, seed=args.seed, labels_path=args.labels)
    print(f"{written} transcripts written to {args.path}" + (f", labels to {args.labels}" if args.labels else ""))


if __name__ == "__main__":
    main()
