"""The TMF tests' world: the seeded demo database (copied per test) behind the app, with tokens for the
wholesale buyer (`nordlink-wholesale`), another tenant (`acme-logistics`) and the operator."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tmf_helpers import TmfApi

from seeded_template import make_seeded_template
from unilink.api.app import create_app
from unilink.store.db import Store

TMF_TOKENS = {
    "op-admin": ("operator-admin", None),
    "op-viewer": ("operator-viewer", None),
    "buyer": ("tenant-admin", "nordlink-wholesale"),
    "buyer-viewer": ("tenant-viewer", "nordlink-wholesale"),
    "acme": ("tenant-admin", "acme-logistics"),
}


@pytest.fixture(scope="session")
def tmf_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("tmf-template") / "unilink.db"
    return path, make_seeded_template(path, TMF_TOKENS)


@pytest.fixture
def tmf_api(tmf_template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[TmfApi]:
    template, tokens = tmf_template
    copy = tmp_path / "unilink.db"
    shutil.copyfile(template, copy)
    store = Store.open(f"sqlite:///{copy}", migrate=False)  # the template was made by this code
    app = create_app(store, rate_limit="off", deliver_webhooks=False, webhook_allow="127.0.0.1")
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield TmfApi(client=client, store=store, tokens=tokens)
    finally:
        store.close()
