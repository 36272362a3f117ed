"""Every change type on the demo enterprise, each reflected in the ledger, the pools and the device model."""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine_helpers import allocations, booked, config, go
from engine_world import NOW, acme

from unilink.engine import apply, plan
from unilink.engine.core import history, revert, status
from unilink.errors import ConflictError, InfeasibleError, ValidationError
from unilink.store.db import Store

M = 10**6


@pytest.fixture
def onboarded(estore: Store) -> Store:
    go(estore, "acme", acme(), NOW, accesses_installed=True)
    return estore


def test_rate_down_changes_ledger_and_shaping(onboarded: Store) -> None:
    # Internet rides on the site's VPN attachment: one shaper for both (100M + 100M)
    assert "shaping-rate 200000000" in config(onboarded, "lyon-pe1")
    doc = acme()
    doc["services"][1]["rate"] = "20M"
    p = plan(onboarded, "acme", doc, now=NOW)
    assert p.content["summary"] == ["modify internet lyon-internet: rate 100M → 20M"]
    assert p.content["price"]["monthly_delta_cents"] < 0
    assert "lyon-pe1" in p.content["devices"] and p.content["devices"]["lyon-pe1"]["diff"]
    apply(onboarded, p.id, "alice", "activity dropped", now=NOW)
    assert "shaping-rate 120000000" in config(onboarded, "lyon-pe1")
    lyon = booked(onboarded, "svc:lyon-internet")["svc:lyon-internet"]
    assert {bps for _, _, bps in lyon} == {20 * M}  # down and up on the path to the Paris gateway
    assert ("Paris-Lyon", "ab", 20 * M) in lyon


def test_vpn_join_and_leave_allocates_and_releases(onboarded: Store) -> None:
    doc = acme()
    doc["services"][2]["members"].append({"site": "London-shop", "rate": "100M"})
    go(onboarded, "acme", doc, NOW)
    mine = [a for a in allocations(onboarded) if a[2].startswith("acme/London-shop/")]
    assert {a[0] for a in mine} == {"vlan", "p2p"}
    assert "London-shop" in config(onboarded, "london-pe1")
    go(onboarded, "acme", acme(), NOW)  # leaves again
    assert not [a for a in allocations(onboarded) if a[2].startswith("acme/London-shop/")]
    assert "London-shop" not in config(onboarded, "london-pe1")


def test_internet_vpn_both(onboarded: Store) -> None:
    doc = acme()
    # Milan: VPN only → both
    doc["services"].append({"kind": "internet", "name": "milan-internet", "site": "Milan-office", "rate": "40M"})
    go(onboarded, "acme", doc, NOW)
    owners = {a[2] for a in allocations(onboarded)}
    assert "acme/Milan-office/vpn:corp" in owners and "acme/Milan-office/internet" not in owners
    # Milan: both → Internet only (leaves the VPN)
    doc["services"][2]["members"] = [m for m in doc["services"][2]["members"] if m["site"] != "Milan-office"]
    go(onboarded, "acme", doc, NOW)
    owners = {a[2] for a in allocations(onboarded)}
    assert "acme/Milan-office/internet" in owners and "acme/Milan-office/vpn:corp" not in owners
    assert booked(onboarded, "svc:milan-internet")


def test_eline_add_rate_and_protection(onboarded: Store) -> None:
    doc = acme()
    doc["sites"][0]["access"]["down"] = doc["sites"][0]["access"]["up"] = "3G"
    doc["services"].append({"kind": "eline", "name": "dc-link", "a": "HQ", "b": "London-shop", "rate": "100M"})
    go(onboarded, "acme", doc, NOW)
    assert {lk for lk, _, _ in booked(onboarded, "svc:dc-link")["svc:dc-link"]} == {"Paris-London"}
    doc["services"][-1].update(rate="200M", protected=True)
    go(onboarded, "acme", doc, NOW)
    links = {lk for lk, _, bps in booked(onboarded, "svc:dc-link")["svc:dc-link"] if bps == 200 * M}
    assert links == {"Paris-London", "Frankfurt-Paris", "London-Frankfurt"}  # primary + disjoint backup


def test_over_access_ceiling_is_refused_and_changes_nothing(onboarded: Store) -> None:
    before = booked(onboarded)
    doc = acme()
    doc["services"][1]["rate"] = "2G"
    with pytest.raises(ValidationError) as err:
        plan(onboarded, "acme", doc, now=NOW)
    assert err.value.field == "services[1].rate" and "1G" in str(err.value.accepted)
    assert booked(onboarded) == before


def test_infeasible_names_the_bottleneck_and_changes_nothing(onboarded: Store) -> None:
    globex = {"sites": [
        {"name": "G-Lyon", "pop": "Lyon", "access": {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}},
        {"name": "G-Milan", "pop": "Milan", "access": {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}}],
        "services": [{"kind": "eline", "name": "g-line", "a": "G-Lyon", "b": "G-Milan", "rate": "500M"}]}
    go(onboarded, "globex", globex, NOW, accesses_installed=True)
    before, allocs = booked(onboarded), allocations(onboarded)
    doc = acme()
    doc["services"][1]["rate"] = "50M"
    doc["services"].append({"kind": "eline", "name": "backup", "a": "Lyon-plant", "b": "HQ", "rate": "800M",
                            "protected": True})
    with pytest.raises(InfeasibleError) as err:
        plan(onboarded, "acme", doc, now=NOW)
    assert "Lyon-Milan" in str(err.value.details) or "Lyon-Milan" in err.value.message
    assert booked(onboarded) == before and allocations(onboarded) == allocs
    assert status(onboarded, "acme")["revision"] == 1


