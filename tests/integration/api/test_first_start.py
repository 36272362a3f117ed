"""The first start: on a database nobody can administer, `unilink serve` prints one single-use sign-in
link; it opens an operator-admin portal session once, is never an API token, and nobody can mint an
operator session from a token of their own that they named like it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from unilink.access import accounts, first_start
from unilink.api.app import create_app
from unilink.cli.db_cmd import announce_first_start
from unilink.store import tenancy
from unilink.store.db import Store


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[tuple[TestClient, Store]]:
    store = Store.open(f"sqlite:///{tmp_path / 'unilink.db'}")
    app = create_app(store, rate_limit="off", deliver_webhooks=False)
    try:
        with TestClient(app, follow_redirects=False) as client:
            yield client, store
    finally:
        store.close()


def _printed_code(store: Store, capsys: pytest.CaptureFixture[str]) -> str:
    announce_first_start(store, "0.0.0.0", 8000)
    out = capsys.readouterr().out
    link = re.search(r"http://127\.0\.0\.1:8000/portal/welcome\?code=\S+", out)
    assert link is not None, out
    return parse_qs(urlsplit(link.group(0)).query)["code"][0]


def test_the_link_signs_in_once_then_is_dead(empty: tuple[TestClient, Store],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    client, store = empty
    code = _printed_code(store, capsys)
    announce_first_start(store, "127.0.0.1", 8000)  # a second start: a reminder, no second link
    again = capsys.readouterr().out
    assert "still unused" in again and "code=" not in again

    shown = client.get("/portal/welcome", params={"code": code})
    assert shown.status_code == 200 and "operator administrator" in shown.text  # GET spends nothing
    assert client.get("/api/v1/auth/whoami", headers={"Authorization": f"Bearer {code}"}).status_code == 401

    signed_in = client.post("/portal/welcome", data={"code": code})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal/network"
    assert client.get("/portal/network").status_code == 200  # the session cookie is the operator admin's
    client.cookies.clear()
    spent = client.post("/portal/welcome", data={"code": code})
    assert spent.status_code == 422 and "used already" in spent.text
    announce_first_start(store, "127.0.0.1", 8000)  # an operator admin exists now: nothing printed
    assert capsys.readouterr().out == ""


def test_a_tenants_token_named_like_the_link_opens_nothing(empty: tuple[TestClient, Store]) -> None:
    client, store = empty
    with store.session(write=True) as session:
        tenancy.add_tenant(session, "acme", "enterprise", "Acme")
        minted, _ = accounts.create_token(session, role="tenant-admin", tenant="acme",
                                          name=first_start.FIRST_START_NAME)
    refused = client.post("/portal/welcome", data={"code": minted.token})
    assert refused.status_code == 422 and "unilink_session" not in refused.headers.get("set-cookie", "")


def test_no_link_when_an_operator_admin_exists(empty: tuple[TestClient, Store],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _, store = empty
    with store.session(write=True) as session:
        accounts.create_token(session, role="operator-admin", tenant=None, name="noc")
    announce_first_start(store, "127.0.0.1", 8000)
    assert capsys.readouterr().out == ""
