"""Django choices of the policy models; the values come from :mod:`rules.vocabulary`."""

from django.db import models

from rules.vocabulary import DocumentKind
from rules.vocabulary import Element as ElementValue
from rules.vocabulary import Visibility as VisibilityValue


class Element(models.TextChoices):
    """The parts of a CSO's script that the SOP fixes."""

    OPENING = ElementValue.OPENING.value, "Opening greeting (salam pembuka)"
    CLOSING = ElementValue.CLOSING.value, "Closing greeting (salam penutup)"
    CAMPAIGN = ElementValue.CAMPAIGN.value, "Campaign line"


class DirectiveKind(models.TextChoices):
    BASELINE = DocumentKind.BASELINE.value, "Baseline (standing SOP)"
    DIRECTIVE = DocumentKind.DIRECTIVE.value, "Directive (temporary change)"


class DirectiveStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Visibility(models.TextChoices):
    PRIVATE = VisibilityValue.PRIVATE.value, "Private (chat, email, direct message)"
    PUBLIC = VisibilityValue.PUBLIC.value, "Public (wall post, comment, timeline)"
