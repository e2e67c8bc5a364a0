"""Writes that make batches: receive an uploaded file, check it and store its
transcripts, and cut them into chunks (an upload); or cut already stored transcripts
into chunks again (a rescore). Nothing is scored here: chunks are queued for the workers
(:mod:`scoring.services.chunks`) as they are cut.

An upload goes in two steps, so a web request or a command never waits for a big file:

1. :func:`batch_receive` stores the file as it came (streamed to disk, never read into
   memory whole), creates the batch row (``received``) and queues the ingest task.
2. :func:`batch_process`, run by that task, checks the whole file in a streaming pass
   (``checking``; a bad file is ``rejected`` with every problem and nothing stored),
   then stores its transcripts in a second streaming pass (``storing``), in groups with
   bulk writes, queuing each chunk as soon as its transcripts are stored.

:func:`batch_ingest` does both at once in this process (``--inline``, tests), refusing a
bad file with :class:`~scoring.types.UploadInvalid` before anything is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from policy.models import CSO, Channel, TimeZoneAlias
from rules.resolver import resolve_zone
from rules.transcript import TranscriptIn
from scoring.choices import BatchKind, BatchStatus, ChunkStatus
from scoring.models import Message, ScoringChunk, Transcript, UploadBatch
from scoring.parsers import Limits, UploadReader, parse_upload
from scoring.parsers.fields import FIELD_LENGTHS
from scoring.queue import send_ingest_batch, send_score_chunk
from scoring.selectors import upload_vocabulary
from scoring.services.chunks import batch_enqueue, batch_finish_if_done
from scoring.types import RowError, UploadInvalid

logger = logging.getLogger(__name__)

_BULK = 500  # rows per bulk statement of the ORM
# Transcripts stored per transaction: big enough that a statement carries many rows,
# small enough that the workers scoring the chunks already stored are not kept waiting.
STORE_GROUP = 2_000
# An upload with one of these is still being imported (see UploadBatch's constraint).
IN_WORK = (BatchStatus.RECEIVED, BatchStatus.CHECKING, BatchStatus.STORING, BatchStatus.QUEUED, BatchStatus.SCORING)


def upload_limits() -> Limits:
    """What one file may hold, from the settings (issue 10)."""
    return Limits(
        rows=settings.UPLOAD_MAX_ROWS,
        transcripts=settings.UPLOAD_MAX_TRANSCRIPTS,
        messages=settings.UPLOAD_MAX_MESSAGES,
        message_chars=settings.UPLOAD_MAX_MESSAGE_CHARS,
        xlsx_uncompressed=settings.UPLOAD_MAX_XLSX_BYTES,
        lengths=upload_field_lengths(),
    )


def upload_field_lengths() -> dict[str, int]:
    """The longest value of each uploaded text field: the models' own max_length."""
    own = [name for name in FIELD_LENGTHS if name not in ("sent_at", "transcript_id")]
    transcript = {name: Transcript._meta.get_field(name).max_length for name in own}
    transcript["transcript_id"] = Transcript._meta.get_field("external_id").max_length
    transcript["sent_at"] = Message._meta.get_field("sent_at_raw").max_length
    return transcript


def upload_check_size(*, filename: str, size: int) -> None:
    """Refuse a file over the upload size limit before it is stored."""
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        name = os.path.basename(filename)
        raise UploadInvalid(
            [
                RowError(
                    name,
                    "",
                    f"the file is {_size(size)}, more than the limit of {_size(limit)} "
                    "for one upload (PLN123_UPLOAD_MAX_MB); split it into smaller files and upload each",
                )
            ]
        )


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:,.1f} MB"
    if n >= 2**10:
        return f"{n / 2**10:,.1f} KB"
    return f"{n:,} bytes"


def _hash_transcript(t: TranscriptIn) -> str:
    digest = hashlib.sha256()
    for value in (t.external_id, t.channel, t.platform, t.visibility, t.category, t.timezone, t.cso_id, t.cso_name):
        digest.update(value.encode() + b"\0")
    digest.update(b"1" if t.first_contact else b"0")
    for m in t.messages:
        digest.update(f"{m.sent_at.isoformat()}\0{m.sender}\0{m.text}\0".encode())
    return digest.hexdigest()


def batch_validate(*, filename: str, content: bytes) -> list[TranscriptIn]:
    """Parse and check a whole file held in memory; raises UploadInvalid listing every bad row."""
    return parse_upload(filename, content, **upload_vocabulary(), limits=upload_limits())


