"""The authorization matrix of the TMF routes: every route × every role × own/other tenant → the exact
status. The TMF routers are mounted with include_in_schema=False (their contract is TM Forum's
documents, not /openapi.json), so tests/unit/api/test_authorization_matrix.py does not see them:
this matrix covers them, and fails when a TMF route has no row.

Callers: anonymous, op-admin, op-viewer, buyer (tenant-admin of nordlink-wholesale, whose objects
these are), buyer-viewer, acme (tenant-admin of another tenant). Every cell runs on a fresh copy of
a database holding the buyer's objects: an order, an open order (field work), a cancellation, hubs.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tmf_helpers import CATALOG, INVENTORY, ORDERING, TmfApi, access_item, conforms, rate_item

from unilink.api.app import create_app
from unilink.store.db import Store

ROLES = ("anonymous", "op-admin", "op-viewer", "buyer", "buyer-viewer", "acme")
BUYER = {"tenant": "nordlink-wholesale"}


def any_role(ok: int = 200) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, ok), "anonymous": 401}


def read_own(ok: int = 200) -> dict[str, int]:
    return {**any_role(ok), "acme": 404}


def write_own(ok: int) -> dict[str, int]:
    return {"anonymous": 401, "op-admin": ok, "op-viewer": 403, "buyer": ok, "buyer-viewer": 403, "acme": 404}


def any_writer(ok: int) -> dict[str, int]:
    return {**write_own(ok), "acme": ok}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expected: dict[str, int]
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{'?tenant' if self.params else ''}"


HOOK = {"callback": "http://127.0.0.1:9/listener"}
CASES = [
    Case("GET", f"{ORDERING}/serviceOrder", any_role()),
    Case("POST", f"{ORDERING}/serviceOrder", write_own(201), {"serviceOrderItem": [rate_item("1", "{eline}", "1G")]},
         BUYER),
    Case("GET", f"{ORDERING}/serviceOrder/{{order}}", read_own()),
    Case("PATCH", f"{ORDERING}/serviceOrder/{{order}}", write_own(200), {"description": "matrix"}),
    Case("GET", f"{ORDERING}/cancelServiceOrder", any_role()),
    # another tenant's order: 400 naming serviceOrder.id, as one that does not exist (no 404 in TMF641's create)
    Case("POST", f"{ORDERING}/cancelServiceOrder", {**write_own(201), "acme": 400},
         {"serviceOrder": {"id": "{open_order}"}}),
    Case("GET", f"{ORDERING}/cancelServiceOrder/{{cancel}}", read_own()),
    Case("POST", f"{ORDERING}/hub", any_writer(201), HOOK),
    Case("DELETE", f"{ORDERING}/hub/{{ordering_hub}}", write_own(204)),
    Case("GET", f"{INVENTORY}/service", any_role()),
    Case("GET", f"{INVENTORY}/service/{{eline}}", read_own()),
    Case("POST", f"{INVENTORY}/hub", any_writer(201), HOOK),
    Case("DELETE", f"{INVENTORY}/hub/{{inventory_hub}}", write_own(204)),
    Case("GET", f"{CATALOG}/serviceSpecification", any_role()),
    Case("GET", f"{CATALOG}/serviceSpecification/internet", any_role()),
    Case("GET", f"{CATALOG}/serviceCatalog", any_role()),
    Case("GET", f"{CATALOG}/serviceCatalog/unilink", any_role()),
    Case("POST", f"{CATALOG}/hub", any_writer(201), HOOK),
    Case("DELETE", f"{CATALOG}/hub/{{catalog_hub}}", write_own(204)),
]


@pytest.fixture(scope="module")
def seeded(tmf_template: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, dict[str, str], dict[str, str]]:
    """The template plus the buyer's objects, made once through the API."""
    template, tokens = tmf_template
    path = tmp_path_factory.mktemp("tmf-matrix") / "unilink.db"
    shutil.copyfile(template, path)
    store = Store.open(f"sqlite:///{path}", migrate=False)
    with TestClient(create_app(store, rate_limit="off", deliver_webhooks=False, webhook_allow="127.0.0.1")) as c:
        api = TmfApi(c, store, tokens)
        eline = api.call("GET", f"{INVENTORY}/service", "buyer",
                         params={"name": "oslo-handoff-hamburg-handoff"}).json()[0]["id"]
        order = api.call("POST", f"{ORDERING}/serviceOrder", "buyer",
                         json={"serviceOrderItem": [rate_item("1", eline, "1.2G")]}).json()["id"]
        cancelled = api.call("POST", f"{ORDERING}/serviceOrder", "buyer",
                             json={"serviceOrderItem": [access_item("1", "berlin-pop", "Hamburg")]}).json()["id"]
        cancel = api.call("POST", f"{ORDERING}/cancelServiceOrder", "buyer",
                          json={"serviceOrder": {"id": cancelled}}).json()["id"]
        open_order = api.call("POST", f"{ORDERING}/serviceOrder", "buyer",
                              json={"serviceOrderItem": [access_item("1", "kiel-pop", "Hamburg")]}).json()["id"]
        objects = {"eline": eline, "order": order, "cancel": cancel, "open_order": open_order}
        for name, base in (("ordering_hub", ORDERING), ("inventory_hub", INVENTORY), ("catalog_hub", CATALOG)):
            objects[name] = api.call("POST", f"{base}/hub", "buyer", json=HOOK).json()["id"]
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path, tokens, objects


@pytest.fixture
def cell(seeded: tuple[Path, dict[str, str], dict[str, str]], tmp_path: Path
         ) -> Iterator[tuple[TmfApi, dict[str, str]]]:
    path, tokens, objects = seeded
    copy = tmp_path / "unilink.db"
    shutil.copyfile(path, copy)
    store = Store.open(f"sqlite:///{copy}", migrate=False)
    try:
        with TestClient(create_app(store, rate_limit="off", deliver_webhooks=False, webhook_allow="127.0.0.1"),
                        raise_server_exceptions=False) as client:
            yield TmfApi(client, store, tokens), objects
    finally:
        store.close()


def _filled(node: Any, objects: dict[str, str]) -> Any:
    if isinstance(node, str):
        return node.format(**objects)
    if isinstance(node, dict):
        return {k: _filled(v, objects) for k, v in node.items()}
    if isinstance(node, list):
        return [_filled(v, objects) for v in node]
    return node


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_status(cell: tuple[TmfApi, dict[str, str]], case: Case, role: str) -> None:
    api, objects = cell
    response = api.call(case.method, case.path.format(**objects), None if role == "anonymous" else role,
                        json=_filled(case.body, objects), params=case.params)
    assert response.status_code == case.expected[role], response.text
    if response.status_code >= 400:
        conforms("TMF641", "Error", response.json())  # the specs' Error body, whatever refused it


def test_matrix_covers_every_tmf_route(cell: tuple[TmfApi, dict[str, str]]) -> None:
    import re

    api, objects = cell
    routes = {(method, route.path) for route in api.client.app.routes if getattr(route, "path", "").startswith(
        "/tmf-api/") for method in route.methods}
    covered = set()
    for case in CASES:
        path = case.path.format(**objects)
        for method, template in routes:
            pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
            if method == case.method and re.match(pattern, path):
                covered.add((method, template))
    assert routes - covered == set()
