"""A revoked token stops working at once in every server process, not only the one that revoked it.

Each app instance below has its own store (its own connections) and its own authenticator (its own
memory of tokens), as two server processes would; they share one database. The token is used on both
first, so that both hold it in memory, then revoked elsewhere, and the very next request is refused.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from unilink.access import accounts, authn
from unilink.api.app import create_app
from unilink.store import tenancy
from unilink.store.db import Store

UNILINK = Path(sys.executable).parent / "unilink"


def _seed(store: Store) -> dict[str, str]:
    with store.session(write=True) as session:
        tenancy.add_tenant(session, "acme", "enterprise", "Acme")
        return {who: accounts.create_token(session, role=role, tenant=tenant, name=who)[0].token
                for who, role, tenant in (("admin", "tenant-admin", "acme"), ("viewer", "tenant-viewer", "acme"),
                                          ("ci", "tenant-viewer", "acme"))}


def _two_servers(url: str, stack: ExitStack) -> tuple[TestClient, TestClient]:
    clients = []
    for _ in range(2):
        store = Store.open(url, migrate=False)
        stack.callback(store.close)
        app = create_app(store, rate_limit="off", deliver_webhooks=False)
        clients.append(stack.enter_context(TestClient(app, raise_server_exceptions=False)))
    return clients[0], clients[1]


def _whoami(client: TestClient, token: str) -> int:
    return client.get("/api/v1/auth/whoami", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.fixture
def shared(any_store: Store) -> Iterator[tuple[TestClient, TestClient, dict[str, str], Store]]:
    tokens = _seed(any_store)
    with ExitStack() as stack:
        first, second = _two_servers(any_store.engine.url.render_as_string(hide_password=False), stack)
        yield first, second, tokens, any_store


def test_a_token_revoked_through_one_server_is_refused_by_the_other_at_once(shared) -> None:
    first, second, tokens, _ = shared
    for _ in range(3):  # both servers now hold the token in memory
        assert _whoami(first, tokens["viewer"]) == _whoami(second, tokens["viewer"]) == 200
    prefix = tokens["viewer"].split("_")[1]
    revoked = second.delete(f"/api/v1/tokens/{prefix}", headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert _whoami(first, tokens["viewer"]) == 401  # the next request, no waiting
    assert _whoami(second, tokens["viewer"]) == 401
    assert _whoami(first, tokens["admin"]) == 200  # the others keep working


def test_a_token_revoked_by_the_cli_in_another_process_is_refused_at_once(shared) -> None:
    first, second, tokens, store = shared
    assert _whoami(first, tokens["ci"]) == _whoami(second, tokens["ci"]) == 200
    prefix = tokens["ci"].split("_")[1]
    env = {**os.environ, "UNILINK_DATABASE_URL": store.engine.url.render_as_string(hide_password=False)}
    done = subprocess.run([str(UNILINK), "token", "revoke", prefix, "--json"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert _whoami(first, tokens["ci"]) == _whoami(second, tokens["ci"]) == 401


def test_one_query_answers_every_request_that_arrived_before_it(store: Store,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The batched check (the path of PostgreSQL): concurrent requests share queries, and a revocation
    committed before a request arrived is always seen by it."""
    tokens = _seed(store)
    prefixes = {who: token.split("_")[1] for who, token in tokens.items()}
    queries: list[set[str]] = []
    real = authn.live_prefixes

    def counted(store: Store, wanted: set[str]) -> set[str]:
        queries.append(set(wanted))
        return real(store, wanted)

    monkeypatch.setattr(authn, "live_prefixes", counted)
    live = authn.LiveTokens()

    async def burst() -> list[bool]:
        return await asyncio.gather(*(live.alive(store, prefixes[who]) for who in ("admin", "viewer") * 50))

    assert asyncio.run(burst()) == [True] * 100
    assert len(queries) <= 2 and set().union(*queries) == {prefixes["admin"], prefixes["viewer"]}
    with store.session(write=True) as session:
        accounts.revoke_token(session, prefixes["viewer"], None)
    assert asyncio.run(burst()) == [True, False] * 50