def _reader(filename: str, opener) -> UploadReader:
    return UploadReader(filename, opener, **upload_vocabulary(), limits=upload_limits())


def upload_check_path(*, path: Path) -> None:
    """Check a file on disk as the workers will (size, then every row); raises UploadInvalid."""
    upload_check_size(filename=path.name, size=path.stat().st_size)
    _reader(path.name, lambda: open(path, "rb")).check()


# --- step 1: receive ------------------------------------------------------------------------


class BatchInWork(Exception):
    """The same content is being imported right now, as ``batch``: nothing new is stored."""

    def __init__(self, batch: UploadBatch | None):
        self.batch = batch
        where = f"batch {batch.pk} ({batch.original_name})" if batch else "another batch"
        super().__init__(
            f"The same file is already being imported as {where}; nothing new was stored. "
            "Follow that batch; upload the file again after it has finished if it must be scored again."
        )


def _in_work(sha: str) -> UploadBatch | None:
    return UploadBatch.objects.filter(kind=BatchKind.UPLOAD, sha256=sha, status__in=IN_WORK).order_by("pk").first()


def batch_receive(*, filename: str, file: File, user, enqueue: bool = True) -> UploadBatch:
    """Store an uploaded file as it came and create its batch, to be checked and stored
    by a worker (:func:`batch_process`). Only the size is checked here."""
    size = file.size
    upload_check_size(filename=filename, size=size)
    name = os.path.basename(filename)
    digest = hashlib.sha256()
    file.seek(0)
    for block in file.chunks():
        digest.update(block)
    sha = digest.hexdigest()
    file.seek(0)
    in_work = _in_work(sha)
    if in_work is not None:
        raise BatchInWork(in_work)
    with transaction.atomic():
        duplicate = UploadBatch.objects.filter(kind=BatchKind.UPLOAD, sha256=sha).order_by("pk").first()
        try:
            with transaction.atomic():
                batch = UploadBatch.objects.create(
                    kind=BatchKind.UPLOAD,
                    status=BatchStatus.RECEIVED,
                    original_name=name,
                    sha256=sha,
                    duplicate_of=duplicate,
                    uploaded_by=user,
                    file_size=size,
                    note=(
                        f"Same content as batch {duplicate.pk} ({duplicate.original_name}, "
                        f"{timezone.localtime(duplicate.created_at):%Y-%m-%d %H:%M}): its transcripts are scored again."
                        if duplicate
                        else ""
                    ),
                )
        except IntegrityError:
            # The same content came in at the same moment: that upload is the one.
            raise BatchInWork(_in_work(sha)) from None
        batch.file.save(f"batch-{batch.pk}-{name}", file, save=True)
        if enqueue:
            transaction.on_commit(lambda: send_ingest_batch(batch.pk))
    return batch


# --- step 2: check and store ---------------------------------------------------------------------


def batch_process(*, batch_id: int, enqueue: bool = True) -> UploadBatch | None:
    """Check a received batch's file and store its transcripts; None when the batch is
    gone or another worker has it. A bad file ends ``rejected`` with its problems."""
    now = timezone.now()
    claimed = UploadBatch.objects.filter(pk=batch_id, status=BatchStatus.RECEIVED).update(
        status=BatchStatus.CHECKING, started_at=now
    )
    if claimed != 1:
        return None
    batch = UploadBatch.objects.get(pk=batch_id)
    reader = _reader(batch.original_name, lambda: batch.file.open("rb"))
    try:
        _check(batch, reader)
    except UploadInvalid as exc:
        _reject(batch, exc)
        return batch
    except Exception:
        _stall(batch_id, "checking")
        raise
    try:
        _store(batch, reader, enqueue=enqueue)
    except UploadInvalid as exc:  # the stored file changed after it was checked
        _reject(batch, exc)
        return batch
    except Exception:
        _stall(batch_id, "storing")
        raise
    batch.refresh_from_db()
    return batch


def _check(batch: UploadBatch, reader: UploadReader) -> None:
    """The first pass, with the rows read so far on the batch row."""
    reader.check(progress=lambda rows: UploadBatch.objects.filter(pk=batch.pk).update(rows_read=rows))


def _stall(batch_id: int, step: str) -> None:
    """Not the file's fault (a bad file is rejected): the database or the disk. Say so on
    the batch, so that QA uploads the file again once the cause is fixed."""
    logger.exception("%s batch %s failed", step, batch_id)
    UploadBatch.objects.filter(pk=batch_id).update(
        status=BatchStatus.STALLED,
        errors=[{"transcript": "", "error": f"{step} the file stopped on an error of the server; upload it again"}],
    )


