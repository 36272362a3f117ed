from __future__ import annotations

import pytest
from engine_world import prepare

from unilink.store.db import Store


@pytest.fixture
def estore(store: Store) -> Store:
    return prepare(store)


@pytest.fixture
def any_estore(any_store: Store) -> Store:
    """The same, on SQLite and on PostgreSQL (skipped with a reason when PostgreSQL is unreachable)."""
    return prepare(any_store)
