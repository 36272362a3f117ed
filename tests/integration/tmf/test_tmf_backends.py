"""The TMF641 use case on SQLite and PostgreSQL alike: an order applied at once, an order that follows
its field work to completed (moved through `order_moves`, as the native API and the CLI move it),
each state change an outbox row in the change's own transaction."""

from __future__ import annotations

from unilink import engine
from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.services import tmf_mapping as tmf
from unilink.store import outbox_repo, tenancy
from unilink.store.db import Store
from unilink.usecases import order_moves, tmf_orders

M = 1_000_000


def _network() -> Network:
    paris = Pop("Paris", "Paris", "FR", 48.8566, 2.3522)
    london = Pop("London", "London", "GB", 51.5074, -0.1278)
    routers = [Router("par-pe1", "Paris", RouterRole.EDGE, Vendor.FRR, "10.255.0.1"),
               Router("lon-pe1", "London", RouterRole.EDGE, Vendor.JUNOS, "10.255.0.2")]
    return Network(name="two", pops=[paris, london], routers=routers,
                   links=[make_link("Paris-London", paris, london, 100 * 10**9, a_router="par-pe1",
                                    b_router="lon-pe1")])


def _site(name: str, pop: str) -> dict:
    return {"name": name, "pop": pop, "access": {"technology": "ftth", "port": "1G", "down": "300M", "up": "100M"}}


def test_orders_on_every_backend(any_store: Store) -> None:
    any_store.replace_network(_network())
    with any_store.session(write=True) as session:
        tenancy.add_tenant(session, "nord", "operator", "Nord")
    first = engine.plan(any_store, "nord", {"sites": [_site("a", "Paris"), _site("b", "London")], "services": [
        {"kind": "eline", "name": "a-b", "a": "a", "b": "b", "rate": "50M"}]}, actor="seed", accesses_installed=True)
    engine.apply(any_store, first.id, "seed", "fixture")
    line = tmf.service_id("nord", "eline", "a-b")
    done = tmf_orders.create_order(any_store, "nord", {"serviceOrderItem": [
        {"id": "1", "action": "modify", "service": {"id": line, "serviceCharacteristic": [
            {"name": "rate", "value": "80M"}]}}]}, actor="buyer")
    assert (done["state"], [i["state"] for i in done["stored"]["items"]]) == ("completed", ["completed"]), \
        done["stored"].get("errorMessage")
    waiting = tmf_orders.create_order(any_store, "nord", {"serviceOrderItem": [
        {"id": "1", "action": "add", "service": {"name": "c", "serviceSpecification": {"id": "access"},
                                                 "serviceCharacteristic": [
            {"name": "pop", "value": "London"}, {"name": "technology", "value": "ftth"},
            {"name": "port", "value": "1G"}, {"name": "down", "value": "300M"}, {"name": "up", "value": "100M"}]}}]},
        actor="buyer")
    assert waiting["state"] == "inProgress"
    (native,) = [o for o in engine.orders.list_orders(any_store, "nord", open_only=True)]
    order_moves.move_order(any_store, native["id"], "inProgress", actor="noc")
    order_moves.move_order(any_store, native["id"], "completed", actor="noc")
    finished = tmf_orders.get_order(any_store, waiting["id"], "nord")
    assert finished["state"] == "completed" and finished["stored"]["completionDate"]
    with any_store.session() as session:
        rows = [(r["topic"], r["payload"]["event"]["serviceOrder"]["state"]) for r in outbox_repo.rows(session)
                if r["topic"].startswith("ServiceOrder")]
    assert rows == [("ServiceOrderCreateEvent", "acknowledged"), ("ServiceOrderStateChangeEvent", "completed"),
                    ("ServiceOrderCreateEvent", "acknowledged"), ("ServiceOrderStateChangeEvent", "inProgress"),
                    ("ServiceOrderStateChangeEvent", "completed")]
