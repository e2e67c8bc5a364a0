from django.db import models


class Element(models.TextChoices):
    """The parts of a CSO's script that the SOP fixes."""

    OPENING = "opening", "Opening greeting (salam pembuka)"
    CLOSING = "closing", "Closing greeting (salam penutup)"
    CAMPAIGN = "campaign", "Campaign line"


class DirectiveKind(models.TextChoices):
    BASELINE = "baseline", "Baseline (standing SOP)"
    DIRECTIVE = "directive", "Directive (temporary change)"


class DirectiveStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private (chat, email, direct message)"
    PUBLIC = "public", "Public (wall post, comment, timeline)"


# The slots a greeting template may contain (rule S6 and S7).
SLOT_TIME_OF_DAY = "waktu"
SLOT_CSO_NAME = "nama_cso"
TEMPLATE_SLOTS = (SLOT_TIME_OF_DAY, SLOT_CSO_NAME)