def _reject(batch: UploadBatch, exc: UploadInvalid) -> None:
    """The file has problems: record them on the batch, and keep nothing of the file."""
    problems = [{"location": e.location, "column": e.column, "message": e.message} for e in exc.errors]
    if batch.file:
        batch.file.delete(save=False)
    UploadBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.REJECTED,
        row_errors=problems,
        row_error_count=exc.total,
        file="",
        finished_at=timezone.now(),
    )
    batch.refresh_from_db()


def batch_ingest(
    *, filename: str, content: bytes | None = None, path: Path | None = None, user, enqueue: bool = True
) -> UploadBatch:
    """Check a file, store it and its transcripts (the same id again updates that
    transcript), and queue them for scoring, all in this process. A bad file raises
    UploadInvalid and nothing is stored, not even the batch."""
    if path is not None:
        size = path.stat().st_size
        reader = _reader(filename, lambda: open(path, "rb"))
    else:
        size = len(content or b"")
        reader = _reader(filename, lambda: ContentFile(content or b"").open("rb"))
    upload_check_size(filename=filename, size=size)
    reader.check()
    if path is not None:
        with open(path, "rb") as fh:
            batch = batch_receive(filename=filename, file=File(fh, name=path.name), user=user, enqueue=False)
    else:
        upload = ContentFile(content or b"", name=filename)
        batch = batch_receive(filename=filename, file=upload, user=user, enqueue=False)
    UploadBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.CHECKING, started_at=timezone.now())
    _store(batch, reader, enqueue=enqueue)
    batch.refresh_from_db()
    return batch


def _store(batch: UploadBatch, reader: UploadReader, *, enqueue: bool) -> None:
    """Store the checked file's transcripts group by group, cutting and queuing chunks
    as they fill up, then mark the batch queued (or scoring, if a worker already began)."""
    summary = reader.summary
    UploadBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.STORING, rows_read=summary.rows if summary else 0)
    store = _Store(batch)
    waiting: list[int] = []  # stored transcripts not in a chunk yet
    size = settings.SCORING_CHUNK_SIZE
    for group in _groups(reader.transcripts(), STORE_GROUP):
        with transaction.atomic():
            waiting.extend(store.put(group))
            cut = len(waiting) - len(waiting) % size
            chunk_ids = store.cut(waiting[:cut], size)
            del waiting[:cut]
            UploadBatch.objects.filter(pk=batch.pk).update(
                transcript_count=F("transcript_count") + len(group),
                message_count=F("message_count") + sum(len(t.messages) for t in group),
                chunk_count=store.chunks,
            )
            if enqueue and chunk_ids:
                transaction.on_commit(lambda ids=chunk_ids: _send_chunks(ids))
    with transaction.atomic():
        chunk_ids = store.cut(waiting, size)
        started = ScoringChunk.objects.filter(batch=batch).exclude(status=ChunkStatus.PENDING).exists()
        UploadBatch.objects.filter(pk=batch.pk, status=BatchStatus.STORING).update(
            status=BatchStatus.SCORING if started else BatchStatus.QUEUED, chunk_count=store.chunks
        )
        batch_finish_if_done(batch_id=batch.pk)
        if enqueue and chunk_ids:
            transaction.on_commit(lambda: _send_chunks(chunk_ids))


def _groups(items: Iterable[TranscriptIn], size: int) -> Iterator[list[TranscriptIn]]:
    iterator = iter(items)
    while group := list(itertools.islice(iterator, size)):
        yield group


def _send_chunks(chunk_ids: list[int]) -> None:
    """Queue chunks just cut (as :func:`~scoring.services.chunks.batch_enqueue` does for a
    whole batch); one the broker refuses is queued by the sweeper later."""
    for chunk_id in chunk_ids:
        try:
            send_score_chunk(chunk_id)
        except Exception:
            logger.warning("could not queue chunk %s; the sweeper will", chunk_id, exc_info=True)
            continue
        ScoringChunk.objects.filter(pk=chunk_id).update(enqueued_at=timezone.now())


