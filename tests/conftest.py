from pathlib import Path

import pytest

# The labelled dev transcripts, kept in the project so that a clone tests on its own
# (tests/data/README.md says where they came from).
DEV_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def dev_data() -> Path:
    """The folder holding dev-transcripts.csv, dev-transcripts.jsonl and dev-expected.csv."""
    return DEV_DATA


@pytest.fixture
def seeded(db):
    """The SOP as docs/rules.md states it, loaded by the seed service."""
    from common.users import system_user
    from policy.seed import sop_seed

    sop_seed(user=system_user())


@pytest.fixture
def policy(seeded):
    from policy.selectors import policy_snapshot

    return policy_snapshot()