def test_stale_plan_is_refused(onboarded: Store) -> None:
    doc = acme()
    doc["services"][1]["rate"] = "400M"
    first = plan(onboarded, "acme", doc, now=NOW)
    doc["services"][1]["rate"] = "300M"
    second = plan(onboarded, "acme", doc, now=NOW)
    apply(onboarded, first.id, "alice", "", now=NOW)
    with pytest.raises(ConflictError) as err:
        apply(onboarded, second.id, "bob", "", now=NOW)
    assert "stale" in str(err.value) and "revision 1 → 2" in str(err.value)
    with pytest.raises(ConflictError):
        apply(onboarded, first.id, "alice", "", now=NOW)  # applied already
    assert booked(onboarded, "svc:lyon-internet")["svc:lyon-internet"][0][2] == 400 * M


def test_expired_plan_is_refused(onboarded: Store) -> None:
    p = plan(onboarded, "acme", acme(), now=NOW)
    with pytest.raises(ConflictError) as err:
        apply(onboarded, p.id, "alice", "", now=NOW + timedelta(hours=2))
    assert "expired" in str(err.value)


def test_revert_is_another_plan(onboarded: Store) -> None:
    doc = acme()
    doc["services"][0]["rate"] = "100M"
    go(onboarded, "acme", doc, NOW)
    assert booked(onboarded, "svc:hq-internet") == {}  # Paris is the gateway: no backbone used
    p = revert(onboarded, "acme", 1, now=NOW)
    assert p.content["summary"] == ["modify internet hq-internet: rate 100M → 500M"]
    result = apply(onboarded, p.id, "alice", "undo", now=NOW)
    assert result.intent_version == 3
    assert status(onboarded, "acme")["deployed"]["services"][0]["rate"] == 500 * M
    assert [h["intent_version"] for h in history(onboarded, "acme")] == [3, 2, 1]


def test_pools_unique_across_tenants(onboarded: Store) -> None:
    globex = {"sites": [
        {"name": "G-Paris", "pop": "Paris", "access": {"technology": "ftth", "port": "1G", "down": "1G",
                                                       "up": "500M"}},
        {"name": "G-Lyon", "pop": "Lyon", "access": {"technology": "ftth", "port": "1G", "down": "1G",
                                                     "up": "500M"}}],
        "services": [{"kind": "ipvpn", "name": "corp", "members": [{"site": "G-Paris", "rate": "10M"},
                                                                    {"site": "G-Lyon", "rate": "10M"}]}]}
    go(onboarded, "globex", globex, NOW, accesses_installed=True)
    allocs = allocations(onboarded)
    values = [(pool, scope, value) for pool, scope, _, value in allocs]
    assert len(values) == len(set(values))
    vnis = {owner: value for pool, _, owner, value in allocs if pool == "vni"}
    assert vnis["acme/vpn:corp"] != vnis["globex/vpn:corp"]
    # deterministic: lowest free values
    assert sorted(vnis.values()) == [10_000, 10_001]


def test_router_refusal_rolls_everything_back(onboarded: Store) -> None:
    from unilink.devices.drivers.registry import using_driver
    from unilink.devices.drivers.sim import SimDriver
    from unilink.engine.devices import DeviceCommitError

    def failing_on_milan(router, running):  # type: ignore[no-untyped-def]
        return SimDriver(router.name, initial=running, fail_on="commit" if router.name == "milan-pe1" else None)

    before, allocs, lyon = booked(onboarded), allocations(onboarded), config(onboarded, "lyon-pe1")
    doc = acme()
    doc["services"][2]["members"][1]["rate"] = "300M"  # Lyon and Milan routers both change
    doc["services"][2]["members"][2]["rate"] = "60M"
    p = plan(onboarded, "acme", doc, now=NOW)
    with using_driver("test-failing-on-milan", failing_on_milan), pytest.raises(DeviceCommitError) as err:
        apply(onboarded, p.id, "alice", "", now=NOW)
    assert "milan-pe1" in str(err.value) and "rolled back" in str(err.value)
    assert booked(onboarded) == before and allocations(onboarded) == allocs and config(onboarded, "lyon-pe1") == lyon
    assert status(onboarded, "acme")["revision"] == 1
    apply(onboarded, p.id, "alice", "retry", now=NOW)  # the plan is still good once the router behaves (sim again)
    assert status(onboarded, "acme")["revision"] == 2


def test_plan_made_by_another_process_applies_the_same(onboarded: Store) -> None:
    from unilink.engine import core
    from unilink.engine import runtime as rt

    doc = acme()
    doc["services"][2]["members"].append({"site": "London-shop", "rate": "100M"})
    p = plan(onboarded, "acme", doc, now=NOW)
    core.PLAN_CACHE.clear()  # as if another process made it: apply reads the plan from the table
    rt.forget(onboarded)
    apply(onboarded, p.id, "alice", "", now=NOW)

    # rendered again from the plan's inputs: exactly the config the plan showed (its hash)
    assert core._sha(config(onboarded, "london-pe1")) == p.content["devices"]["london-pe1"]["after_sha"]
    assert plan(onboarded, "acme", doc, now=NOW).is_empty
