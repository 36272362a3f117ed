"""The `api` fixture: see api_fixtures.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_fixtures import Api, seed_accounts, small_network
from fastapi.testclient import TestClient

from unilink.api.app import create_app
from unilink.store.db import Store


@pytest.fixture
def api(store: Store) -> Iterator[Api]:
    store.replace_network(small_network())
    tokens = seed_accounts(store)
    app = create_app(store, rate_limit="off", deliver_webhooks=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, store=store, tokens=tokens)
