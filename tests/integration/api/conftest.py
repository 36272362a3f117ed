"""A seeded sample database (the demo tenants with their intents applied), copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from unilink.api import accounts
from unilink.api.app import create_app
from unilink.store.db import Store
from unilink.store.seed import seed

DEMO_TOKENS = {
    "op-admin": ("operator-admin", None),
    "op-viewer": ("operator-viewer", None),
    "acme-admin": ("tenant-admin", "acme-logistics"),
    "acme-viewer": ("tenant-viewer", "acme-logistics"),
    "nordlink-admin": ("tenant-admin", "nordlink-wholesale"),
    "coop-manager": ("coop-manager", "coop-mahieu"),
}


@dataclass
class DemoApi:
    client: TestClient
    store: Store
    tokens: dict[str, str]

    def call(self, method: str, path: str, who: str | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kwargs)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("demo-template") / "unilink.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        seed(store)
        with store.session(write=True) as session:
            tokens = {who: accounts.create_token(session, role=role, tenant=tenant, name=who)[0].token
                      for who, (role, tenant) in DEMO_TOKENS.items()}
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return path, tokens


@pytest.fixture
def demo(demo_template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[DemoApi]:
    template, tokens = demo_template
    copy = tmp_path / "unilink.db"
    shutil.copyfile(template, copy)
    store = Store.open(f"sqlite:///{copy}", migrate=False)
    app = create_app(store, rate_limit="off", deliver_webhooks=False)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield DemoApi(client=client, store=store, tokens=tokens)
    finally:
        store.close()
