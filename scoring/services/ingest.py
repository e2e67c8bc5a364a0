"""Writes that make batches: validate an uploaded file, store its transcripts and cut
them into chunks (an upload), or cut already stored transcripts into chunks again (a
rescore). Nothing is scored here: the batch's chunks are queued for the workers
(:mod:`scoring.services.chunks`) once the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policy.models import CSO, Channel, TimeZoneAlias
from rules.resolver import resolve_zone
from rules.transcript import TranscriptIn
from scoring.choices import BatchKind
from scoring.models import Message, ScoringChunk, Transcript, UploadBatch
from scoring.parsers import parse_upload
from scoring.selectors import upload_vocabulary
from scoring.services.chunks import batch_enqueue, batch_finish_if_done

_BULK = 500  # rows per bulk statement


def _hash_transcript(t: TranscriptIn) -> str:
    digest = hashlib.sha256()
    for value in (t.external_id, t.channel, t.platform, t.visibility, t.category, t.timezone, t.cso_id, t.cso_name):
        digest.update(value.encode() + b"\0")
    digest.update(b"1" if t.first_contact else b"0")
    for m in t.messages:
        digest.update(f"{m.sent_at.isoformat()}\0{m.sender}\0{m.text}\0".encode())
    return digest.hexdigest()


def batch_validate(*, filename: str, content: bytes) -> list[TranscriptIn]:
    """Parse and check a whole file; raises UploadInvalid listing every bad row."""
    return parse_upload(filename, content, **upload_vocabulary())


def batch_ingest(*, filename: str, content: bytes, user, enqueue: bool = True) -> UploadBatch:
    """Validate a file, store its transcripts (the same id again updates that
    transcript) and queue them for scoring. Nothing is stored from a bad file."""
    transcripts = batch_validate(filename=filename, content=content)
    sha = hashlib.sha256(content).hexdigest()
    name = os.path.basename(filename)
    with transaction.atomic():
        duplicate = UploadBatch.objects.filter(kind=BatchKind.UPLOAD, sha256=sha).order_by("pk").first()
        batch = UploadBatch.objects.create(
            kind=BatchKind.UPLOAD,
            original_name=name,
            sha256=sha,
            duplicate_of=duplicate,
            uploaded_by=user,
            transcript_count=len(transcripts),
            note=(
                f"Same content as batch {duplicate.pk} ({duplicate.original_name}, "
                f"{timezone.localtime(duplicate.created_at):%Y-%m-%d %H:%M}): its transcripts are scored again."
                if duplicate
                else ""
            ),
        )
        batch.file.save(f"batch-{batch.pk}-{name}", ContentFile(content), save=True)
        try:
            stored = _store_transcripts(transcripts, batch)
            _make_chunks(batch, stored)
        except Exception:
            batch.file.delete(save=False)
            raise
        if enqueue:
            transaction.on_commit(lambda: batch_enqueue(batch_id=batch.pk))
    return batch


def _store_transcripts(transcripts: list[TranscriptIn], batch: UploadBatch) -> list[int]:
    channels = {c.code: c for c in Channel.objects.all()}
    ids = [t.external_id for t in transcripts]
    existing: dict[str, Transcript] = {}
    for start in range(0, len(ids), _BULK):
        for row in Transcript.objects.filter(external_id__in=ids[start : start + _BULK]):
            existing[row.external_id] = row
    cso_ids = {t.cso_id for t in transcripts if t.cso_id}
    registered = {c.cso_id: c for c in CSO.objects.filter(cso_id__in=cso_ids)}

    policy_zones = {z.code.upper(): z.iana_name for z in TimeZoneAlias.objects.all()}
    to_create, to_update = [], []
    for t in transcripts:
        zone = _zone(t.timezone, policy_zones)
        fields = {
            "channel": channels[t.channel],
            "platform": t.platform,
            "visibility": t.visibility,
            "category": t.category,
            "timezone": t.timezone,
            "cso_id": t.cso_id,
            "cso_name": t.cso_name,
            "registered_cso": registered.get(t.cso_id),
            "first_contact": t.first_contact,
            "started_at": _aware(t.messages[0].sent_at, zone) if t.messages else None,
            "content_hash": _hash_transcript(t),
            "last_batch": batch,
        }
        row = existing.get(t.external_id)
        if row is None:
            to_create.append(Transcript(external_id=t.external_id, **fields))
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            to_update.append(row)
    Transcript.objects.bulk_create(to_create, batch_size=_BULK)
    if to_update:
        Transcript.objects.bulk_update(to_update, list(fields.keys()) + ["updated_at"], batch_size=_BULK)
        for start in range(0, len(to_update), _BULK):
            Message.objects.filter(transcript__in=to_update[start : start + _BULK]).delete()
    rows = {r.external_id: r for r in to_create + to_update}
    if any(r.pk is None for r in to_create):  # backends that do not return ids
        for start in range(0, len(ids), _BULK):
            for row in Transcript.objects.filter(external_id__in=ids[start : start + _BULK]):
                rows[row.external_id] = row
    messages = []
    for t in transcripts:
        zone = _zone(t.timezone, policy_zones)
        row = rows[t.external_id]
        for position, m in enumerate(t.messages):
            messages.append(
                Message(
                    transcript=row,
                    position=position,
                    sent_at=_aware(m.sent_at, zone),
                    sent_at_raw=m.raw_sent_at or m.sent_at.isoformat(),
                    sender=m.sender,
                    text=m.text,
                )
            )
    Message.objects.bulk_create(messages, batch_size=_BULK)
    return [rows[i].pk for i in ids]


def _zone(name: str, aliases: dict[str, str]):
    return resolve_zone(name, zone_aliases=aliases, default=settings.TIME_ZONE)


def _aware(moment: dt.datetime, zone) -> dt.datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _make_chunks(batch: UploadBatch, transcript_ids: list[int]) -> None:
    size = settings.SCORING_CHUNK_SIZE
    through = ScoringChunk.transcripts.through
    links = []
    count = 0
    for index, start in enumerate(range(0, len(transcript_ids), size)):
        chunk = ScoringChunk.objects.create(batch=batch, index=index)
        links.extend(through(scoringchunk_id=chunk.pk, transcript_id=t) for t in transcript_ids[start : start + size])
        count += 1
    through.objects.bulk_create(links, batch_size=_BULK)
    UploadBatch.objects.filter(pk=batch.pk).update(chunk_count=count)
    batch.chunk_count = count
    if count == 0:
        batch_finish_if_done(batch_id=batch.pk)


def batch_rescore(
    *, transcripts: Iterable[Transcript] | None = None, source: UploadBatch | None = None, user, enqueue: bool = True
) -> UploadBatch:
    """Score transcripts again against the policy as it stands now. New scores are
    added and made current; the old ones stay."""
    if source is not None:
        ids = list(Transcript.objects.filter(chunks__batch=source).distinct().values_list("pk", flat=True))
        label = f"rescore of batch {source.pk}"
    else:
        ids = sorted({t.pk for t in transcripts or []})
        label = f"rescore of {len(ids)} transcript(s)"
    if not ids:
        raise ValidationError(_("There is nothing to rescore."))
    with transaction.atomic():
        batch = UploadBatch.objects.create(
            kind=BatchKind.RESCORE, original_name=label, uploaded_by=user, transcript_count=len(ids)
        )
        _make_chunks(batch, ids)
        if enqueue:
            transaction.on_commit(lambda: batch_enqueue(batch_id=batch.pk))
    return batch
