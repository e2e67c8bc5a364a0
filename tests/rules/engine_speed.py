"""How fast the pure engine scores the benchmark's mix, and a fingerprint of its verdicts.

Not a test (no timing asserts in tests): a measuring helper, run by hand::

    .venv/bin/python -m tests.rules.engine_speed [--count 10000] [--seeds 0,1] [--repeat 3]
    .venv/bin/python -m tests.rules.engine_speed --dump verdicts.jsonl.gz  # every verdict
    .venv/bin/python -m tests.rules.engine_speed --compare verdicts.jsonl.gz

It generates transcripts with ``scoring.synthetic`` (compliant and non-compliant, the
benchmark's mix), parses them as an upload would, and times ``score_transcript`` on
the seeded snapshot, one core, split by the verdict's result. ``--dump`` writes every
verdict field a score stores so that ``--compare`` (later, after a change to the
engine) can prove the change left each of them as it was.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import defaultdict

from rules.engine import score_transcript
from scoring import synthetic
from scoring.parsers import parse_upload
from tests.rules.snapshots import seeded_policy


def transcripts(policy, count: int, seed: int):
    items = list(synthetic.generate(count, seed=seed))
    return parse_upload(
        "generated.jsonl",
        synthetic.upload_bytes(synthetic.transcripts_of(items), "jsonl"),
        channels=policy.channels,
        zone_aliases=policy.zone_aliases,
        default_zone=policy.default_zone,
    )


def row(transcript, verdict) -> dict:
    document = verdict.directive
    return {
        "id": transcript.external_id,
        "result": str(verdict.result),
        "directive": document.reference if document else None,
        "version": document.version if document else None,
        "reason": verdict.reason,
        "flags": list(verdict.flags),
        "expected_greeting": verdict.expected_greeting,
        "passage": verdict.matched_passage,
        "span": list(verdict.passage_span) if verdict.passage_span else None,
        "turn_text": verdict.turn_text,
        "local": verdict.local.isoformat() if verdict.local else None,
        "zone": verdict.zone_label,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best is shown")
    parser.add_argument("--dump", help="write every verdict to this .jsonl.gz")
    parser.add_argument("--compare", help="compare every verdict with this .jsonl.gz")
    args = parser.parse_args()
    policy = seeded_policy()
    seeds = [int(s) for s in args.seeds.split(",")]
    everything = [t for seed in seeds for t in transcripts(policy, args.count, seed)]

    results = {}
    for transcript in everything:
        results[transcript.external_id] = score_transcript(policy, transcript)[0].result
    by_result = defaultdict(list)
    for transcript in everything:
        by_result[str(results[transcript.external_id])].append(transcript)

    print(f"{len(everything)} transcripts, seeds {seeds}, best of {args.repeat}, CPU seconds of this process")
    print("| verdicts | transcripts | seconds | transcripts/s |")
    print("|---|---:|---:|---:|")
    for name, group in [("all", everything), *sorted(by_result.items())]:
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.process_time()
            for transcript in group:
                score_transcript(policy, transcript)
            best = min(best, time.process_time() - t0)
        print(f"| {name} | {len(group)} | {best:.2f} | {len(group) / best:,.0f} |")

    if args.dump or args.compare:
        rows = [row(t, v) for t in everything for v in score_transcript(policy, t)]
    if args.dump:
        with gzip.open(args.dump, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
        print(f"wrote {len(rows)} verdicts to {args.dump}")
    if args.compare:
        with gzip.open(args.compare, "rt", encoding="utf-8") as fh:
            want = [json.loads(line) for line in fh]
        different = [(w, g) for w, g in zip(want, rows, strict=True) if w != g]
        print(f"compared {len(rows)} verdicts with {args.compare}: {len(different)} differ")
        for w, g in different[:10]:
            print(w["id"], {k: (w[k], g[k]) for k in w if w[k] != g[k]})
        if different:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
