"""The SOP as docs/rules.md states it: baseline SOP-PLN123-STD and directive
SOP-PLN123-HPN2023. ``sop_seed`` creates what is missing and never touches what
exists, so running it twice changes nothing and an admin's later edits survive."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from policy.choices import DirectiveStatus, Element
from policy.models import Channel, Directive, GreetingTemplate, ScoredParameter, TimeBand, TimeZoneAlias
from policy.seed_data import (
    BANDS,
    BASELINE,
    BASELINE_OPENING,
    CHANNELS,
    HPN,
    HPN_CHANNELS,
    HPN_OPENING,
    MEMO_PATH,
    PARAMETERS,
    ZONES,
)
from policy.services import save_with_history

REASON = "Seeded from the SOP memo (manage.py seed_sop)"


@transaction.atomic
def sop_seed(*, user) -> list[str]:
    """Load the SOP; return one line per object created (empty: nothing to do)."""
    created: list[str] = []

    def ensure(model, lookup: dict, defaults: dict, label: str):
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = save_with_history(model(**lookup, **defaults), user=user, reason=REASON)
            created.append(label)
        return obj

    channels = {
        code: ensure(Channel, {"code": code}, {"name": name, "allows_public": public}, f"channel {code}")
        for code, name, public in CHANNELS
    }
    for code, iana in ZONES:
        ensure(TimeZoneAlias, {"code": code}, {"iana_name": iana}, f"zone {code}")
    for code, name, channel in PARAMETERS:
        ensure(
            ScoredParameter,
            {"code": code, "channel": channels[channel]},
            {"name": name, "element": Element.OPENING},
            f"parameter {code} {channel}",
        )

    baseline = _ensure_document(BASELINE, [], BASELINE_OPENING, user, created)
    if not baseline.time_bands.exists():
        for word, start, end in BANDS:
            save_with_history(
                TimeBand(baseline=baseline, word=word, starts_at=start, ends_at=end), user=user, reason=REASON
            )
        created.append("time bands of SOP-PLN123-STD")
    hpn_fields = dict(HPN, memo_text=MEMO_PATH.read_text(encoding="utf-8"))
    _ensure_document(hpn_fields, [channels[c] for c in HPN_CHANNELS], HPN_OPENING, user, created)
    return created


def _ensure_document(fields: dict, channels, opening: str, user, created: list[str]) -> Directive:
    directive = Directive.objects.filter(reference=fields["reference"]).first()
    if directive is not None:
        return directive
    directive = Directive(**fields, status=DirectiveStatus.PUBLISHED, published_at=timezone.now(), published_by=user)
    save_with_history(directive, user=user, reason=REASON)
    if channels:
        directive.channels.set(channels)
    save_with_history(
        GreetingTemplate(directive=directive, element=Element.OPENING, text=opening), user=user, reason=REASON
    )
    created.append(f"{directive.kind} {directive.reference}")
    return directive
