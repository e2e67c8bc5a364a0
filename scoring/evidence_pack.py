"""The evidence pack of a score: one self-contained printable HTML file (inline CSS,
no link outside it) that an auditor, or a CSO disputing a verdict, can be handed.
It holds the transcript in local time, the greeting owed beside the CSO's first
reply, the reason, the directive as it stood when the score was made (the history
row the score points at), who uploaded the transcript, every override with its
justification, and the directive's history since. A batch of packs is one ZIP,
written as it streams, so memory stays bounded whatever the number of scores."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from policy.models import Directive, GreetingTemplate
from scoring import explain, selectors
from scoring.models import Score


def _highlight_parts(text: str, start: int | None, end: int | None) -> tuple[str, str, str]:
    if start is None or end is None or not (0 <= start <= end <= len(text)):
        return text, "", ""
    return text[:start], text[start:end], text[end:]


def evidence_context(score: Score) -> dict:
    transcript = score.transcript
    zone = selectors.zone_named(transcript.timezone)
    messages = [
        {
            "local": timezone.localtime(m.sent_at, zone),
            "raw": m.sent_at_raw,
            "sender": m.get_sender_display(),
            "text": m.text,
        }
        for m in transcript.messages.all()
    ]
    stale = bool(score.content_hash) and score.content_hash != transcript.content_hash
    turn = "" if stale else selectors.transcript_first_cso_turn(transcript)
    before, marked, after = _highlight_parts(turn, score.passage_start, score.passage_end)
    stood = score.directive_history
    history = []
    if score.directive_id:
        rows = Directive.history.filter(id=score.directive_id).select_related("history_user")
        if stood is not None:
            rows = rows.filter(history_date__gte=stood.history_date).exclude(history_id=stood.history_id)
        history = list(rows.order_by("history_date", "history_id"))
    templates = []
    if stood is not None:
        templates = list(GreetingTemplate.history.as_of(stood.history_date).filter(directive_id=score.directive_id))
    local = timezone.localtime(score.local_time, selectors.zone_named(score.zone_label)) if score.local_time else None
    uploaded = transcript.last_batch
    return {
        **explain.evidence_context(selectors.score_evidence(score)),
        "score": score,
        "transcript": transcript,
        "zone": transcript.timezone or str(zone),
        "messages": messages,
        "turn_before": before,
        "turn_marked": marked,
        "turn_after": after,
        "stale_content": stale,
        "local": local,
        "stood": stood,
        "stood_templates": templates,
        "history_since": history,
        "overrides": list(score.overrides.newest_first().select_related("created_by")),
        "uploaded_batch": uploaded,
        "scoring_batch": score.batch,
        "generated_at": timezone.now(),
    }


def evidence_html(score: Score) -> str:
    return render_to_string("admin/scoring/score/evidence_pack.html", evidence_context(score))


def evidence_filename(score: Score) -> str:
    return f"evidence-{slugify(score.transcript.external_id)}-{score.parameter.code}-{score.pk}.html"


def evidence_scores(queryset) -> Iterator[Score]:
    """The scores with what a pack reads, fetched a slice at a time."""
    qs = queryset.select_related(
        "transcript", "transcript__last_batch__uploaded_by", "parameter", "directive", "directive_history", "batch"
    ).order_by("pk")
    ids = list(qs.values_list("pk", flat=True))
    for start in range(0, len(ids), 200):
        yield from qs.filter(pk__in=ids[start : start + 200]).prefetch_related("transcript__messages")


class _Pipe:
    """A write-only file that hands on what was written: zipfile writes into it and
    the response streams it out, entry by entry."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self):
        pass

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def evidence_zip_stream(scores: Iterable[Score]) -> Iterator[bytes]:
    """A ZIP of one evidence pack per score, yielded as it is written."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for score in scores:
            archive.writestr(evidence_filename(score), evidence_html(score))
            yield pipe.drain()
    yield pipe.drain()
