from django.db import models


class Result(models.TextChoices):
    YES = "YES", "YES"
    NO = "NO", "NO"
    NA = "NA", "NA (not applicable)"


class Sender(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    CSO = "cso", "CSO"


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