class _Store:
    """Bulk writes of one batch's transcripts and messages, and its chunks."""

    def __init__(self, batch: UploadBatch):
        self.batch = batch
        self.channels = {c.code: c for c in Channel.objects.all()}
        self.zones = {z.code.upper(): z.iana_name for z in TimeZoneAlias.objects.all()}
        self.chunks = ScoringChunk.objects.filter(batch=batch).count()

    def put(self, transcripts: list[TranscriptIn]) -> list[int]:
        """Store a group of transcripts (new ones created, known ids updated, their
        messages replaced); their ids, in the group's order."""
        ids = [t.external_id for t in transcripts]
        existing: dict[str, Transcript] = {}
        for start in range(0, len(ids), _BULK):
            for row in Transcript.objects.filter(external_id__in=ids[start : start + _BULK]):
                existing[row.external_id] = row
        cso_ids = {t.cso_id for t in transcripts if t.cso_id}
        registered = {c.cso_id: c for c in CSO.objects.filter(cso_id__in=cso_ids)} if cso_ids else {}
        now = timezone.now()
        to_create: list[tuple] = []
        to_update: list[Transcript] = []
        fields: dict = {}
        for t in transcripts:
            zone = _zone(t.timezone, self.zones)
            cso = registered.get(t.cso_id)
            fields = {
                "channel_id": self.channels[t.channel].pk,
                "platform": t.platform,
                "visibility": t.visibility,
                "category": t.category,
                "timezone": t.timezone,
                "cso_id": t.cso_id,
                "cso_name": t.cso_name,
                "registered_cso_id": cso.pk if cso else None,
                "first_contact": t.first_contact,
                "started_at": _aware(t.messages[0].sent_at, zone) if t.messages else None,
                "content_hash": _hash_transcript(t),
                "last_batch_id": self.batch.pk,
            }
            row = existing.get(t.external_id)
            if row is None:
                to_create.append((t.external_id, *fields.values(), now, now))
            else:
                for key, value in fields.items():
                    setattr(row, key, value)
                to_update.append(row)
        # New transcripts, the usual case, as plain rows: building a model per row and
        # compiling Django's insert took most of the time of storing (profiled).
        _insert(Transcript, ("external_id", *fields, "created_at", "updated_at"), to_create)
        if to_update:
            Transcript.objects.bulk_update(to_update, [*fields, "updated_at"], batch_size=_BULK)
            for start in range(0, len(to_update), _BULK):
                Message.objects.filter(transcript__in=to_update[start : start + _BULK]).delete()
        pks = {row.external_id: row.pk for row in to_update}
        created = [row[0] for row in to_create]
        for start in range(0, len(created), _BULK):
            pks.update(
                Transcript.objects.filter(external_id__in=created[start : start + _BULK]).values_list(
                    "external_id", "pk"
                )
            )
        _insert(
            Message,
            ("transcript_id", "position", "sent_at", "sent_at_raw", "sender", "text"),
            (
                (pks[t.external_id], n, _aware(m.sent_at, zone), _raw(m), m.sender, m.text)
                for t in transcripts
                for zone in (_zone(t.timezone, self.zones),)
                for n, m in enumerate(t.messages)
            ),
        )
        return [pks[i] for i in ids]

    def cut(self, transcript_ids: list[int], size: int) -> list[int]:
        """Chunks of ``size`` transcripts (the last may be smaller); their ids."""
        links, chunk_ids = [], []
        for start in range(0, len(transcript_ids), size):
            chunk = ScoringChunk.objects.create(batch=self.batch, index=self.chunks)
            self.chunks += 1
            chunk_ids.append(chunk.pk)
            links.extend((chunk.pk, t) for t in transcript_ids[start : start + size])
        _insert(ScoringChunk.transcripts.through, ("scoringchunk_id", "transcript_id"), links)
        return chunk_ids


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """What Django's SQLite adapter writes for an aware datetime (UTC, as text), without
    its per-value checks: a tenth of the time of storing went there (profiled)."""
    if value is None:
        return None
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _insert(model, names: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Rows written without building a model per row: COPY on PostgreSQL (psycopg 3),
    elsewhere one INSERT run for many rows at once (executemany). ``names`` are the
    model's attribute names (``transcript_id``), values in that order, datetimes aware."""
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in names]  # attnames (channel_id) are found too
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # SQLite keeps datetimes as text in UTC: Django's own adapter makes them so.
        moments = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
        adapt = _sqlite_datetime if settings.USE_TZ else ops.adapt_datetimefield_value
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model's metadata
        batch: list = []
        for row in rows:
            if moments:
                row = list(row)
                for i in moments:
                    row[i] = adapt(row[i])
            batch.append(row)
            if len(batch) >= 5_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def _zone(name: str, aliases: dict[str, str]):
    return resolve_zone(name, zone_aliases=aliases, default=settings.TIME_ZONE)


def _raw(message) -> str:
    return message.raw_sent_at or message.sent_at.isoformat()


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
