"""Policy snapshots as plain data, for the tests of the pure ``rules`` package.

:func:`seeded_policy` is the SOP that ``manage.py seed_sop`` loads (built from the
same values, ``policy.seed_data``; tests/policy/test_seed.py checks that the database
snapshot of the seed equals it), so the engine's tests need no database.
:func:`directive` makes another published directive to add with :func:`with_directives`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

from policy import seed_data
from rules.snapshot import Band, CSORecord, DirectiveSnapshot, Parameter, Policy, TemplateText
from rules.vocabulary import DocumentKind, Element

PUBLISHED = dt.datetime(2023, 8, 1, tzinfo=dt.UTC)
_ids = itertools.count(100)


def _categories(text: str) -> frozenset[str]:
    return frozenset(c.strip().lower() for c in text.split(",") if c.strip())


def _forms(text: str) -> tuple[str, ...]:
    return tuple(f.strip() for f in text.split(",") if f.strip())


def _document(ident: int, fields: dict, channels, opening: str, baseline_forms=()) -> DirectiveSnapshot:
    start, end = fields.get("valid_from_date"), fields.get("valid_until_date")
    return DirectiveSnapshot(
        id=ident,
        kind=fields["kind"],
        reference=fields["reference"],
        title=fields["title"],
        version=1,
        history_id=ident * 10,
        priority=fields.get("priority", 0),
        published_at=PUBLISHED,
        window_start=dt.datetime.combine(start, fields["valid_from_time"]) if start else None,
        window_end=dt.datetime.combine(end, fields["valid_until_time"]) if end else None,
        channels=frozenset(channels),
        templates=(TemplateText(Element.OPENING, None, opening),),
        first_contact_only=fields["first_contact_only"],
        public_owed_categories=_categories(fields["public_owed_categories"]),
        typo_ratio=0.1,
        typo_min_length=10,
        forms_of_address=_forms(fields.get("forms_of_address", "")) or baseline_forms,
    )


def seeded_policy(csos: tuple[CSORecord, ...] = ()) -> Policy:
    """The seeded SOP: STD, HPN 2023, the four channels, WIB/WITA/WIT, the bands, 1.1."""
    baseline = _document(1, seed_data.BASELINE, (), seed_data.BASELINE_OPENING)
    hpn = _document(2, seed_data.HPN, seed_data.HPN_CHANNELS, seed_data.HPN_OPENING, baseline.forms_of_address)
    return Policy(
        baseline=baseline,
        directives=(hpn,),
        bands=tuple(Band(word, start, end) for word, start, end in seed_data.BANDS),
        zone_aliases=dict(seed_data.ZONES),
        default_zone="Asia/Jakarta",
        parameters=tuple(
            Parameter(code, name, channel, Element.OPENING) for code, name, channel in seed_data.PARAMETERS
        ),
        csos={c.cso_id: c for c in csos},
        channels={code: public for code, _name, public in seed_data.CHANNELS},
    )


def directive(
    reference: str,
    opening: str,
    *,
    start: dt.date,
    end: dt.date,
    channels=("live_chat", "email", "social_media"),
    priority: int = 0,
    published_at: dt.datetime = PUBLISHED,
    base: Policy | None = None,
) -> DirectiveSnapshot:
    """A published directive over whole local days, with the seed's audience rule."""
    fields = dict(
        seed_data.HPN,
        reference=reference,
        title=reference,
        valid_from_date=start,
        valid_until_date=end,
        priority=priority,
        kind=DocumentKind.DIRECTIVE,
    )
    forms = (base or seeded_policy()).baseline.forms_of_address
    return dataclasses.replace(_document(next(_ids), fields, channels, opening, forms), published_at=published_at)


def with_directives(policy: Policy, *extra: DirectiveSnapshot) -> Policy:
    return dataclasses.replace(policy, directives=policy.directives + extra)
