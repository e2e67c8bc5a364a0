import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
if not SHARED.exists():  # a clone beside ../shared, or the env names it
    SHARED = Path(os.environ.get("PLN123_SHARED_DIR", SHARED))


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.fail(f"The shared folder with the spec and dev data is missing: {SHARED}")
    return SHARED


@pytest.fixture
def seeded(db):
    """The SOP as the spec states it, loaded by the seed service."""
    from common.users import system_user
    from policy.seed import sop_seed

    sop_seed(user=system_user())


@pytest.fixture
def policy(seeded):
    from policy.selectors import policy_snapshot

    return policy_snapshot()
