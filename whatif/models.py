"""What-if runs: a draft directive scored, as if published, against the stored
transcripts its window and channels touch, compared with their current scores.
Nothing here is a score: the real scores are never written."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from policy.models import Directive


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Claimed")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class WhatIfRun(models.Model):
    """One what-if of one version of a draft. This row, not the broker, is the record
    of the job: its status, counts and progress, and (in its chunks) what changed."""

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="whatif_runs")
    directive_version = models.PositiveIntegerField(help_text=_("The draft's version the run scored."))
    scope = models.JSONField(default=dict, help_text=_("The channels and window the run covers."))
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    transcript_count = models.PositiveIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0, help_text=_("Transcripts scored as if published."))
    compared_count = models.PositiveIntegerField(default=0, help_text=_("Verdicts compared with a current score."))
    changed_count = models.PositiveIntegerField(default=0, help_text=_("Verdicts that would change."))
    unscored_count = models.PositiveIntegerField(default=0, help_text=_("Transcripts with no current score yet."))
    chunk_count = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("what-if run")
        verbose_name_plural = _("what-if runs")

    def __str__(self) -> str:
        return f"What-if {self.pk}: {self.directive.reference} v{self.directive_version}"

    @property
    def progress_percent(self) -> int:
        if not self.transcript_count:
            return 100 if self.status == RunStatus.DONE else 0
        return int(100 * self.done_count / self.transcript_count)

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


class WhatIfChunk(models.Model):
    """A slice of a run (a range of transcript ids within its scope) that one task
    scores; claimed with a conditional update, so two workers never do it twice. Its
    ``changes`` are counts keyed by channel, CSO and result before and after; its
    ``examples`` are a few changed verdicts with the reason before and after."""

    run = models.ForeignKey(WhatIfRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_pk = models.PositiveBigIntegerField()
    last_pk = models.PositiveBigIntegerField()
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    claim_token = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    changes = models.JSONField(default=list, blank=True)
    examples = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="whatif_chunk_unique_index")]

    def __str__(self) -> str:
        return f"what-if {self.run_id} chunk {self.index}"
