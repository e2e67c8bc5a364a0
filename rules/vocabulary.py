"""The words of the SOP, as values. The apps build their Django choices from these, so
a stored value and a value the engine compares are always the same string."""

from __future__ import annotations

from enum import StrEnum


class Element(StrEnum):
    """The parts of a CSO's script that the SOP fixes."""

    OPENING = "opening"  # salam pembuka
    CLOSING = "closing"  # salam penutup
    CAMPAIGN = "campaign"


class DocumentKind(StrEnum):
    """A baseline is the standing SOP; a directive changes it for a while."""

    BASELINE = "baseline"
    DIRECTIVE = "directive"


class Visibility(StrEnum):
    """Who can read the conversation (rule S5)."""

    PRIVATE = "private"  # chat, email, a direct message
    PUBLIC = "public"  # wall post, comment, timeline reply (social media only)


class Sender(StrEnum):
    CUSTOMER = "customer"
    CSO = "cso"


class Result(StrEnum):
    """The answer on a scored parameter."""

    YES = "YES"
    NO = "NO"
    NA = "NA"  # no greeting was owed (rule S5)


# Rule S10: a directive's special greeting used on a public post it exempts.
FLAG_FESTIVE_ON_PUBLIC = "festive_on_public_complaint"

# The slots a greeting template may contain (rules S6 and S7).
SLOT_TIME_OF_DAY = "waktu"
SLOT_CSO_NAME = "nama_cso"
TEMPLATE_SLOTS = (SLOT_TIME_OF_DAY, SLOT_CSO_NAME)
