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
