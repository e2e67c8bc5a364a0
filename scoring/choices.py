"""Django choices of the scoring models; the domain's values come from :mod:`rules.vocabulary`."""

from django.db import models

from rules.vocabulary import Result as ResultValue
from rules.vocabulary import Sender as SenderValue


class Result(models.TextChoices):
    YES = ResultValue.YES.value, "YES"
    NO = ResultValue.NO.value, "NO"
    NA = ResultValue.NA.value, "NA (not applicable)"


class Sender(models.TextChoices):
    CUSTOMER = SenderValue.CUSTOMER.value, "Customer"
    CSO = SenderValue.CSO.value, "CSO"


class BatchKind(models.TextChoices):
    UPLOAD = "upload", "Upload"
    RESCORE = "rescore", "Rescore"


class BatchStatus(models.TextChoices):
    # An upload's file is stored, then a worker checks it and stores its transcripts.
    RECEIVED = "received", "Received (waiting to be checked)"
    CHECKING = "checking", "Checking the file"
    STORING = "storing", "Storing transcripts"
    REJECTED = "rejected", "Rejected (the file has problems; nothing was stored)"
    QUEUED = "queued", "Queued"
    SCORING = "scoring", "Scoring"
    DONE = "done", "Done"
    INCOMPLETE = "incomplete", "Incomplete (some transcripts could not be scored)"
    STALLED = "stalled", "Stalled (resume it)"


class ChunkStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Being scored"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# Statuses of a batch whose chunks are not all cut yet, or that will have none: it is
# not finished when its chunks so far are done.
BATCH_NOT_CUT = (BatchStatus.RECEIVED, BatchStatus.CHECKING, BatchStatus.STORING, BatchStatus.REJECTED)
