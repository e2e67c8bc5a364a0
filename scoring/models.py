"""Transcripts, the batches that upload and score them, and the scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from common.reasons import reason_shown
from policy.models import CSO, Channel, Directive, ScoredParameter
from rules.vocabulary import Visibility
from scoring.choices import BatchKind, BatchStatus, ChunkStatus, Result, Sender
from scoring.types import RowError


class UploadBatch(models.Model):
    """One uploaded file of transcripts (or one rescoring request) and the scoring
    job it starts. This row, not the broker, is the record of what is left to do:
    its chunks say which transcripts are scored and which still wait."""

    kind = models.CharField(_("kind"), max_length=16, choices=BatchKind.choices, default=BatchKind.UPLOAD)
    file = models.FileField(_("file"), upload_to="uploads/%Y/%m/", blank=True)
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    sha256 = models.CharField(_("content hash (SHA-256)"), max_length=64, blank=True, db_index=True)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("An earlier batch whose file had exactly the same content."),
        verbose_name=_("duplicate of"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    transcript_count = models.PositiveIntegerField(_("transcript count"), default=0)
    scored_count = models.PositiveIntegerField(_("scored count"), default=0)
    failed_count = models.PositiveIntegerField(_("failed count"), default=0)
    chunk_count = models.PositiveIntegerField(_("chunk count"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    errors = models.JSONField(
        _("errors"), default=list, blank=True, help_text=_("Transcripts that could not be scored, and why.")
    )
    file_size = models.PositiveBigIntegerField(_("file size"), default=0, help_text=_("Bytes of the uploaded file."))
    rows_read = models.PositiveBigIntegerField(
        _("rows read"), default=0, help_text=_("Rows (CSV, XLSX) or messages (JSON) of the file checked so far.")
    )
    message_count = models.PositiveBigIntegerField(
        _("message count"), default=0, help_text=_("Messages stored so far.")
    )
    row_errors = models.JSONField(
        _("row errors"),
        default=list,
        blank=True,
        help_text=_("The problems that made the file rejected: location, column, message (the first 1,000)."),
    )
    row_error_count = models.PositiveIntegerField(
        _("row error count"), default=0, help_text=_("How many problems the file has in all.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("rescore_transcripts", "Can start rescoring and resume batches")]
        constraints = [
            # One batch per file content at a time (issue 10): thirty concurrent uploads
            # of one file store it once and score it once; a later one, after it has
            # finished (or stalled), is a new batch that scores it again.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(kind=BatchKind.UPLOAD)
                & Q(
                    status__in=[
                        BatchStatus.RECEIVED,
                        BatchStatus.CHECKING,
                        BatchStatus.STORING,
                        BatchStatus.QUEUED,
                        BatchStatus.SCORING,
                    ]
                ),
                name="batch_one_in_work_per_content",
            ),
        ]
        verbose_name = _("upload batch")
        verbose_name_plural = _("upload batches")

    def __str__(self) -> str:
        return _("Batch %(batch)s (%(name)s)") % {
            "batch": self.pk,
            "name": self.original_name or self.get_kind_display(),
        }

    @property
    def progress_percent(self) -> int:
        if not self.transcript_count:
            return 100 if self.status == BatchStatus.DONE else 0
        return int(100 * (self.scored_count + self.failed_count) / self.transcript_count)

    @property
    def is_finished(self) -> bool:
        return self.status in (BatchStatus.DONE, BatchStatus.INCOMPLETE, BatchStatus.REJECTED)

    @property
    def row_error_lines(self) -> list[str]:
        """The file's problems as the upload page and the commands print them."""
        return [str(RowError(e["location"], e["column"], e["message"])) for e in self.row_errors]


