"""Done when (issue 16, TM Forum part): a wholesale buyer's TMF641 client orders a 1G Internet access on a
new site and a rate change on an existing line, follows the order to completed while the operator
completes the field work through the native API, and finds the services in TMF638 — through the
standard paths only, every answer and every event checked against TM Forum's official schemas, the
events received by a real HTTP listener registered on the hub."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tmf_helpers import (
    CATALOG,
    INVENTORY,
    ORDERING,
    TmfApi,
    access_item,
    characteristic,
    conforms,
    internet_item,
    rate_item,
)

from frozen_time import TEST_NOW
from unilink.events.egress import EgressPolicy
from unilink.events.webhooks import WebhookDispatcher

G = 1_000_000_000


class _Listener(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "body": json.loads(body)})
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def listener() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server on 127.0.0.1, on the first free port of 18400-18499."""
    received: list[dict[str, Any]] = []
    handler = type("Listener", (_Listener,), {"received": received})
    for port in range(18400, 18500):
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), handler)
            break
        except OSError:
            continue
    else:
        pytest.fail("no free port in 18400-18499")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/tmf-listener", received
    server.shutdown()
    server.server_close()


def _get(api: TmfApi, href: str, who: str = "buyer") -> Any:
    """Follow an href (absolute, on this server) with the buyer's token."""
    path = href.removeprefix("http://testserver")
    response = api.call("GET", path, who)
    assert response.status_code == 200, response.text
    return response.json()


def _move(api: TmfApi, order_id: str, state: str) -> None:
    """The operator moves the field-work order through the native API."""
    moved = api.call("POST", f"/api/v1/orders/{order_id}/state", "op-admin", json={"state": state})
    assert moved.status_code == 200, moved.text


def _order_state(api: TmfApi, href: str) -> tuple[str, list[str]]:
    order = conforms("TMF641", "ServiceOrder", _get(api, href))
    return order["state"], [item["state"] for item in order["serviceOrderItem"]]


def test_a_buyer_orders_follows_and_finds_its_services(tmf_api: TmfApi,
                                                       listener: tuple[str, list[dict[str, Any]]]) -> None:
    api = tmf_api
    callback, received = listener
    # the catalog says what can be ordered, and with which characteristics
    specs = conforms("TMF633", "ServiceSpecification", api.call("GET", f"{CATALOG}/serviceSpecification",
                                                                 "buyer").json())
    assert {s["id"] for s in specs} == {"access", "internet", "ipvpn", "eline"}
    internet = _get(api, next(s["href"] for s in specs if s["id"] == "internet"))
    assert {c["name"] for c in internet["specCharacteristic"]} == {"site", "rate", "up"}
    # the buyer's inventory: its E-Line Oslo–Hamburg at 1 Gbit/s
    inventory = api.call("GET", f"{INVENTORY}/service", "buyer", params={"name": "oslo-handoff-hamburg-handoff"})
    assert inventory.headers["X-Total-Count"] == "1"
    eline = conforms("TMF638", "Service", inventory.json())[0]
    assert characteristic(eline, "rate") == G
    # listen to the order's events
    hub = api.call("POST", f"{ORDERING}/hub", "buyer", json={"callback": callback})
    assert hub.status_code == 201, hub.text
    conforms("TMF641", "EventSubscription", hub.json())
    services_hub = api.call("POST", f"{INVENTORY}/hub", "buyer", json={"callback": callback + "/inventory"})
    conforms("TMF638", "EventSubscription", services_hub.json())

    body = {"externalId": "NORD-4711", "description": "Berlin PoP on-line, Oslo-Hamburg up to 1.5G",
            "serviceOrderItem": [access_item("1", "berlin-pop", "Hamburg"),
                                 internet_item("2", "berlin-internet", "berlin-pop", "1G"),
                                 rate_item("3", eline["id"], 1_500_000_000)]}
    conforms("TMF641", "ServiceOrder_Create", body)
    created = api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json=body)
    assert created.status_code == 201, created.text
    order = conforms("TMF641", "ServiceOrder", created.json())
    # the rate change is live at once; the new site waits for its fibre (45 days' lead time)
    assert order["state"] == "inProgress"
    assert [i["state"] for i in order["serviceOrderItem"]] == ["inProgress", "inProgress", "completed"]
    assert order["expectedCompletionDate"] == (TEST_NOW + timedelta(days=45)).isoformat().replace("+00:00", "Z")
    assert characteristic(_get(api, eline["href"]), "rate") == 1_500_000_000
    assert api.call("GET", f"{INVENTORY}/service", "buyer", params={"name": "berlin-internet"}).json() == []

    # the operator's field work, through the native API; the TMF order follows it
    open_orders = api.call("GET", "/api/v1/orders", "op-admin",
                           params={"tenant": "nordlink-wholesale", "open": "true"}).json()
    assert [o["site"] for o in open_orders] == ["berlin-pop"]
    native = open_orders[0]["id"]
    _move(api, native, "inProgress")
    assert _order_state(api, order["href"]) == ("inProgress", ["inProgress", "inProgress", "completed"])
    _move(api, native, "held")
    assert _order_state(api, order["href"]) == ("held", ["held", "held", "completed"])
    _move(api, native, "inProgress")
    _move(api, native, "completed")
    done = conforms("TMF641", "ServiceOrder", _get(api, order["href"]))
    assert done["state"] == "completed" and done["completionDate"]
    assert [i["state"] for i in done["serviceOrderItem"]] == ["completed"] * 3

    # TMF638: the new site's access and its Internet, live, at the rates ordered
    berlin = api.call("GET", f"{INVENTORY}/service", "buyer", params={"name": "berlin-internet"}).json()
    conforms("TMF638", "Service", berlin)
    assert [(characteristic(s, "rate"), characteristic(s, "site"), s["state"]) for s in berlin] == \
        [(G, "berlin-pop", "active")]
    line = _get(api, berlin[0]["supportingService"][0]["href"])
    assert (line["name"], characteristic(line, "down"), characteristic(line, "pop")) == ("berlin-pop", G, "Hamburg")
    # every item's service href resolves to the service in the inventory
    for item in done["serviceOrderItem"]:
        assert _get(api, item["service"]["href"])["id"] == item["service"]["id"]

    # the events, delivered by the native webhook machinery to the real listener, as the spec defines them
    WebhookDispatcher(api.store, egress=EgressPolicy.parse("127.0.0.1")).run_due()
    events = [r["body"] for r in received if r["path"] == "/tmf-listener"]
    service_events = [r["body"] for r in received if r["path"] == "/tmf-listener/inventory"]
    assert len(events) + len(service_events) == len(received)
    for event in service_events:
        conforms("TMF638", event["eventType"], event)
    assert sorted((e["eventType"], e["event"]["service"]["name"]) for e in service_events) == [
        ("ServiceAttributeValueChangeEvent", "oslo-handoff-hamburg-handoff"),
        ("ServiceCreateEvent", "berlin-internet"), ("ServiceCreateEvent", "berlin-pop")]
    for event in events:
        conforms("TMF641", event["eventType"], event)
    assert [(e["eventType"], e["event"]["serviceOrder"]["state"]) for e in events] == [
        ("ServiceOrderCreateEvent", "acknowledged"), ("ServiceOrderStateChangeEvent", "inProgress"),
        ("ServiceOrderStateChangeEvent", "held"), ("ServiceOrderStateChangeEvent", "inProgress"),
        ("ServiceOrderStateChangeEvent", "completed")]
    assert {e["event"]["serviceOrder"]["id"] for e in events} == {order["id"]}
