"""The pure stages of a plan (validate → diff → admit → price → render) on in-memory snapshots: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from unilink.engine.admission import internet_gateways
from unilink.engine.change_plan import SCHEMA_VERSION, Plan
from unilink.engine.core import assemble
from unilink.engine.devices import DeviceModel
from unilink.engine.fieldwork import physical_of
from unilink.engine.keys import PoolKey, ServiceKey, TemporaryKey, parse_booking_key
from unilink.engine.stages.admit import admit
from unilink.engine.stages.diffing import diff
from unilink.engine.stages.price import price
from unilink.engine.stages.rendering import render
from unilink.engine.stages.snapshot import NOTHING_DEPLOYED, Deployed, PlanSnapshot
from unilink.engine.stages.validate import validate
from unilink.errors import InfeasibleError, ValidationError
from unilink.inventory.model import (
    Interconnect,
    InterconnectKind,
    Network,
    Pop,
    Router,
    RouterRole,
    Vendor,
    make_link,
)
from unilink.network.graph import CompiledGraph
from unilink.network.ledger import CapacityLedger
from unilink.services.intent import Intent, parse_intent

M = 10**6
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def network(paris_lyon_bps: int = 10_000 * M) -> Network:
    """Paris — Lyon — Milan, Internet transit at Paris, one FRR edge router per PoP."""
    pops = [Pop("Paris", "Paris", "FR", 48.86, 2.35), Pop("Lyon", "Lyon", "FR", 45.76, 4.84),
            Pop("Milan", "Milan", "IT", 45.46, 9.19)]
    routers = [Router(f"{p.name.lower()}-pe1", p.name, RouterRole.EDGE, Vendor.FRR, f"10.0.0.{i + 1}")
               for i, p in enumerate(pops)]
    links = [make_link("Paris-Lyon", pops[0], pops[1], paris_lyon_bps),
             make_link("Lyon-Milan", pops[1], pops[2], 10_000 * M)]
    transit = [Interconnect("paris-transit", InterconnectKind.TRANSIT, "Paris", "Cogent", 100_000 * M)]
    return Network("stages", pops, routers, links, transit)


def document(lyon_rate: str = "100M") -> dict[str, Any]:
    access = {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}
    return {"sites": [{"name": "HQ", "pop": "Paris", "access": dict(access)},
                      {"name": "Plant", "pop": "Lyon", "access": dict(access)}],
            "services": [{"kind": "internet", "name": "plant-internet", "site": "Plant", "rate": lyon_rate},
                         {"kind": "ipvpn", "name": "corp", "members": [{"site": "HQ", "rate": "50M"},
                                                                        {"site": "Plant", "rate": "50M"}]}]}


def snapshot(net: Network, deployed: Deployed = NOTHING_DEPLOYED, devices: DeviceModel | None = None
             ) -> PlanSnapshot:
    graph = CompiledGraph.compile(net)
    return PlanSnapshot(
        tenant="acme", tenant_id=1, now=NOW, network=net, graph=graph, gateways=internet_gateways(net),
        pops=net.pop_index(), edge_router={r.pop: r.name for r in net.routers}, topology_version=1,
        ledger=CapacityLedger(graph), booked={}, pools={}, tenant_pools={},
        devices=devices or DeviceModel({r.name: r for r in net.routers}), deployed=deployed, open_orders={},
        accesses_installed=True)


def deployed_as(intent: Intent) -> Deployed:
    return Deployed(1, 1, intent, {s.name: physical_of(s) for s in intent.sites}, intent.to_document())


def run(snap: PlanSnapshot, doc: dict[str, Any]) -> Plan:
    valid = validate(snap, parse_intent(doc))
    changed = diff(snap, valid)
    admission = admit(snap, changed)
    return assemble(snap, valid, changed, admission, price(snap, valid, changed), render(snap, changed, admission),
                    plan_id="p-test")


def test_a_first_plan_adds_everything_books_the_backbone_and_renders_every_edge_router() -> None:
    made = run(snapshot(network()), document())
    assert not made.is_empty
    assert {c["name"]: c["action"] for c in made.changes["services"]} == {"plant-internet": "add", "corp": "add"}
    internet = next(b for b in made.bookings if b.key == ServiceKey("plant-internet"))
    assert {(link, d, bps) for link, d, bps in internet.arcs} == {("Paris-Lyon", "ab", 100 * M),
                                                                   ("Paris-Lyon", "ba", 100 * M)}
    assert set(made.devices) == {"paris-pe1", "lyon-pe1"}
    assert all(c.diff.count("\n+") > 0 and c.after_sha for c in made.devices.values())
    assert made.price["monthly_before_cents"] == 0 and made.price["monthly_delta_cents"] > 0
    assert {a.key.pool for a in made.new_allocations} >= {"vlan", "port", "p2p", "rd", "rt", "vni"}


def test_an_infeasible_bandwidth_names_the_bottleneck() -> None:
    with pytest.raises(InfeasibleError) as refused:
        run(snapshot(network(paris_lyon_bps=200 * M)), document(lyon_rate="500M"))
    assert "plant-internet" in refused.value.message and "Paris-Lyon" in str(refused.value.details)


def test_the_ledger_is_left_as_the_stages_found_it() -> None:
    snap = snapshot(network())
    first = run(snap, document())
    assert len(snap.ledger) == 0 and snap.ledger.free_bps(0) == 10_000 * M
    # the same snapshot plans the same change again, with the same bookings: nothing was kept
    assert run(snap, document()).bookings == first.bookings


def test_a_rate_change_is_a_modify_with_a_price_delta_and_a_shaping_diff() -> None:
    net = network()
    deployed = deployed_as(parse_intent(document("100M")))
    devices = DeviceModel({r.name: r for r in net.routers})
    first = snapshot(net, NOTHING_DEPLOYED, devices)
    changed = diff(first, validate(first, parse_intent(document("100M"))))
    admission = admit(first, changed)
    rendering = render(first, changed, admission)
    # what the apply of that first plan leaves in memory: the device model and the pools at the deployed state
    devices.set_tenant("acme", rendering.devices)
    devices.configs.update({r: c.full_text() for r, c in rendering.configs.items()})
    pools: dict[tuple[str, str], dict[str, int]] = {}
    for (pool, scope, owner), value in admission.allocations.items():
        pools.setdefault((pool, scope), {})[owner] = value
    snap = replace(first, deployed=deployed, pools=pools, tenant_pools=dict(admission.allocations))
    made = run(snap, document("300M"))
    assert made.summary == ("modify internet plant-internet: rate 100M → 300M",)
    assert [c["action"] for c in made.changes["services"] if c["name"] == "corp"] == ["noChange"]
    assert made.price["monthly_delta_cents"] > 0
    assert made.new_allocations == () and made.released_allocations == ()  # same attachments, same values
    assert set(made.devices) == {"lyon-pe1"}
    diff_text = made.devices["lyon-pe1"].diff
    assert "rate 150000000bit" in diff_text and "rate 350000000bit" in diff_text  # Plant: VPN 50M + Internet


def test_validate_names_the_field_of_a_bad_reference() -> None:
    doc = document()
    doc["sites"][1]["pop"] = "Atlantis"
    with pytest.raises(ValidationError) as refused:
        validate(snapshot(network()), parse_intent(doc))
    assert refused.value.field == "sites[1].pop" and refused.value.value == "Atlantis"


def test_the_plan_document_round_trips_and_an_old_document_still_loads() -> None:
    made = run(snapshot(network()), document())
    doc = made.to_document()
    assert doc["schema_version"] == SCHEMA_VERSION
    again = Plan.from_document(doc)
    assert again.to_document() == doc and again.bookings == made.bookings and again.devices == made.devices
    old = {k: v for k, v in doc.items() if k not in ("schema_version", "attachments", "removals", "rename_hints",
                                                     "cancel_orders", "hold", "open_orders")}
    loaded = Plan.from_document(old)
    assert loaded.schema_version == 1 and loaded.removals == () and loaded.bookings == made.bookings


def test_booking_and_pool_keys_keep_the_stored_strings() -> None:
    start = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
    for key in (ServiceKey("corp"), TemporaryKey("boost", "corp", "HQ", start), TemporaryKey("sched", "nightly", "HQ",
                                                                                             start)):
        assert parse_booking_key(key.stored()) == key
    assert ServiceKey("corp").stored() == "svc:corp"
    assert TemporaryKey("sched", "nightly", "HQ", start).stored() == "sched:nightly@HQ#2026-11-26T22:00:00+00:00"
    assert PoolKey.of("vlan", "lyon-pe1", "acme", "Plant/vpn:corp").owner == "acme/Plant/vpn:corp"
    assert PoolKey("vni", "", "acme/vpn:corp").tenant == "acme"


def test_the_plan_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    from unilink.engine.devices import TenantDevices
    from unilink.engine.plan_cache import CachedPlan, PlanCache

    made = run(snapshot(network()), document())
    cache = PlanCache(limit=2)
    entries = [CachedPlan(replace(made, id=f"p-{i}"), parse_intent(document()), TenantDevices(), {}, None)
               for i in range(3)]
    cache.put(entries[0])
    cache.put(entries[1])
    assert cache.get("p-0") is entries[0]  # used: p-1 is now the oldest
    cache.put(entries[2])
    assert "p-1" not in cache and "p-0" in cache and "p-2" in cache and len(cache) == 2