class Transcript(models.Model):
    """One conversation between a customer and a CSO, as QA exported it. Uploading
    the same id again replaces its content; its messages are never edited."""

    external_id = models.CharField(_("transcript id"), max_length=100, unique=True)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+", verbose_name=_("channel"))
    platform = models.CharField(_("platform"), max_length=50, blank=True)
    visibility = models.CharField(_("visibility"), max_length=16, default=Visibility.PRIVATE.value)
    category = models.CharField(_("category"), max_length=100, blank=True)
    timezone = models.CharField(
        _("timezone"), max_length=64, blank=True, help_text=_("As uploaded; empty means the site default.")
    )
    cso_id = models.CharField(_("CSO id"), max_length=32, blank=True)
    cso_name = models.CharField(_("CSO name"), max_length=200)
    registered_cso = models.ForeignKey(
        CSO,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transcripts",
        verbose_name=_("registered CSO"),
    )
    first_contact = models.BooleanField(_("first contact"), default=True)
    started_at = models.DateTimeField(
        _("started at"), null=True, blank=True, help_text=_("When the first message was sent.")
    )
    content_hash = models.CharField(_("content hash"), max_length=64)
    last_batch = models.ForeignKey(
        UploadBatch, null=True, on_delete=models.SET_NULL, related_name="uploaded", verbose_name=_("last batch")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("transcript")
        verbose_name_plural = _("transcripts")
        ordering = ["-started_at", "external_id"]
        indexes = [models.Index(fields=["cso_name"]), models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return self.external_id


class Message(models.Model):
    """One message of a transcript. Immutable once stored, and kept out of the
    history tables: a re-upload replaces the transcript's messages as a whole."""

    transcript = models.ForeignKey(
        Transcript, on_delete=models.CASCADE, related_name="messages", verbose_name=_("transcript")
    )
    position = models.PositiveIntegerField(_("position"))
    sent_at = models.DateTimeField(_("sent at"))
    sent_at_raw = models.CharField(_("sent at (as uploaded)"), max_length=64)
    sender = models.CharField(_("sender"), max_length=16, choices=Sender.choices)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["transcript", "position"]
        constraints = [models.UniqueConstraint(fields=["transcript", "position"], name="message_unique_position")]

    def __str__(self) -> str:
        return f"{self.transcript_id}#{self.position} {self.sender}"


class ScoringChunk(models.Model):
    """A slice of a batch that one task scores in one transaction. Workers claim it
    with a conditional update, so two never score it at once. ``claimed_at`` is the
    start of the claim's lease, renewed by its worker while it scores; a lease older
    than the claim timeout is a dead worker's, and another worker takes the chunk over."""

    batch = models.ForeignKey(UploadBatch, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("batch"))
    index = models.PositiveIntegerField(_("index"))
    transcripts = models.ManyToManyField(Transcript, related_name="chunks", verbose_name=_("transcripts"))
    status = models.CharField(_("status"), max_length=16, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    claim_token = models.CharField(_("claim token"), max_length=64, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=200, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("scoring chunk")
        verbose_name_plural = _("scoring chunks")
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="chunk_unique_index")]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"batch {self.batch_id} chunk {self.index}"


# The one definition of "the latest override", the one in force: the newest, and of two
# made in the same instant the one stored last.
OVERRIDE_NEWEST_FIRST = ("-created_at", "-pk")


class ScoreQuerySet(models.QuerySet):
    """The read model of scores: what the pages, the exports and the services ask of
    scores the same way, written once."""

    def current(self) -> ScoreQuerySet:
        """The scores in force: one per transcript and parameter (a rescore keeps the old ones)."""
        return self.filter(is_current=True)

    def with_latest_override(self) -> ScoreQuerySet:
        """Prefetch each score's overrides newest first, so ``current_override`` and
        ``final_result`` read them without a query per score."""
        return self.prefetch_related(Prefetch("overrides", queryset=ScoreOverride.objects.newest_first()))

    def with_final_result(self) -> ScoreQuerySet:
        """Annotate ``final``, the result in force: QA's latest override, else the
        automatic result. A column, so it can be filtered and ordered on."""
        latest = ScoreOverride.objects.filter(score=OuterRef("pk")).newest_first().values("result")[:1]
        return self.annotate(final=Coalesce(Subquery(latest), F("result")))


class Score(models.Model):
    """The verdict on one transcript for one scored parameter, with its provenance
    (rule S11): the directive and the exact history version of it that decided, the
    greeting owed, the passage that matched or came closest, and the reason.
    Rescoring adds a new score and makes it current; old scores stay."""

    transcript = models.ForeignKey(
        Transcript, on_delete=models.CASCADE, related_name="scores", verbose_name=_("transcript")
    )
    parameter = models.ForeignKey(
        ScoredParameter, on_delete=models.PROTECT, related_name="scores", verbose_name=_("parameter")
    )
    result = models.CharField(_("automatic result"), max_length=4, choices=Result.choices)
    directive = models.ForeignKey(
        Directive, null=True, blank=True, on_delete=models.PROTECT, related_name="scores", verbose_name=_("directive")
    )
    directive_version = models.PositiveIntegerField(_("directive version"), null=True, blank=True)
    directive_history = models.ForeignKey(
        "policy.HistoricalDirective",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        help_text=_("The history row of the directive as it stood when this score was made."),
        verbose_name=_("directive history"),
    )
    expected_greeting = models.TextField(_("expected greeting"), blank=True)
    matched_passage = models.TextField(_("matched passage"), blank=True)
    passage_start = models.IntegerField(_("passage start"), null=True, blank=True)
    passage_end = models.IntegerField(_("passage end"), null=True, blank=True)
    reason = models.TextField(_("reason"), help_text=_("Why, in English, as the engine wrote it."))
    # The same reason as message ids and parameters (rules.messages), so that a page
    # or an export shows it in its reader's language (common.reasons).
    reason_parts = models.JSONField(
        _("reason parts"), default=list, blank=True, help_text=_("The reason as translatable messages.")
    )
    flags = models.JSONField(_("flags"), default=list, blank=True)
    local_time = models.DateTimeField(
        _("local time"), null=True, blank=True, help_text=_("The deciding instant (rule S3).")
    )
    zone_label = models.CharField(_("zone label"), max_length=64, blank=True)
    # What the dashboard groups and filters by, copied from the transcript when the score
    # is written (its content and these fields change only by an upload that scores it
    # again), so the grouped counts read the score table alone, from its indexes.
    channel = models.ForeignKey(
        Channel,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("channel"),
        help_text=_("The transcript's channel when this score was made."),
    )
    cso_name = models.CharField(_("CSO name"), max_length=200, blank=True)
    started_on = models.DateField(
        _("started on"), null=True, blank=True, help_text=_("The day the transcript started, in the site's time zone.")
    )
    scorer_version = models.CharField(_("scorer version"), max_length=32)
    content_hash = models.CharField(
        _("content hash"),
        max_length=64,
        blank=True,
        help_text=_("The transcript content this score judged (it may be uploaded again)."),
    )
    scored_at = models.DateTimeField(_("scored at"), auto_now_add=True)
    is_current = models.BooleanField(_("is current"), default=True)
    batch = models.ForeignKey(
        UploadBatch, null=True, on_delete=models.SET_NULL, related_name="scores", verbose_name=_("batch")
    )
    chunk = models.ForeignKey(
        ScoringChunk, null=True, blank=True, on_delete=models.SET_NULL, related_name="scores", verbose_name=_("chunk")
    )

    objects = ScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["-scored_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["transcript", "parameter"], condition=Q(is_current=True), name="score_one_current"
            ),
        ]
        indexes = [
            models.Index(fields=["is_current", "result"]),
            # The dashboard's filters and groups on current scores.
            models.Index(fields=["is_current", "directive"], name="score_current_directive"),
            models.Index(fields=["is_current", "zone_label"], name="score_current_zone"),
        ]
        permissions = [("override_score", "Can override a score with a written justification")]

    def __str__(self) -> str:
        return f"{self.transcript_id} {self.parameter.code}: {self.final_result}"

    @property
    def reason_shown(self) -> str:
        """The reason in the active language (the English text for older scores)."""
        return reason_shown(self.reason_parts, self.reason)

    @property
    def final_result(self) -> str:
        """The result in force: QA's latest override, else the automatic result."""
        override = self.current_override
        return override.result if override else self.result

    @property
    def current_override(self):
        """The latest override, or None; read from ``with_latest_override()`` when prefetched."""
        overrides = getattr(self, "_prefetched_objects_cache", {}).get("overrides")
        if overrides is not None:
            return overrides[0] if overrides else None
        return self.overrides.newest_first().first()


class ScoreOverrideQuerySet(models.QuerySet):
    def newest_first(self) -> ScoreOverrideQuerySet:
        """The override in force first, then the older ones (the trail)."""
        return self.order_by(*OVERRIDE_NEWEST_FIRST)

    def in_force_by_score(self, *fields: str) -> dict[int, dict]:
        """The override in force on each score these overrides are of (the newest wins),
        by score id, as ``values("score_id", *fields)`` rows; one query, and only the
        scores QA overrode are in it."""
        latest: dict[int, dict] = {}
        for row in self.order_by("score_id", *OVERRIDE_NEWEST_FIRST).values("score_id", *fields):
            latest.setdefault(row["score_id"], row)  # newest first within each score
        return latest


class ScoreOverride(models.Model):
    """QA's correction of an automatic result, with a written justification. Rows
    are only ever added: the newest is in force, the older ones are the trail."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("score"))
    result = models.CharField(_("result"), max_length=4, choices=Result.choices)
    justification = models.TextField(_("justification"))
    carried_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The override this one continues: the transcript was scored again to the same result."),
        verbose_name=_("carried from"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScoreOverrideQuerySet.as_manager()

    class Meta:
        verbose_name = _("score override")
        verbose_name_plural = _("score overrides")
        ordering = list(OVERRIDE_NEWEST_FIRST)
        # The latest override of a score (the final result's subquery) read from the index.
        indexes = [models.Index(fields=["score", "-created_at", "-id"], name="override_score_newest")]

    def __str__(self) -> str:
        return f"{self.score} -> {self.result}"


class ScoreTally(models.Model):
    """How many current scores share one group of what the dashboard filters and groups
    by (directive, channel, day, zone, CSO) and one automatic result. Kept by the
    service that writes scores (``scoring.services.tallies``), in the transaction that
    supersedes and inserts them, so the dashboard adds up thousands of tallies rather
    than counting a million scores. Overrides are not in it: the dashboard corrects these
    automatic counts by the overridden scores alone."""

    key = models.CharField(max_length=64, unique=True, help_text="A digest of the group, for the upsert.")
    directive_id = models.IntegerField(null=True, blank=True)
    channel_id = models.IntegerField(null=True, blank=True)
    started_on = models.DateField(null=True, blank=True)
    zone_label = models.CharField(max_length=64, blank=True)
    cso_name = models.CharField(max_length=200, blank=True)
    result = models.CharField(max_length=4, choices=Result.choices)
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = "score tally"

    def __str__(self) -> str:
        return f"{self.cso_name} {self.started_on} {self.result}: {self.count}"


class ReasonTally(models.Model):
    """How many current automatic NO share one reason in one group of the dashboard's
    filters (directive, channel, day, zone); kept with :class:`ScoreTally`."""

    key = models.CharField(max_length=64, unique=True, help_text="A digest of the group, for the upsert.")
    directive_id = models.IntegerField(null=True, blank=True)
    channel_id = models.IntegerField(null=True, blank=True)
    started_on = models.DateField(null=True, blank=True)
    zone_label = models.CharField(max_length=64, blank=True)
    reason = models.TextField()
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = "reason tally"

    def __str__(self) -> str:
        return f"{self.reason[:40]}: {self.count}"
