"""The `api` fixture: an app over a fresh copy of a seeded SQLite database (see api_fixtures.py).

The database is migrated and seeded once per session and copied per test (a file copy is ~100x cheaper
than migrating), so every test, including each cell of the authorization matrix, starts clean.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fixtures import (
    Api,
    seed_accounts,
    seed_campaigns,
    seed_engine_objects,
    seed_invoices,
    seed_members,
    seed_objects,
    seed_usage,
    small_network,
)
from fastapi.testclient import TestClient

from unilink.access.backoff import LoginBackoff
from unilink.access.ratelimit import TokenBucketLimiter
from unilink.api.app import StoreHolder, create_app
from unilink.api.deps import Authenticator
from unilink.store.db import Store


@pytest.fixture(scope="session")
def api_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, object]]:
    path = tmp_path_factory.mktemp("api-template") / "unilink.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        store.replace_network(small_network())
        tokens = seed_accounts(store)
        objects = seed_objects(store)
        seed_engine_objects(store, objects)
        seed_campaigns(store, objects)
        seed_members(store, objects)
        seed_usage(store)
        seed_invoices(store, objects)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return path, tokens, objects


@pytest.fixture(scope="session")
def api_client() -> Iterator[TestClient]:
    """One app for the session; each test gives it its own store (below). Building an app per test would
    cost more than the test."""
    # the test webhooks point at 127.0.0.1, which a server refuses unless the operator allows it
    app = create_app(None, rate_limit="off", deliver_webhooks=False, webhook_allow="127.0.0.1")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def api(api_template: tuple[Path, dict[str, str], dict[str, object]], api_client: TestClient,
        tmp_path: Path) -> Iterator[Api]:
    template, tokens, objects = api_template
    copy = tmp_path / "unilink.db"
    shutil.copyfile(template, copy)
    store = Store.open(f"sqlite:///{copy}", migrate=False)  # the template is migrated already
    app = api_client.app
    app.state.store_holder = StoreHolder(store)
    app.state.authenticator = Authenticator(None)  # no token cached from another test's database
    app.state.login_backoff = LoginBackoff()  # no failed login of another test counts
    app.state.login_limiter = TokenBucketLimiter(rate_per_s=2, burst=10)  # nor its logins from "testclient"
    app.state.coop_public_limiter = None  # nor its public pledges (tests/integration/api tests the limit)
    try:
        yield Api(client=api_client, store=store, tokens=tokens, objects=objects)
    finally:
        store.close()
