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

from frozen_time import TEST_NOW
from unilink import clock
from unilink.clock import FrozenClock
from unilink.store.db import Store

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
TOPOLOGY_ZOO = SHARED / "data" / "topology-zoo"


# The real parts: under CI=true a test that needs one of them may not skip (see _real_part_skipped).
REAL_PARTS = ("lab", "browser", "netconf", "postgres", "prometheus")
# Where the markers are not written on the test itself, the place or the fixture says it.
_REAL_PART_PATHS = {"lab": "tests/lab/", "browser": "tests/e2e/test_portal_browser.py",
                    "netconf": "tests/integration/devices/test_dev_netconf.py"}
_REAL_PART_FIXTURES = {"postgres": "pg_store"}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that need a real part; UNILINK_FAST=1 skips the slow tests (as `make test FAST=1`)."""
    for item in items:
        where = item.nodeid.replace("\\", "/")
        for part, prefix in _REAL_PART_PATHS.items():
            if where.startswith(prefix):
                item.add_marker(getattr(pytest.mark, part))
        for part, fixture in _REAL_PART_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(getattr(pytest.mark, part))
    if os.environ.get("UNILINK_FAST") not in ("1", "true", "yes"):
        return
    skip = pytest.mark.skip(reason="UNILINK_FAST=1: slow lab/browser tests skipped (CI runs them)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true, a skipped lab, browser, NETCONF or PostgreSQL test is a failure.

    A green CI must mean the real routers, browser, NETCONF server and database were exercised: a
    missing package or an unreachable server would otherwise turn those tests into quiet skips.
    """
    outcome = yield
    report = outcome.get_result()
    if not (_in_ci() and report.skipped):
        return
    parts = [part for part in REAL_PARTS if item.get_closest_marker(part)]
    if item.get_closest_marker("kernel_feature"):  # a probe of what this kernel has, not a missing package
        return
    if parts and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true: this {'/'.join(parts)} test may not skip ({reason})"


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Under CI=true, a test module that skips as a whole (e.g. playwright missing) is a failure too."""
    if _in_ci() and report.skipped:
        where = report.nodeid.replace("\\", "/")
        if any(where.startswith(prefix) for prefix in _REAL_PART_PATHS.values()):
            report.outcome = "failed"
            report.longrepr = f"CI=true: {where} needs a real part and may not skip ({report.longrepr})"




# One frozen clock for the whole session, so that stores opened by fixtures of any scope run on it;
# each test starts it again at TEST_NOW (see tests/frozen_time.py).
_FROZEN = FrozenClock(TEST_NOW)


def pytest_configure(config: pytest.Config) -> None:
    clock.set_default(_FROZEN)
    # registered here rather than in pyproject.toml's list, beside REAL_PARTS that gives it its meaning
    config.addinivalue_line("markers", "prometheus: needs a real Prometheus server (Debian's prometheus)")


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[FrozenClock]:
    """The clock every store opened in the tests runs on: at TEST_NOW (move it with .set/.advance)."""
    _FROZEN.set(TEST_NOW)
    yield _FROZEN
    _FROZEN.set(TEST_NOW)


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


# -- the capacity invariant: checked after every write in the whole suite ----------------------------

@pytest.fixture(autouse=True)
def _capacity_invariant(request: pytest.FixtureRequest) -> Iterator[None]:
    """On every link and direction, at every instant, booked ≤ capacity (issue 11): checked from the
    database after each committed write of the test — every plan, apply, revert, scheduler tick and
    inventory change. `@pytest.mark.capacity_invariant_off` for a test that oversells on purpose."""
    from unilink.store import db
    from unilink.store.capacity_audit import assert_not_oversold as capacity_invariant

    if request.node.get_closest_marker("capacity_invariant_off"):
        yield
        return
    db.AFTER_WRITE.append(capacity_invariant)
    try:
        yield
    finally:
        db.AFTER_WRITE.remove(capacity_invariant)
