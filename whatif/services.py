"""Writes of a what-if run: start it (scope and chunks), claim a chunk, score it as
if the draft were published and compare with the current scores, close the run.

The run and chunk rows are the record of the work; a task carries only a chunk id.
Nothing here writes a Score: the comparison is stored on the chunk as counts and a
few examples, which the report (whatif.selectors) adds up.
"""

from __future__ import annotations

import datetime as dt
import uuid

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from policy.choices import DirectiveKind, DirectiveStatus
from policy.models import Directive
from policy.selectors import policy_snapshot
from rules import engine
from rules.messages import reason_json
from rules.resolver import PolicyError
from scoring.models import Score, Transcript
from scoring.selectors import transcript_to_input
from whatif.models import ChunkStatus, RunStatus, WhatIfChunk, WhatIfRun

WHATIF_CHUNK_TASK = "whatif.tasks.whatif_chunk"
# Changed verdicts kept per chunk to open side by side; the counts cover all of them.
EXAMPLES_PER_CHUNK = 5
# A transcript's local window is wall-clock time in its own zone: the stored instants
# are searched a day wider on each side, and the engine decides on each one.
ZONE_MARGIN = dt.timedelta(days=1)


def whatif_scope(directive: Directive) -> dict:
    """The channels and the local window the draft touches (all of them for a baseline)."""
    if directive.kind == DirectiveKind.BASELINE:
        return {"channels": None, "start": None, "end": None}
    return {
        "channels": sorted(c.code for c in directive.channels.all()),
        "start": directive.window_start.isoformat() if directive.window_start else None,
        "end": directive.window_end.isoformat() if directive.window_end else None,
    }


def scope_transcripts(scope: dict):
    qs = Transcript.objects.all()
    if scope.get("channels") is not None:
        qs = qs.filter(channel__code__in=scope["channels"])
    zone = timezone.get_default_timezone()
    if scope.get("start"):
        start = dt.datetime.fromisoformat(scope["start"]).replace(tzinfo=zone) - ZONE_MARGIN
        qs = qs.filter(started_at__gte=start)
    if scope.get("end"):
        end = dt.datetime.fromisoformat(scope["end"]).replace(tzinfo=zone) + ZONE_MARGIN
        qs = qs.filter(started_at__lte=end)
    return qs


def send_whatif_chunk(chunk_id: int) -> None:
    current_app.tasks[WHATIF_CHUNK_TASK].delay(chunk_id)


@transaction.atomic
def whatif_start(*, directive: Directive, user, chunk_size: int | None = None) -> WhatIfRun:
    """Start a what-if of the draft as it stands: one chunk per ``chunk_size``
    transcripts of its scope, queued once this transaction commits."""
    if directive.status == DirectiveStatus.PUBLISHED:
        raise ValidationError(
            _("%(ref)s is published: a what-if compares a draft with the policy in force.")
            % {"ref": directive.reference}
        )
    size = chunk_size or settings.SCORING_CHUNK_SIZE
    scope = whatif_scope(directive)
    run = WhatIfRun.objects.create(
        directive=directive, directive_version=directive.version, scope=scope, created_by=user
    )
    pks = list(scope_transcripts(scope).order_by("pk").values_list("pk", flat=True))
    chunks = [
        WhatIfChunk(run=run, index=i, first_pk=part[0], last_pk=part[-1], size=len(part))
        for i, part in enumerate(pks[start : start + size] for start in range(0, len(pks), size))
    ]
    WhatIfChunk.objects.bulk_create(chunks, batch_size=500)
    WhatIfRun.objects.filter(pk=run.pk).update(transcript_count=len(pks), chunk_count=len(chunks))
    if not chunks:
        WhatIfRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE, finished_at=timezone.now())
    chunk_ids = list(run.chunks.values_list("pk", flat=True))
    transaction.on_commit(lambda: [send_whatif_chunk(chunk_id) for chunk_id in chunk_ids])
    run.refresh_from_db()
    return run


