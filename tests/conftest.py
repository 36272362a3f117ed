"""Shared test configuration.

Slow tests (the FRR lab, the browser) carry `@pytest.mark.slow`; CI runs them, a developer can skip
them with `make test FAST=1` (or `pytest -m "not slow"`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from unilink.store.db import Store

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
TOPOLOGY_ZOO = SHARED / "data" / "topology-zoo"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """UNILINK_FAST=1 skips the slow tests, like `make test FAST=1` (which deselects them)."""
    if os.environ.get("UNILINK_FAST") not in ("1", "true", "yes"):
        return
    skip = pytest.mark.skip(reason="UNILINK_FAST=1: slow lab/browser tests skipped (CI runs them)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def topology_zoo() -> Path:
    """The Topology Zoo files beside the project; skips when ../shared is absent."""
    if not TOPOLOGY_ZOO.is_dir():
        pytest.skip(f"{TOPOLOGY_ZOO} is absent: these tests read ../shared/data/topology-zoo")
    return TOPOLOGY_ZOO


# -- the store: a fresh database per test --------------------------------------------------------

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A migrated SQLite store in a file under tmp_path (WAL, foreign keys on)."""
    opened = Store.open(f"sqlite:///{tmp_path / 'unilink.db'}")
    yield opened
    opened.close()


def _postgres_admin_url() -> str:
    return os.environ.get("UNILINK_TEST_POSTGRES_URL", PG_ADMIN_URL)


@pytest.fixture
def pg_store() -> Iterator[Store]:
    """A migrated PostgreSQL store in a schema of its own (dropped afterwards); skips without a server.

    The server is UNILINK_TEST_POSTGRES_URL, by default the local one at 127.0.0.1:5432 (database
    `test`, trust auth). Each test gets a fresh schema through `search_path`, so tests never see each
    other's rows and the `test` database keeps nothing.
    """
    admin_url = _postgres_admin_url()
    try:
        admin = create_engine(admin_url, connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any reason the server cannot be used is a reason to skip
        pytest.skip(f"PostgreSQL unreachable at {admin_url}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    schema = f"unilink_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    opened = None
    try:
        separator = "&" if "?" in admin_url else "?"
        opened = Store.open(f"{admin_url}{separator}options=-csearch_path%3D{schema}")
        yield opened
    finally:
        if opened is not None:
            opened.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest) -> Store:
    """The same test on SQLite and on PostgreSQL (the PostgreSQL run skips without a server)."""
    return request.getfixturevalue("store" if request.param == "sqlite" else "pg_store")
