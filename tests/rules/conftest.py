"""The rules package is tested on plain data: no database. pytest-django refuses any
query from a test here that does not ask for the ``db`` fixture, so a test that
needed one would fail loudly."""

import pytest

from tests.rules.snapshots import seeded_policy


@pytest.fixture(scope="session")
def policy():
    """The seeded SOP as ``manage.py seed_sop`` loads it, no CSO registered."""
    return seeded_policy()
