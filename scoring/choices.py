"""Django choices of the scoring models; the domain's values come from :mod:`rules.vocabulary`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rules.vocabulary import Result as ResultValue
from rules.vocabulary import Sender as SenderValue


class Result(models.TextChoices):
    YES = ResultValue.YES.value, _("YES")
    NO = ResultValue.NO.value, _("NO")
    NA = ResultValue.NA.value, _("NA (not applicable)")


class Sender(models.TextChoices):
    CUSTOMER = SenderValue.CUSTOMER.value, _("Customer")
    CSO = SenderValue.CSO.value, _("CSO")


class BatchKind(models.TextChoices):
    UPLOAD = "upload", _("Upload")
    RESCORE = "rescore", _("Rescore")


class BatchStatus(models.TextChoices):
    # An upload's file is stored, then a worker checks it and stores its transcripts.
    RECEIVED = "received", _("Received (waiting to be checked)")
    CHECKING = "checking", _("Checking the file")
    STORING = "storing", _("Storing transcripts")
    REJECTED = "rejected", _("Rejected (the file has problems; nothing was stored)")
    QUEUED = "queued", _("Queued")
    SCORING = "scoring", _("Scoring")
    DONE = "done", _("Done")
    INCOMPLETE = "incomplete", _("Incomplete (some transcripts could not be scored)")
    STALLED = "stalled", _("Stalled (resume it)")


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Being scored")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# Statuses of a batch whose chunks are not all cut yet, or that will have none: it is
# not finished when its chunks so far are done.
BATCH_NOT_CUT = (BatchStatus.RECEIVED, BatchStatus.CHECKING, BatchStatus.STORING, BatchStatus.REJECTED)
