"""A tenant never reads another tenant's configuration, names or rates (issue 11, item 2).

Property: another tenant ("the neighbour") is attached to routers this tenant shares; whatever the
routers' vendor (every rendering, ietf through a NETCONF driver included), whatever the change (rate,
new site, VPN on, VPN off, E-Line, boost), what this tenant reads — the plan (POST and GET, with
?devices=full), the CLI's output of it, the history, intent versions, audit, events (the webhook
payloads), status, reservations, and the portal pages — holds none of the neighbour's marker
strings: its name, its site and service names (in router descriptions), and its one distinctive rate.

The neighbour's markers are picked so that a match is exact: every name it uses contains "zeb", and
all its rates are 123456 kbit/s, which renders as 123456000 (bit/s) or 123456 (kbit/s).
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from engine_helpers import go  # noqa: E402
from engine_world import NOW, small_network  # noqa: E402

from unilink.access import accounts  # noqa: E402
from unilink.api.app import create_app  # noqa: E402
from unilink.cli import change_cmd  # noqa: E402
from unilink.clock import FrozenClock  # noqa: E402
from unilink.devices.journal import last_committed  # noqa: E402
from unilink.engine import runtime as rt  # noqa: E402
from unilink.inventory.model import Network, Vendor  # noqa: E402
from unilink.store.db import Store  # noqa: E402
from unilink.store.tenancy import add_tenant  # noqa: E402

MARKERS = ("zeb", "123456")   # in every name and every rate of the neighbour
RATE = "123456k"
PEOPLE = ("acme", "globex")   # the tenant reading; the neighbour's name is drawn too
NEIGHBOURS = ("zebra-wholesale", "zebcoop")
POPS = ("Paris", "Lyon", "Milan", "Frankfurt", "London")
# every rendering: each vendor through its CLI, and ietf XML for a router reached over NETCONF
RENDERINGS = [(v.value, "sim") for v in Vendor] + [("junos", "netconf")]
CHANGES = ("rate", "add-site", "vpn-on", "vpn-off", "eline", "boost")


def _site(name: str, pop: str, rate: str = "1G") -> dict[str, Any]:
    return {"name": name, "pop": pop, "access": {"technology": "fibre", "port": "1G", "down": rate, "up": rate}}


def neighbour(pops: list[str]) -> dict[str, Any]:
    """The other tenant, at `pops`: Internet, and with two PoPs or more a VPN and an E-Line, all at RATE."""
    sites = [_site(f"zebsite-{p.lower()}", p) for p in pops]
    services: list[dict[str, Any]] = [{"kind": "internet", "name": f"zebnet-{p.lower()}",
                                       "site": f"zebsite-{p.lower()}", "rate": RATE} for p in pops]
    if len(pops) > 1:
        services.append({"kind": "ipvpn", "name": "zebvpn",
                         "members": [{"site": s["name"], "rate": RATE} for s in sites]})
        services.append({"kind": "eline", "name": "zebline", "a": sites[0]["name"], "b": sites[1]["name"],
                         "rate": RATE})
    return {"sites": sites, "services": services}


MINE: dict[str, Any] = {
    "sites": [_site("hq", "Paris"), _site("plant", "Lyon"), _site("office", "Milan"), _site("depot", "Frankfurt")],
    "services": [{"kind": "internet", "name": "hq-internet", "site": "hq", "rate": "200M"},
                 {"kind": "internet", "name": "depot-internet", "site": "depot", "rate": "20M"},
                 {"kind": "ipvpn", "name": "corp", "members": [{"site": "hq", "rate": "100M"},
                                                               {"site": "plant", "rate": "100M"},
                                                               {"site": "office", "rate": "30M"}]}],
}


def changed(kind: str) -> dict[str, Any]:
    doc = copy.deepcopy(MINE)
    services = doc["services"]
    if kind == "rate":
        services[0]["rate"] = "300M"
    elif kind == "add-site":
        doc["sites"].append(_site("shop", "London"))
        services.append({"kind": "internet", "name": "shop-internet", "site": "shop", "rate": "50M"})
    elif kind == "vpn-on":
        services[2]["members"].append({"site": "depot", "rate": "40M"})
    elif kind == "vpn-off":
        services[2]["members"].pop()
    elif kind == "eline":
        services.append({"kind": "eline", "name": "replication", "a": "hq", "b": "office", "rate": "50M"})
    elif kind == "boost":
        doc["boosts"] = [{"service": "corp", "site": "hq", "rate": "400M",
                          "until": (NOW + timedelta(days=3)).isoformat()}]
    return doc


def _network(vendor: str, driver: str) -> Network:
    net = small_network()
    return replace(net, routers=[replace(r, vendor=Vendor(vendor), driver=driver) for r in net.routers])


@contextmanager
def _world(vendor: str, driver: str, me: str, other: str, other_pops: list[str], *, order: str = "before"
           ) -> Iterator[tuple[TestClient, Store, str]]:
    """A store with the neighbour deployed `before` this tenant, `after` it, or not at all (`none`)."""
    with tempfile.TemporaryDirectory(prefix="isolation-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'unilink.db'}")
        try:
            store.replace_network(_network(vendor, driver))
            with store.session(write=True) as session:
                add_tenant(session, me, "enterprise", me.title())
                add_tenant(session, other, "enterprise", other.title())
                token = accounts.create_token(session, role="tenant-admin", tenant=me, name="reader")[0].token
            if order == "before":
                go(store, other, neighbour(other_pops), NOW, accesses_installed=True)
            go(store, me, MINE, NOW, accesses_installed=True)
            if order == "after":
                go(store, other, neighbour(other_pops), NOW, accesses_installed=True)
            app = create_app(store, rate_limit="off", deliver_webhooks=False)
            with TestClient(app, raise_server_exceptions=True, follow_redirects=False) as client:
                yield client, store, token
        finally:
            store.close()
            rt.forget(store)


def _leaks(where: str, text: str) -> list[str]:
    lowered = text.lower()
    return [f"{where}: {marker!r}" for marker in MARKERS if marker in lowered]


def _cli_output(view: dict[str, Any]) -> str:
    with change_cmd.console.capture() as captured:
        change_cmd.show_plan(view, devices=True)
    return captured.get()


def _everything_the_tenant_reads(client: TestClient, token: str, kind: str) -> dict[str, str]:
    auth = {"Authorization": f"Bearer {token}"}
    made = client.post("/api/v1/plans", params={"devices": "full"}, json=changed(kind), headers=auth)
    assert made.status_code == 201, made.text
    plan = made.json()
    assert not plan["empty"], "each change alters the routers"
    read: dict[str, str] = {"POST /plans": made.text, "CLI plan": _cli_output(plan)}
    read["GET /plans/{id}"] = client.get(f"/api/v1/plans/{plan['id']}", params={"devices": "full"},
                                         headers=auth).text
    applied = client.post(f"/api/v1/plans/{plan['id']}/apply", json={"reason": "test", "confirm_removals": True},
                          headers=auth)
    assert applied.status_code == 200, applied.text
    read["apply"] = applied.text
    for path in ("/api/v1/history", "/api/v1/intent/versions/1", "/api/v1/intent", "/api/v1/audit",
                 "/api/v1/events", "/api/v1/status", "/api/v1/reservations", "/api/v1/sites",
                 "/api/v1/services", "/api/v1/orders"):
        answer = client.get(path, headers=auth)
        assert answer.status_code == 200, (path, answer.text)
        read[path] = answer.text
    signed = client.post("/portal/sign-in", data={"token": token, "next": "/portal/sites"})
    assert signed.status_code == 303, signed.text
    for page in (f"/portal/plans/{plan['id']}", "/portal/history", "/portal/sites", "/portal/services",
                 "/portal/orders"):
        answer = client.get(page)
        assert answer.status_code == 200, (page, answer.status_code)
        read[page] = answer.text
    return read


@settings(max_examples=24, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rendering=st.sampled_from(RENDERINGS), kind=st.sampled_from(CHANGES),
       me=st.sampled_from(PEOPLE), other=st.sampled_from(NEIGHBOURS),
       other_pops=st.lists(st.sampled_from(POPS), min_size=1, max_size=5, unique=True)
       .filter(lambda pops: bool({"Paris", "Lyon", "Milan", "Frankfurt"} & set(pops))),
       order=st.sampled_from(["before", "after"]))
def test_a_tenant_reads_nothing_of_another_tenant(rendering: tuple[str, str], kind: str, me: str, other: str,
                                                  other_pops: list[str], order: str,
                                                  frozen_clock: FrozenClock) -> None:
    frozen_clock.set(NOW)  # plans over the API at the world's instant
    vendor, driver = rendering
    with _world(vendor, driver, me, other, other_pops, order=order) as (client, store, token):
        shared = {f"{p.lower()}-pe1" for p in other_pops} - {"london-pe1"}
        configs = last_committed(store)
        # the check means something: the shared routers do carry the neighbour's names (and, where the
        # rendering carries rates at all — not ietf — its rate)
        assert all("zeb" in configs[r].full_text() for r in shared)
        read = _everything_the_tenant_reads(client, token, kind)
    leaks = [leak for where, text in read.items() for leak in _leaks(where, text)]
    assert not leaks, f"{vendor}/{driver}, {kind}: {leaks}"
    if order == "after":
        # Exact, counts and line numbers included: with the neighbour arriving after this tenant (so that
        # this tenant's own ports and VLANs are the same), its plan reads as if the neighbour did not exist.
        with _world(vendor, driver, me, other, other_pops, order="none") as (client, _, token):
            alone = _plan_only(client, token, kind)
        assert _plan_only_of(read["POST /plans"]) == alone, f"{vendor}/{driver}, {kind}: the plan depends on others"


def _plan_only_of(text: str) -> dict[str, Any]:
    """The plan without its ids, and without the port and VLAN numbers of this tenant's attachments: the
    per-router pools hand out the lowest free ones, so they follow how many others are on the box (known
    limit; they are this tenant's own identifiers, which it must be told)."""
    plan = json.loads(text)
    for router in plan["devices"].values():
        for change in router.get("changes", []):
            change.pop("text", None)
            for own_identifier in ("port", "vlan"):
                change["changes"].pop(own_identifier, None)
    return {k: v for k, v in plan.items() if k not in ("id", "fingerprint")}


def _plan_only(client: TestClient, token: str, kind: str) -> dict[str, Any]:
    made = client.post("/api/v1/plans", params={"devices": "full"}, json=changed(kind),
                       headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201, made.text
    return _plan_only_of(made.text)


def test_the_operator_still_gets_the_router_diffs(frozen_clock: FrozenClock) -> None:
    """Operator roles read the raw diff (with other tenants' lines as context); tenants do not."""
    with _world("junos", "sim", "acme", "zebra-wholesale", ["Paris"]) as (client, store, token):
        with store.session(write=True) as session:
            operator = accounts.create_token(session, role="operator-viewer", tenant=None, name="noc")[0].token
        frozen_clock.set(NOW)
        made = client.post("/api/v1/plans", params={"devices": "full", "tenant": "acme"}, json=changed("rate"),
                           headers={"Authorization": f"Bearer {token}"}).json()
        as_operator = client.get(f"/api/v1/plans/{made['id']}", params={"devices": "full"},
                                 headers={"Authorization": f"Bearer {operator}"}).json()
    paris = as_operator["devices"]["paris-pe1"]
    assert paris["added"] > 0 and "set " in paris["diff"]
    mine = made["devices"]["paris-pe1"]
    assert set(mine) == {"changes"} and "diff" not in mine and "added" not in mine
    (line,) = mine["changes"]
    assert line["site"] == "hq" and line["changes"]["rate_down_bps"]["after"] > line["changes"]["rate_down_bps"][
        "before"]
    assert "rate down" in line["text"] and "Mbit/s" in line["text"]
