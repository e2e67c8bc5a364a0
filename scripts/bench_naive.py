"""The naive path of the benchmark: what a Django team writes first, to compare with.

- The upload: django-import-export resources, as in its tutorial. A tablib dataset
  read whole from the CSV; a ``ModelResource`` for the transcripts (the first row of
  each, the channel through a ``ForeignKeyWidget``) and one for the message rows (the
  transcript through a ``ForeignKeyWidget`` on its id), ``import_data`` row by row with
  its defaults (a lookup per row, a diff per row, one save per row).
- The scoring: one Celery task per transcript, which loads the transcript and its
  messages, takes the policy snapshot, scores it and saves each score with the ORM.

It is correct (its exported scores are checked against the labels like the real
path's), only slow. Not part of the site: nothing in the project imports it.

    python scripts/bench_naive.py import FILE.csv   (stores the rows, queues one task per transcript)
    celery -A bench_naive worker -Q naive           (the workers; scripts/ on PYTHONPATH)
"""

from __future__ import annotations

import datetime as dt
import sys
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.celery import app  # noqa: E402 - the project's Celery app, which the workers run

NAIVE_QUEUE = "naive"


@app.task(name="bench.naive_score_transcript", acks_late=True)
def naive_score_transcript(transcript_pk: int) -> None:
    """Score one transcript, the obvious way."""
    from django.db import transaction

    from policy.models import ScoredParameter
    from policy.selectors import policy_snapshot
    from rules import engine
    from scoring.models import Score, Transcript
    from scoring.selectors import transcript_to_input

    transcript = Transcript.objects.select_related("channel").get(pk=transcript_pk)
    verdicts = engine.score_transcript(policy_snapshot(), transcript_to_input(transcript))
    with transaction.atomic():
        for verdict in verdicts:
            parameter = ScoredParameter.objects.get(
                code=verdict.parameter.code, channel__code=verdict.parameter.channel
            )
            Score.objects.filter(transcript=transcript, parameter=parameter, is_current=True).update(is_current=False)
            document = verdict.directive
            span = verdict.passage_span or (None, None)
            Score.objects.create(
                transcript=transcript,
                parameter=parameter,
                result=verdict.result,
                directive_id=document.id if document else None,
                directive_version=document.version if document else None,
                directive_history_id=document.history_id if document else None,
                expected_greeting=verdict.expected_greeting,
                matched_passage=verdict.matched_passage,
                passage_start=span[0],
                passage_end=span[1],
                reason=verdict.reason,
                flags=list(verdict.flags),
                local_time=verdict.local,
                zone_label=verdict.zone_label,
                scorer_version=engine.SCORER_VERSION,
                content_hash=transcript.content_hash,
            )


def _resources():
    """The resources, defined once Django is set up."""
    from django.conf import settings
    from import_export import fields, resources, widgets

    from policy.models import Channel, TimeZoneAlias
    from scoring.models import Message, Transcript

    aliases = {z.code.upper(): z.iana_name for z in TimeZoneAlias.objects.all()}

    class LocalDateTimeWidget(widgets.Widget):
        """ISO 8601 with or without an offset; without one, the transcript's zone (rule S1)."""

        def clean(self, value, row=None, **kwargs):
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is None:
                name = (row or {}).get("timezone") or settings.TIME_ZONE
                moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(aliases.get(name.upper(), name)))
            return moment

    class TranscriptResource(resources.ModelResource):
        external_id = fields.Field(attribute="external_id", column_name="transcript_id")
        channel = fields.Field(
            attribute="channel", column_name="channel", widget=widgets.ForeignKeyWidget(Channel, "code")
        )

        class Meta:
            model = Transcript
            import_id_fields = ("external_id",)
            fields = (
                "external_id",
                "channel",
                "platform",
                "visibility",
                "category",
                "timezone",
                "cso_id",
                "cso_name",
                "first_contact",
                "content_hash",
            )

    class MessageResource(resources.ModelResource):
        transcript = fields.Field(
            attribute="transcript",
            column_name="transcript_id",
            widget=widgets.ForeignKeyWidget(Transcript, "external_id"),
        )
        sent_at = fields.Field(attribute="sent_at", column_name="sent_at", widget=LocalDateTimeWidget())

        class Meta:
            model = Message
            import_id_fields = ("transcript", "position")
            fields = ("transcript", "position", "sent_at", "sent_at_raw", "sender", "text")

    return TranscriptResource(), MessageResource()


def naive_import(path: Path) -> int:
    """Import the CSV's rows with the resources, then queue one task per transcript."""
    import tablib

    from scoring.models import Transcript

    transcripts, messages = _resources()
    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8-sig"), format="csv")
    header = [name.strip().lower() for name in dataset.headers]
    dataset.headers = header
    ids = dataset["transcript_id"]
    # The position of each message in its transcript, and its time as written.
    seen: dict[str, int] = {}
    positions = []
    for transcript_id in ids:
        seen[transcript_id] = seen.get(transcript_id, -1) + 1
        positions.append(seen[transcript_id])
    dataset.append_col(positions, header="position")
    dataset.append_col(list(dataset["sent_at"]), header="sent_at_raw")
    heads = tablib.Dataset(headers=[*header, "content_hash"])
    first = set()
    for row in dataset.dict:
        if row["transcript_id"] not in first:
            first.add(row["transcript_id"])
            heads.append([row[name] for name in header] + ["naive"])
    for resource, data in ((transcripts, heads), (messages, dataset)):
        result = resource.import_data(data, dry_run=False, raise_errors=True)
        if result.has_errors() or result.has_validation_errors():
            raise SystemExit(f"the naive import failed: {result.invalid_rows[:3]}")
    pks = list(Transcript.objects.values_list("pk", flat=True))
    for pk in pks:
        naive_score_transcript.apply_async((pk,), queue=NAIVE_QUEUE)
    return len(pks)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] != "import":
        raise SystemExit("usage: python scripts/bench_naive.py import FILE.csv")
    import django

    django.setup()
    count = naive_import(Path(argv[1]))
    print(f"naive: {count} transcript(s) stored, one task each queued")


if __name__ == "__main__":
    main(sys.argv[1:])
