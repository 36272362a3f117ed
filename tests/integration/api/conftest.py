"""A seeded sample database (the demo tenants with their intents applied), copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_api import DemoApi
from fastapi.testclient import TestClient

from seeded_template import make_seeded_template
from unilink.api.app import create_app
from unilink.store.db import Store

DEMO_TOKENS = {
    "op-admin": ("operator-admin", None),
    "op-viewer": ("operator-viewer", None),
    "acme-admin": ("tenant-admin", "acme-logistics"),
    "acme-viewer": ("tenant-viewer", "acme-logistics"),
    "nordlink-admin": ("tenant-admin", "nordlink-wholesale"),
    "coop-manager": ("coop-manager", "coop-mahieu"),
}


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("demo-template") / "unilink.db"
    return path, make_seeded_template(path, DEMO_TOKENS)


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