def whatif_chunk_claim(*, chunk_id: int) -> str | None:
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.SCORING_CLAIM_TIMEOUT_SECONDS)
    token = uuid.uuid4().hex
    claimed = (
        WhatIfChunk.objects.filter(pk=chunk_id)
        .filter(Q(status=ChunkStatus.PENDING) | Q(status=ChunkStatus.CLAIMED, claimed_at__lt=stale))
        .update(status=ChunkStatus.CLAIMED, claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return None
    run_id = WhatIfChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
    WhatIfRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING, started_at=now)
    return token


def _compare(policy, transcripts, current: dict) -> tuple[dict, list, int, int]:
    """Score each transcript as if published; compare with its current score per
    parameter. Returns (changes by channel|cso|from|to, examples, compared, unscored)."""
    changes: dict[str, int] = {}
    examples, compared, unscored = [], 0, 0
    for transcript in transcripts:
        scores = current.get(transcript.pk)
        if not scores:
            unscored += 1
            continue
        for verdict in engine.score_transcript(policy, transcript_to_input(transcript)):
            before = scores.get(verdict.parameter.code)
            if before is None:
                continue
            compared += 1
            if before.result == verdict.result:
                continue
            key = "|".join((transcript.channel.code, transcript.cso_name, before.result, verdict.result))
            changes[key] = changes.get(key, 0) + 1
            if len(examples) < EXAMPLES_PER_CHUNK:
                examples.append(
                    {
                        "transcript_id": transcript.pk,
                        "external_id": transcript.external_id,
                        "score_id": before.pk,
                        "channel": transcript.channel.code,
                        "cso": transcript.cso_name,
                        "parameter": verdict.parameter.code,
                        "before": before.result,
                        "after": verdict.result,
                        "reason_before": before.reason,
                        "reason_after": verdict.reason,
                        # The same reasons as message ids, shown in the reader's language.
                        "reason_parts_before": before.reason_parts or [],
                        "reason_parts_after": reason_json(verdict.reason_parts),
                        "directive_before": f"{before.directive.reference} v{before.directive_version}"
                        if before.directive_id
                        else "",
                        "directive_after": verdict.directive.label if verdict.directive else "",
                        "expected_before": before.expected_greeting,
                        "expected_after": verdict.expected_greeting,
                    }
                )
    return changes, examples, compared, unscored


def whatif_chunk_score(*, chunk_id: int, token: str) -> bool:
    """Score a claimed chunk as if the draft were published and record what changed."""
    chunk = WhatIfChunk.objects.select_related("run", "run__directive").get(pk=chunk_id)
    run = chunk.run
    directive = run.directive
    directive.refresh_from_db()
    if directive.version != run.directive_version or directive.status == DirectiveStatus.PUBLISHED:
        return whatif_chunk_fail(
            chunk_id=chunk_id,
            token=token,
            error=_("%(ref)s changed since this what-if started (now v%(v)s %(status)s); start a new one.")
            % {"ref": directive.reference, "v": directive.version, "status": directive.status},
        )
    try:
        policy = policy_snapshot(draft=directive)
    except PolicyError as exc:
        return whatif_chunk_fail(chunk_id=chunk_id, token=token, error=str(exc))
    transcripts = list(
        scope_transcripts(run.scope)
        .filter(pk__gte=chunk.first_pk, pk__lte=chunk.last_pk)
        .select_related("channel")
        .prefetch_related("messages")
        .order_by("pk")
    )
    current: dict[int, dict] = {}
    for score in (
        Score.objects.current()
        .filter(transcript__in=[t.pk for t in transcripts])
        .select_related("parameter", "directive")
    ):
        current.setdefault(score.transcript_id, {})[score.parameter.code] = score
    changes, examples, compared, unscored = _compare(policy, transcripts, current)
    with transaction.atomic():
        fenced = WhatIfChunk.objects.filter(pk=chunk_id, status=ChunkStatus.CLAIMED, claim_token=token).update(
            status=ChunkStatus.DONE,
            finished_at=timezone.now(),
            changes=[[key, n] for key, n in sorted(changes.items())],
            examples=examples,
        )
        if fenced != 1:
            return False
        WhatIfRun.objects.filter(pk=run.pk).update(
            done_count=F("done_count") + len(transcripts),
            compared_count=F("compared_count") + compared,
            changed_count=F("changed_count") + sum(changes.values()),
            unscored_count=F("unscored_count") + unscored,
            chunks_done=F("chunks_done") + 1,
        )
        WhatIfRun.objects.filter(pk=run.pk, chunks_done__gte=F("chunk_count"), status=RunStatus.RUNNING).update(
            status=RunStatus.DONE, finished_at=timezone.now()
        )
    return True


def whatif_chunk_fail(*, chunk_id: int, token: str, error: str) -> bool:
    with transaction.atomic():
        failed = WhatIfChunk.objects.filter(pk=chunk_id, status=ChunkStatus.CLAIMED, claim_token=token).update(
            status=ChunkStatus.FAILED, finished_at=timezone.now(), last_error=error[:2000]
        )
        if failed:
            run_id = WhatIfChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
            run = WhatIfRun.objects.select_for_update().get(pk=run_id)
            run.status = RunStatus.FAILED
            run.finished_at = timezone.now()
            if error not in [e.get("error") for e in run.errors]:
                run.errors = [*run.errors, {"chunk": chunk_id, "error": error}]
            run.save(update_fields=["status", "finished_at", "errors"])
    return False


def whatif_chunk_run(*, chunk_id: int) -> bool:
    """Claim and score one chunk; quietly nothing when it is gone or not ours."""
    if not WhatIfChunk.objects.filter(pk=chunk_id).exists():
        return False
    token = whatif_chunk_claim(chunk_id=chunk_id)
    if token is None:
        return False
    return whatif_chunk_score(chunk_id=chunk_id, token=token)
