"""The billing tests' world: acme's November (billing_world.py), built through the engine once per
session into a SQLite template that each test copies (a copy is ~100× cheaper than the build), and
built afresh for each PostgreSQL test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from billing_world import build_november

from unilink.clock import FrozenClock
from unilink.store.db import Store

NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def november_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("november") / "unilink.db"
    clock = FrozenClock(NOW)
    with Store.open(f"sqlite:///{path}", clock=clock) as store:
        build_november(store, clock)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def november(request: pytest.FixtureRequest, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Store]:
    """acme's November on SQLite (a copy of the template) and on PostgreSQL (built), the clock at NOW."""
    if request.param == "postgresql":
        store = request.getfixturevalue("pg_store")
        build_november(store, frozen_clock)
        frozen_clock.set(NOW)
        yield store
        return
    copy = tmp_path / "unilink.db"
    shutil.copyfile(request.getfixturevalue("november_template"), copy)
    frozen_clock.set(NOW)
    with Store.open(f"sqlite:///{copy}", migrate=False) as store:
        yield store


@pytest.fixture
def november_sqlite(november_template: Path, tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[Store]:
    copy = tmp_path / "unilink.db"
    shutil.copyfile(november_template, copy)
    frozen_clock.set(NOW)
    with Store.open(f"sqlite:///{copy}", migrate=False) as store:
        yield store
