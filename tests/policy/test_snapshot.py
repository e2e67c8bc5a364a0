"""The policy snapshot read from the database is the one the rules tests use: the
seed's snapshot equals ``tests.rules.snapshots.seeded_policy()`` in everything the
rules read, so the database-free tests of ``rules`` test the real SOP."""

import dataclasses

import pytest

from common.users import system_user
from policy.models import CSO
from policy.selectors import policy_snapshot
from policy.services import save_with_history
from tests.rules.snapshots import seeded_policy

# Set by the database, not by the SOP.
BOOKKEEPING = {"id": None, "history_id": None, "published_at": None}


def comparable(policy):
    def document(d):
        return dataclasses.replace(d, **BOOKKEEPING, templates=tuple(sorted(d.templates, key=repr)))

    return dataclasses.replace(
        policy,
        baseline=document(policy.baseline),
        directives=tuple(document(d) for d in policy.directives),
        bands=tuple(sorted(policy.bands, key=lambda b: b.start)),
        parameters=tuple(sorted(policy.parameters, key=repr)),
    )


def test_the_seeded_database_reads_as_the_plain_seed(seeded):
    assert comparable(policy_snapshot()) == comparable(seeded_policy())


@pytest.mark.django_db
def test_registered_names_and_aliases_are_read(seeded):
    save_with_history(CSO(cso_id="CSO-001", full_name="Rina Marlina", aliases="Ririn"), user=system_user(), reason="t")
    record = policy_snapshot().csos["CSO-001"]
    assert record.full_name == "Rina Marlina" and record.aliases == ("Ririn",)
