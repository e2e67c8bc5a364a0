"""Django choices of the policy models; the values come from :mod:`rules.vocabulary`."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rules.vocabulary import DocumentKind
from rules.vocabulary import Element as ElementValue
from rules.vocabulary import Visibility as VisibilityValue


class Element(models.TextChoices):
    """The parts of a CSO's script that the SOP fixes."""

    OPENING = ElementValue.OPENING.value, _("Opening greeting (salam pembuka)")
    CLOSING = ElementValue.CLOSING.value, _("Closing greeting (salam penutup)")
    CAMPAIGN = ElementValue.CAMPAIGN.value, _("Campaign line")


class DirectiveKind(models.TextChoices):
    BASELINE = DocumentKind.BASELINE.value, _("Baseline (standing SOP)")
    DIRECTIVE = DocumentKind.DIRECTIVE.value, _("Directive (temporary change)")


class DirectiveStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Visibility(models.TextChoices):
    PRIVATE = VisibilityValue.PRIVATE.value, _("Private (chat, email, direct message)")
    PUBLIC = VisibilityValue.PUBLIC.value, _("Public (wall post, comment, timeline)")
