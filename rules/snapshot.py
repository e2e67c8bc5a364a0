"""The published policy as plain, frozen data: what the resolver and the engine read.

``policy.selectors.policy_snapshot()`` builds one :class:`Policy` from the database
(as it stands, or as it stood at an instant); a scoring run keeps it for every
transcript, so the rules never query anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rules.messages import N_, Message, msg
from rules.vocabulary import DocumentKind

# "Not yet published" sorts after every publication: a draft about to be published
# would be the latest one.
_UNPUBLISHED = dt.datetime.max.replace(tzinfo=dt.UTC)


def precedence_key(*, priority: int, published_at: dt.datetime | None, ident: int) -> tuple:
    """The one order of overlapping directives (rule S4): higher priority first, then
    the later publication, then the higher id. Sort descending by this key; used by the
    resolver, the overlap warnings and the policy as it stood."""
    return (priority, published_at or _UNPUBLISHED, ident)


@dataclass(frozen=True)
class Band:
    """A time-of-day word and the local minutes it covers (rule S6)."""

    word: str
    start: dt.time
    end: dt.time

    def contains(self, moment: dt.time) -> bool:
        minute = (moment.hour, moment.minute)
        start, end = (self.start.hour, self.start.minute), (self.end.hour, self.end.minute)
        if start <= end:
            return start <= minute <= end
        return minute >= start or minute <= end


@dataclass(frozen=True)
class TemplateText:
    """A greeting template of a document: for one channel, or every channel it covers."""

    element: str
    channel: str | None  # None: every channel of the document
    text: str


@dataclass(frozen=True)
class DirectiveSnapshot:
    """A published baseline or directive as it stood when the snapshot was read.

    Not one of the rules S1-S11: it is the document those rules read. ``history_id``
    is the audit-history row of this exact version, which a score records (S11).
    """

    id: int
    kind: str
    reference: str
    title: str
    version: int
    history_id: int | None
    priority: int
    published_at: dt.datetime | None
    window_start: dt.datetime | None  # naive local wall-clock time
    window_end: dt.datetime | None  # inclusive
    channels: frozenset[str]  # empty on a baseline: every channel
    templates: tuple[TemplateText, ...]
    first_contact_only: bool
    public_owed_categories: frozenset[str]  # lower-case
    typo_ratio: float
    typo_min_length: int
    forms_of_address: tuple[str, ...] = ()

    @property
    def is_baseline(self) -> bool:
        return self.kind == DocumentKind.BASELINE

    @property
    def label(self) -> str:
        return f"{self.reference} v{self.version}"

    def precedence(self) -> tuple:
        return precedence_key(priority=self.priority, published_at=self.published_at, ident=self.id)

    def covers(self, channel: str) -> bool:
        return self.is_baseline or channel in self.channels

    def in_window(self, local: dt.datetime) -> bool:
        if self.is_baseline:
            return True
        wall = local.replace(tzinfo=None, microsecond=0)
        return self.window_start <= wall <= self.window_end

    def template_for(self, element: str, channel: str) -> TemplateText | None:
        """The template for this channel, else the one for every channel."""
        generic = None
        for template in self.templates:
            if template.element != element:
                continue
            if template.channel == channel:
                return template
            if template.channel is None:
                generic = template
        return generic

    def window_label(self) -> str:
        return self.window_message().text()

    def window_message(self) -> Message:
        """The validity window in words (a message, so that it can be translated)."""
        if self.is_baseline:
            return msg(N_("standing"))
        return msg(
            N_("%(start)s to %(end)s local time"),
            start=f"{self.window_start:%Y-%m-%d %H:%M}",
            end=f"{self.window_end:%Y-%m-%d %H:%M:%S}",
        )


@dataclass(frozen=True)
class Parameter:
    """A line of the QA form, per channel (e.g. 1.1 on live chat)."""

    code: str
    name: str
    channel: str
    element: str


@dataclass(frozen=True)
class CSORecord:
    """A registered CSO: the names rule S7 accepts."""

    cso_id: str
    full_name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    """Everything the resolver and the scoring engine need, read once."""

    baseline: DirectiveSnapshot
    directives: tuple[DirectiveSnapshot, ...]
    bands: tuple[Band, ...]
    zone_aliases: dict[str, str]
    default_zone: str
    parameters: tuple[Parameter, ...]
    csos: dict[str, CSORecord] = field(default_factory=dict)
    channels: dict[str, bool] = field(default_factory=dict)  # code -> allows public posts
    # What the engine derives from this snapshot (compiled templates, word sets, name
    # lookups), computed once per snapshot instead of once per transcript.
    _derived: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def derived(self, key, compute):
        """``compute()``, remembered under ``key`` for the life of this snapshot."""
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = compute()
            return value

    def __post_init__(self):
        # Directives in precedence order, whoever built the snapshot: where two
        # readings of a text tie, the engine prefers the directive that takes precedence.
        ordered = tuple(sorted(self.directives, key=DirectiveSnapshot.precedence, reverse=True))
        object.__setattr__(self, "directives", ordered)

    @property
    def forms_of_address(self) -> tuple[str, ...]:
        return self.baseline.forms_of_address

    def documents(self) -> tuple[DirectiveSnapshot, ...]:
        """The baseline and every published directive."""
        return (self.baseline, *self.directives)

    def parameters_for(self, channel: str, element: str | None = None) -> list[Parameter]:
        return [p for p in self.parameters if p.channel == channel and (element is None or p.element == element)]
