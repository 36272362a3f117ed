"""Members' subscriptions through their lifecycle, on SQLite and PostgreSQL: the addresses given and
given back, the access router's config as the engine renders it, and every refusal changing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from members_world import COOP, prepare, subscribe

from frozen_time import TEST_NOW
from unilink.clock import FrozenClock
from unilink.devices.journal import last_committed
from unilink.engine import core as engine
from unilink.errors import ConflictError, InfeasibleError, NotFoundError, UnilinkError, ValidationError
from unilink.store.db import Store
from unilink.usecases import memberships

ROUTER = "lyon-pe1"


def _committed(store: Store) -> str:
    """What the access router was last committed with (the device journal's reference)."""
    return last_committed(store)[ROUTER].full_text()


def test_lifecycle_allocates_and_releases_and_shapes(any_store: Store, frozen_clock: FrozenClock) -> None:
    store = prepare(any_store)
    first = subscribe(store, 1, "basic")
    assert first["state"] == "active" and first["activated_at"] == TEST_NOW.isoformat()
    # the lowest free slot of each family: the /29's first usable address, the /48's first /56
    assert [a["value"] for a in first["addresses"]] == ["192.0.2.9", "2001:db8:10::/56"]
    assert first["shaped"] == {"down_bps": 100_000_000, "up_bps": 50_000_000, "text": "100M/50M"}
    assert first["change"]["routers"] == [ROUTER]
    deployed = engine.latest_intent(store, COOP)
    assert deployed is not None and deployed["subscribers"] == [
        {"line": "flat-1", "router": ROUTER, "port": "m1", "down": 100_000_000, "up": 50_000_000,
         "ipv4": "192.0.2.9", "ipv6": "2001:db8:10::/56", "suspended": False}]

    frozen_clock.advance(timedelta(hours=1))
    second = subscribe(store, 2, "plus")
    assert [a["value"] for a in second["addresses"]] == ["192.0.2.10", "2001:db8:10:100::/56"]

    frozen_clock.advance(timedelta(hours=1))
    held = memberships.suspend(store, COOP, first["id"], actor="manager@village")
    assert held["state"] == "suspended" and held["suspended_at"] == (TEST_NOW + timedelta(hours=2)).isoformat()
    assert held["shaped"]["down_bps"] == 256_000 and held["shaped"]["up_bps"] == 256_000
    line = next(s for s in engine.latest_intent(store, COOP)["subscribers"] if s["line"] == "flat-1")
    assert line["down"] == line["up"] == 256_000 and line["suspended"] is True

    back = memberships.resume(store, COOP, first["id"], actor="manager@village")
    assert back["state"] == "active" and back["shaped"]["text"] == "100M/50M"
    assert back["activated_at"] == TEST_NOW.isoformat()  # the first activation's time is kept

    up = memberships.change_plan(store, COOP, first["id"], "plus", actor="member")
    assert up["plan"]["name"] == "plus" and up["shaped"]["text"] == "300M/100M"

    frozen_clock.advance(timedelta(hours=1))
    gone = memberships.end(store, COOP, first["id"], actor="manager@village")
    assert gone["state"] == "ended" and gone["ended_at"] == (TEST_NOW + timedelta(hours=3)).isoformat()
    assert all(a["released_at"] == gone["ended_at"] for a in gone["addresses"])
    assert [s["line"] for s in engine.latest_intent(store, COOP)["subscribers"]] == ["flat-2"]

    # the released address and prefix are the lowest free again: the next member gets them
    third = subscribe(store, 3, "basic")
    assert [a["value"] for a in third["addresses"]] == ["192.0.2.9", "2001:db8:10::/56"]
    values = [a["value"] for s in memberships.subscriptions(store, COOP) if s["state"] != "ended"
              for a in s["addresses"]]
    assert len(values) == len(set(values)) == 4


def test_the_rendered_access_router_carries_each_member(any_store: Store) -> None:
    store = prepare(any_store)
    subscribe(store, 1, "basic")
    subscribe(store, 2, "plus")
    text = _committed(store)
    assert "set class-of-service interfaces m1 unit 0 shaping-rate 100000000" in text
    assert "set firewall policer ul-sub-m1 if-exceeding bandwidth-limit 50000000" in text
    assert "set class-of-service interfaces m2 unit 0 shaping-rate 300000000" in text
    assert "set routing-options static route 192.0.2.10/32 qualified-next-hop m2.0" in text


def test_cgnat_shares_once_the_public_pool_is_used_up_then_exhaustion(any_store: Store) -> None:
    """A /31 public pool: 2 addresses; then CGNAT shares of 100.64.0.0/30 (addresses .1 and .2, 4
    blocks of 16,128 ports each: 1024-17151, 17152-33279, …)."""
    store = prepare(any_store, v4_prefix="192.0.2.0/31", lines=12)
    values = [subscribe(store, n)["addresses"][0]["value"] for n in range(1, 5)]
    assert values == ["192.0.2.0", "192.0.2.1", "100.64.0.1:1024-17151", "100.64.0.1:17152-33279"]
    for n in range(5, 11):
        subscribe(store, n)
    # 2 public + 8 shares given: the 11th member finds every IPv4 pool full
    before = memberships.subscriptions(store, COOP)
    deployed = engine.latest_intent(store, COOP)
    sub = subscribe(store, 11, activate=False)
    with pytest.raises(InfeasibleError) as err:
        memberships.activate(store, COOP, sub["id"], actor="manager@village")
    assert "address pool cgnat (cgnat 100.64.0.0/30) is exhausted: all 8 given out" in err.value.message
    assert err.value.details["field"] == "pools.cgnat"
    assert memberships.view(store, COOP, sub["id"])["state"] == "requested"
    assert memberships.subscriptions(store, COOP)[:10] == before[:10]
    assert engine.latest_intent(store, COOP) == deployed


@pytest.mark.parametrize(("call", "field", "error"), [
    (lambda s, sub: memberships.request(s, COOP, member=sub["member"]["id"], plan="giga", line="flat-2"),
     "plan", ValidationError),                                      # 1G over the 500M line
    (lambda s, sub: memberships.request(s, COOP, member=sub["member"]["id"], plan="basic", line="flat-1"),
     "line", ConflictError),                                        # a second open subscription on the line
    (lambda s, sub: memberships.request(s, COOP, member=sub["member"]["id"], plan="platinum", line="flat-2"),
     "plan", NotFoundError),                                        # an unknown plan
    (lambda s, sub: memberships.change_plan(s, COOP, sub["id"], "giga", actor="m"), "plan", ValidationError),
    (lambda s, sub: memberships.activate(s, COOP, sub["id"], actor="m"), "state", ConflictError),
    (lambda s, sub: memberships.add_plan(s, COOP, name="odd", down="fast", up="1M", monthly_cents=1), "plan.down",
     ValidationError),
    (lambda s, sub: memberships.add_plan(s, COOP, name="odd", down="1M", up="1M", monthly_cents=9.5),
     "plan.monthly_cents", ValidationError),
    (lambda s, sub: memberships.add_member(s, COOP, name="X", email="not-mail", address="1 rue"), "member.email",
     ValidationError),
    (lambda s, sub: memberships.add_line(s, COOP, name="flat-9", router="paris-p9", port="m9", ceiling_down="1G",
                                         ceiling_up="1G"), "line.router", ValidationError),
    (lambda s, sub: memberships.add_pool(s, COOP, name="bad", kind="ipv6", prefix="2001:db8:20::/48",
                                         delegated_length=40), "pool.delegated_length", ValidationError),
])
def test_bad_input_names_the_field_and_changes_nothing(any_store: Store, call, field: str,
                                                       error: type[UnilinkError]) -> None:
    store = prepare(any_store)
    sub = subscribe(store, 1)
    def state() -> tuple[object, ...]:
        return (memberships.subscriptions(store, COOP), memberships.members(store, COOP),
                engine.latest_intent(store, COOP), last_committed(store)[ROUTER].full_text())

    before = state()
    with pytest.raises(error) as err:
        call(store, sub)
    assert err.value.field == field
    assert state() == before


def test_another_coops_subscription_is_not_found(any_store: Store) -> None:
    store = prepare(any_store)
    sub = subscribe(store, 1)
    with pytest.raises(NotFoundError):
        memberships.view(store, "other-coop", sub["id"])
    with pytest.raises(NotFoundError):
        memberships.suspend(store, "other-coop", sub["id"], actor="intruder")
    assert memberships.view(store, COOP, sub["id"])["state"] == "active"


def test_no_document_configures_a_port_that_is_not_the_coops_line(any_store: Store) -> None:
    """The `subscribers` section is the memberships' to write: a hand-made entry for a port the operator
    did not give the coop (or on another router) is refused by the engine, naming the entry."""
    from unilink.usecases.change_plans import plan_change

    store = prepare(any_store)
    subscribe(store, 1)
    document = engine.latest_intent(store, COOP)
    forged = {**document, "subscribers": [*document["subscribers"],
                                          {"line": "flat-2", "router": "paris-pe1", "port": "ge-0/0/0",
                                           "down": 10**9, "up": 10**9}]}
    forged.pop("tenant", None)
    with pytest.raises(ValidationError) as err:
        plan_change(store, COOP, forged, actor="manager")
    assert err.value.field == "subscribers[1].line"
    assert "flat-1 (lyon-pe1 m1)" in (err.value.accepted or "")
    with pytest.raises(ValidationError) as err:  # another tenant has no lines at all
        plan_change(store, "other-coop", {"subscribers": document["subscribers"]}, actor="x")
    assert err.value.field == "subscribers[0].line"
