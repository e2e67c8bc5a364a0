"""Reads of the what-if: the latest run of a draft's current version and its report
(the changes of every chunk added up by result, channel and CSO)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from common.reasons import reason_shown
from policy.models import Directive
from whatif.models import WhatIfRun

EXAMPLES_SHOWN = 20


@dataclass
class WhatIfReport:
    run: WhatIfRun
    transitions: list[tuple[str, str, int]] = field(default_factory=list)  # from, to, count
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_cso: list[tuple[str, int]] = field(default_factory=list)
    examples: list[dict] = field(default_factory=list)

    @property
    def changes_nothing(self) -> bool:
        return self.run.is_finished and not self.run.errors and self.run.changed_count == 0


def _shown(example: dict) -> dict:
    """An example with its two reasons in the reader's language (a run stored before
    the reasons kept their message ids shows the English text)."""
    return {
        **example,
        "reason_before": reason_shown(example.get("reason_parts_before"), example["reason_before"]),
        "reason_after": reason_shown(example.get("reason_parts_after"), example["reason_after"]),
    }


def latest_run(directive: Directive) -> WhatIfRun | None:
    """The newest run of the draft's current version (an older version's is stale)."""
    return directive.whatif_runs.filter(directive_version=directive.version).first()


def whatif_report(run: WhatIfRun) -> WhatIfReport:
    transitions, channels, csos = Counter(), Counter(), Counter()
    examples = []
    for changes, chunk_examples in run.chunks.filter(status="done").values_list("changes", "examples").iterator():
        for key, count in changes:
            channel, cso, before, after = key.split("|", 3)
            transitions[(before, after)] += count
            channels[channel] += count
            csos[cso] += count
        if len(examples) < EXAMPLES_SHOWN:
            examples.extend(_shown(example) for example in chunk_examples[: EXAMPLES_SHOWN - len(examples)])
    return WhatIfReport(
        run=run,
        transitions=[(b, a, n) for (b, a), n in transitions.most_common()],
        by_channel=channels.most_common(),
        by_cso=csos.most_common(),
        examples=examples,
    )
