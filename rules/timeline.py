"""Which document is in force on a channel over a period (rule S4), as stretches of
local wall-clock time: Pusat's picture of overlaps (several directives at once; the
resolver's winner first) and gaps (no directive: the baseline applies).

Plain data in and out; the winner of every stretch is asked of the resolver itself
(:func:`rules.resolver.directives_in_force`), so the picture and the scoring agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.resolver import directives_in_force
from rules.snapshot import DirectiveSnapshot, Policy

SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class Stretch:
    """From ``start`` up to ``end`` (exclusive, naive local time) the same documents
    are in force; ``documents`` in precedence order, the one that decides first."""

    start: dt.datetime
    end: dt.datetime
    documents: tuple[DirectiveSnapshot, ...]

    @property
    def winner(self) -> DirectiveSnapshot | None:
        return self.documents[0] if self.documents else None

    @property
    def overlap(self) -> bool:
        return len(self.documents) > 1

    @property
    def gap(self) -> bool:
        """No directive: the baseline decides."""
        return not self.documents


def channel_timeline(
    policy: Policy, *, channel: str, element: str, start: dt.datetime, end: dt.datetime
) -> list[Stretch]:
    """The stretches of ``[start, end)`` on ``channel`` for ``element``, merged where
    nothing changes. Windows are inclusive to the second, so a window ends one second
    after its ``window_end``."""
    cuts = {start, end}
    for directive in policy.directives:
        if not directive.covers(channel) or directive.window_start is None:
            continue
        for moment in (directive.window_start, directive.window_end + SECOND):
            if start < moment < end:
                cuts.add(moment)
    edges = sorted(cuts)
    stretches: list[Stretch] = []
    for left, right in zip(edges, edges[1:], strict=False):
        documents = tuple(directives_in_force(policy, channel=channel, element=element, local=left))
        if stretches and stretches[-1].documents == documents:
            stretches[-1] = Stretch(stretches[-1].start, right, documents)
        else:
            stretches.append(Stretch(left, right, documents))
    return stretches


def windows_on(policy: Policy, *, channel: str, start: dt.datetime, end: dt.datetime) -> list[DirectiveSnapshot]:
    """The published directives on ``channel`` whose window meets ``[start, end)``, by start."""
    found = [
        d
        for d in policy.directives
        if d.covers(channel) and d.window_start is not None and d.window_start < end and d.window_end + SECOND > start
    ]
    return sorted(found, key=lambda d: (d.window_start, d.reference))
