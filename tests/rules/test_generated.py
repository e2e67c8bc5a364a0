"""Thousands of generated transcripts, labelled by construction (scoring.synthetic,
which never calls the engine), scored by the pure engine on the seeded snapshot: no
database, no upload, just the rules against independent labels."""

import pytest

from rules.engine import score_transcript
from scoring import synthetic
from scoring.parsers import parse_upload
from tests.rules.snapshots import seeded_policy

POLICY = seeded_policy()


@pytest.mark.parametrize("seed", [11, 12])
def test_the_engine_agrees_with_every_label(seed):
    items = list(synthetic.generate(4000, seed=seed))
    transcripts = parse_upload(
        "generated.jsonl",
        synthetic.upload_bytes(synthetic.transcripts_of(items), "jsonl"),
        channels=POLICY.channels,
        zone_aliases=POLICY.zone_aliases,
        default_zone=POLICY.default_zone,
    )
    wrong = []
    for transcript, (_raw, label) in zip(transcripts, items, strict=True):
        (verdict,) = score_transcript(POLICY, transcript)
        got = (str(verdict.result), verdict.flags)
        want = (label.result, tuple(label.flags))
        if label.result != "NA":
            got += (verdict.directive.reference, verdict.expected_greeting)
            want += (label.directive, label.expected_greeting)
        if got != want:
            wrong.append(f"{label.transcript_id} ({label.case}): {got} != {want}: {verdict.reason}")
    assert wrong == [], f"{len(wrong)} of {len(items)}:\n" + "\n".join(wrong[:10])
