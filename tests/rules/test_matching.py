"""The matcher's shortcuts answer exactly what the full alignment answers.

``exact_match`` (a right greeting, found cheaply) must return the same steps, cost,
passage and span as the full dynamic programme whenever it answers, and
``could_be_present`` (which lets the engine skip an alignment) must never say False
where the full alignment finds the greeting present. Checked on thousands of texts:
the CSO replies of the dev set, and random edits of the two greetings.
"""

import json
import random
from pathlib import Path

import pytest

from rules.engine import matching_context
from rules.matching import compile_template, could_be_present, exact_match, full_alignment
from rules.text import tokenize
from tests.rules.snapshots import seeded_policy

DATA = Path(__file__).resolve().parent.parent / "data" / "dev-transcripts.jsonl"
POLICY = seeded_policy()
TEMPLATES = [POLICY.baseline.templates[0].text, POLICY.directives[0].templates[0].text]
FILLERS = [
    "Kak",
    "Bapak",
    "ibu",
    "sekali",
    "Selamat",
    "PLN",
    "123",
    "2023",
    "Pagi",
    "Malam",
    "Rina",
    "dengan",
    "🙏",
    ",",
]


class Speaker:
    cso_name = "Rina Marlina"
    cso_id = ""


def texts():
    for line in DATA.read_text(encoding="utf-8").splitlines():
        for message in json.loads(line)["messages"]:
            if message["sender"] == "cso":
                yield message["text"]
    rng = random.Random(20231104)
    for _ in range(3000):
        words = rng.choice(TEMPLATES).replace("{waktu}", rng.choice(["Pagi", "Siang", "Malam"])).split()
        words = [w.replace("{nama_cso}", rng.choice(["Rina", "Rina Marlina", "Budi"])) for w in words]
        for _ in range(rng.randint(0, 3)):
            where = rng.randrange(len(words) + 1)
            edit = rng.random()
            if edit < 0.4:
                words.insert(where, rng.choice(FILLERS))
            elif edit < 0.7 and words:
                del words[min(where, len(words) - 1)]
            elif words:
                word = words[min(where, len(words) - 1)]
                words[min(where, len(words) - 1)] = word[:-1] if len(word) > 3 else word + word
        if rng.random() < 0.2:
            words = words + words  # the greeting twice
        yield " ".join(words)


CASES = list(texts())


@pytest.mark.parametrize("template", TEMPLATES, ids=["STD", "HPN"])
@pytest.mark.parametrize("band", ["Pagi", "Malam"])
def test_shortcuts_agree_with_the_full_alignment(template, band):
    elements = compile_template(template)
    ctx = matching_context(POLICY, POLICY.baseline, band, Speaker)
    answered = 0
    for text in CASES:
        tokens = tokenize(text)
        words = [t.norm for t in tokens]
        full = full_alignment(elements, text, tokens, words, ctx)
        fast = exact_match(elements, text, tokens, words, ctx)
        if fast is not None:
            answered += 1
            assert (fast.cost, fast.typos, fast.steps, fast.span()) == (full.cost, full.typos, full.steps, full.span())
        else:
            assert full.cost > 0 or full.typos > 0, text
        if full.present():
            assert could_be_present(elements, frozenset(words), ctx), text
            assert could_be_present(elements, frozenset(words), ctx, words), text
    assert len(CASES) > 3000 and answered >= 50  # the shortcut was exercised
