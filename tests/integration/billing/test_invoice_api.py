"""/api/v1/invoices over HTTP on acme's November (billing_world.py): an operator-admin issues the
month and credits it; acme reads its own invoice, lines, CSV and e-invoice; globex gets 404 for it;
bad input is a 422 naming the field, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from billing_world import NOVEMBER_NET, NOVEMBER_TOTAL
from facturx import xml_check_xsd
from fastapi.testclient import TestClient

from unilink.access import accounts
from unilink.api.app import create_app
from unilink.store.db import Store

NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


@pytest.fixture
def client(november_sqlite: Store) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    store = november_sqlite
    with store.session(write=True) as session:
        tokens = {who: accounts.create_token(session, role=role, tenant=tenant, name=who)[0].token
                  for who, role, tenant in (("op", "operator-admin", None), ("acme", "tenant-viewer", "acme"),
                                            ("globex", "tenant-admin", "globex"))}
    with TestClient(create_app(store, rate_limit="off", deliver_webhooks=False)) as test_client:
        yield test_client, {who: {"Authorization": f"Bearer {token}"} for who, token in tokens.items()}


def test_issue_read_and_credit_over_http(client: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    http, auth = client
    issued = http.post("/api/v1/invoices", json={"tenant": "acme", "month": "2026-11"}, headers=auth["op"])
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    assert (number, issued.json()["total_cents"]) == ("UL-000001", NOVEMBER_TOTAL)

    mine = http.get(f"/api/v1/invoices/{number}", headers=auth["acme"]).json()
    assert mine["net_cents"] == NOVEMBER_NET
    lines = http.get(f"/api/v1/invoices/{number}/lines", headers=auth["acme"]).json()
    assert sum(line["cents"] for line in lines) == NOVEMBER_NET
    csv_answer = http.get(f"/api/v1/invoices/{number}/csv", headers=auth["acme"])
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.text.splitlines()[-1] == "UL-000001,,total,,,,1846.31"
    xml_answer = http.get(f"/api/v1/invoices/{number}/xml", headers=auth["acme"])
    assert xml_answer.headers["content-type"] == "application/xml"
    assert xml_check_xsd(xml_answer.content, flavor="factur-x", level="en16931") is True
    assert [d["number"] for d in http.get("/api/v1/invoices", headers=auth["acme"]).json()] == [number]

    for path in ("", "/lines", "/csv", "/xml"):      # another tenant's invoice: as if there were none
        hidden = http.get(f"/api/v1/invoices/{number}{path}", headers=auth["globex"])
        assert hidden.status_code == 404 and hidden.json()["field"] == "number"
    assert http.get("/api/v1/invoices", headers=auth["globex"]).json() == []
    assert http.get("/api/v1/invoices", params={"tenant": "acme"}, headers=auth["globex"]).status_code == 404

    note = http.post(f"/api/v1/invoices/{number}/credit-notes", json={"reason": "outage", "amount_cents": 10_000},
                     headers=auth["op"])
    assert note.status_code == 201 and (note.json()["corrects"], note.json()["total_cents"]) == (number, 12_000)
    assert http.post(f"/api/v1/invoices/{number}/credit-notes", json={"reason": "x"},
                     headers=auth["acme"]).status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"tenant": "acme", "month": "2026-13"}, "month"),
    ({"tenant": "acme", "month": "2026-12"}, "month"),
    ({"tenant": "initech", "month": "2026-11"}, "tenant"),
    ({"tenant": "acme", "month": "2026-11", "vat_percent": 250}, "vat_percent"),
])
def test_bad_input_is_a_clear_refusal(client: tuple[TestClient, dict[str, dict[str, str]]], body: dict,
                                      field: str) -> None:
    http, auth = client
    refused = http.post("/api/v1/invoices", json=body, headers=auth["op"])
    assert refused.status_code in (404, 422) and refused.json()["field"] == field, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert http.get("/api/v1/invoices", headers=auth["op"]).json() == []
    assert http.get("/api/v1/invoices", params={"period": "2026-13"}, headers=auth["op"]).json()["field"] == "period"
