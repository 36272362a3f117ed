"""Issue 11 item 7: tenants racing for one bridge link over the API never meet a spurious conflict.

Six tenants, each with a site in Paris and one in Turin (whose only link is Milan-Turin, 1G), plan
an E-Line at the same time over the API, then apply what they got. A plan holds its capacity and
pool values (engine.holds), so exactly ⌊1G / rate⌋ plans are made and every one of them applies;
the others are refused at once with 422 naming the link and what is free. Twenty rounds, each
undone before the next.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from unilink.access import accounts
from unilink.api.app import create_app
from unilink.engine import apply, plan
from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.store.db import Store
from unilink.store.tenancy import add_tenant

G, M = 10**9, 10**6
K = 6
BRIDGE = "Milan-Turin"
ACCESS = {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}


def bridged() -> Network:
    """Paris — Lyon — Milan in a ring with Frankfurt, and Turin hanging off Milan by one 1G link."""
    pops = [Pop("Paris", "Paris", "FR", 48.86, 2.35), Pop("Lyon", "Lyon", "FR", 45.76, 4.84),
            Pop("Milan", "Milan", "IT", 45.46, 9.19), Pop("Frankfurt", "Frankfurt", "DE", 50.11, 8.68),
            Pop("Turin", "Turin", "IT", 45.07, 7.69)]
    by = {p.name: p for p in pops}
    routers = [Router(f"{p.name.lower()}-pe1", p.name, RouterRole.EDGE, Vendor.JUNOS, f"10.255.0.{i + 1}")
               for i, p in enumerate(pops)]
    links = [make_link("Paris-Lyon", by["Paris"], by["Lyon"], 10 * G),
             make_link("Lyon-Milan", by["Lyon"], by["Milan"], 10 * G),
             make_link("Milan-Frankfurt", by["Milan"], by["Frankfurt"], 10 * G),
             make_link("Frankfurt-Paris", by["Frankfurt"], by["Paris"], 10 * G),
             make_link(BRIDGE, by["Milan"], by["Turin"], 1 * G)]
    return Network("bridged", pops, routers, links, [])


def sites(tenant: str) -> list[dict[str, Any]]:
    return [{"name": f"{tenant}-paris", "pop": "Paris", "access": ACCESS},
            {"name": f"{tenant}-turin", "pop": "Turin", "access": ACCESS}]


def line(tenant: str, rate: int) -> dict[str, Any]:
    return {"sites": sites(tenant), "services": [{"kind": "eline", "name": f"{tenant}-line", "a": f"{tenant}-paris",
                                                  "b": f"{tenant}-turin", "rate": f"{rate // M}M"}]}


@pytest.fixture
def race(tmp_path: Path) -> Iterator[tuple[TestClient, Store, dict[str, str]]]:
    store = Store.open(f"sqlite:///{tmp_path / 'race.db'}")
    store.replace_network(bridged())
    tokens = {}
    with store.session(write=True) as session:
        for i in range(K):
            add_tenant(session, f"t{i}", "enterprise", f"Tenant {i}")
            tokens[f"t{i}"] = accounts.create_token(session, role="tenant-admin", tenant=f"t{i}", name=f"t{i}")[0].token
    for tenant in tokens:  # the accesses are in place: the race is for the backbone only
        apply(store, plan(store, tenant, {"sites": sites(tenant), "services": []}, accesses_installed=True).id)
    app = create_app(store, rate_limit="off", deliver_webhooks=False)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, store, tokens
    finally:
        store.close()


def _at_once(calls: list[tuple[str, Any]]) -> dict[str, Any]:
    """Run the calls in threads released together; who → response."""
    start, out = threading.Barrier(len(calls)), {}

    def run(who: str, call: Any) -> None:
        start.wait()
        out[who] = call()

    threads = [threading.Thread(target=run, args=c) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def test_exactly_the_plans_that_fit_are_made_and_every_one_applies(
        race: tuple[TestClient, Store, dict[str, str]]) -> None:
    client, _store, tokens = race
    auth = {t: {"Authorization": f"Bearer {tok}"} for t, tok in tokens.items()}
    rates = [300 * M, 250 * M, 400 * M, 150 * M, 200 * M, 350 * M, 500 * M, 600 * M, 100 * M, 333 * M]
    for round_no in range(20):
        rate = rates[round_no % len(rates)]
        winners_expected = min(K, (1 * G) // rate)
        plans = _at_once([(t, lambda t=t, rate=rate: client.post("/api/v1/plans", json=line(t, rate), headers=auth[t]))
                          for t in tokens])
        made = {t: r.json()["id"] for t, r in plans.items() if r.status_code == 201}
        refused = {t: r for t, r in plans.items() if r.status_code != 201}
        assert len(made) == winners_expected, (round_no, rate, {t: r.text[:300] for t, r in refused.items()})
        for r in refused.values():
            assert r.status_code == 422, r.text
            assert BRIDGE in r.text
            free = 1 * G - winners_expected * rate
            assert any(b["link"] == BRIDGE and b["free_bps"] == free for b in r.json()["details"]["bottleneck"]), r.text
        applied = _at_once([(t, lambda t=t, p=p: client.post(f"/api/v1/plans/{p}/apply", headers=auth[t]))
                            for t, p in made.items()])
        assert {t: r.status_code for t, r in applied.items()} == dict.fromkeys(made, 200), \
            {t: r.text[:300] for t, r in applied.items()}
        for t in made:  # back to the accesses alone for the next round
            undo = client.post("/api/v1/plans", json={"sites": sites(t), "services": []}, headers=auth[t])
            removal = client.post(f"/api/v1/plans/{undo.json()['id']}/apply", headers=auth[t],
                                  json={"confirm_removals": True})  # the E-Line goes: a live service
            assert removal.status_code == 200, removal.text


def test_a_cancelled_plan_releases_its_hold_and_cannot_be_applied(
        race: tuple[TestClient, Store, dict[str, str]]) -> None:
    client, _store, tokens = race
    auth = {t: {"Authorization": f"Bearer {tok}"} for t, tok in tokens.items()}
    first = client.post("/api/v1/plans", json=line("t0", 800 * M), headers=auth["t0"])
    assert first.status_code == 201
    blocked = client.post("/api/v1/plans", json=line("t1", 800 * M), headers=auth["t1"])
    assert blocked.status_code == 422 and BRIDGE in blocked.text  # t0's plan holds 800M of the 1G
    plan_id = first.json()["id"]
    assert client.post(f"/api/v1/plans/{plan_id}/cancel", headers=auth["t1"]).status_code == 404  # not t1's
    cancelled = client.post(f"/api/v1/plans/{plan_id}/cancel", headers=auth["t0"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/plans/{plan_id}/apply", headers=auth["t0"])
    assert again.status_code == 409 and "cancelled" in again.text
    assert client.post("/api/v1/plans", json=line("t1", 800 * M), headers=auth["t1"]).status_code == 201


def test_a_tenant_holds_one_plan_at_a_time(race: tuple[TestClient, Store, dict[str, str]]) -> None:
    """Planning cannot hoard capacity: a tenant's newer plan releases the hold of its older one."""
    client, _store, tokens = race
    auth = {t: {"Authorization": f"Bearer {tok}"} for t, tok in tokens.items()}
    assert client.post("/api/v1/plans", json=line("t0", 800 * M), headers=auth["t0"]).status_code == 201
    assert client.post("/api/v1/plans", json=line("t0", 100 * M), headers=auth["t0"]).status_code == 201
    # t0 now holds 100M, not 900M: 900M are free for t1
    assert client.post("/api/v1/plans", json=line("t1", 900 * M), headers=auth["t1"]).status_code == 201
