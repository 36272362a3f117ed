"""Issue 13 items 3-5: a coop manager re-runs a zone's design with other figures and orders it ("order
this design") — once, recorded on the zone like the automatic order, and a refused order changes nothing.

The manual order is for a reached zone whose automatic order did not happen: here the partner's
ordering system is down when the zone is reached (the automatic order fails, the design is kept), and
the manager orders again once it is back."""

from __future__ import annotations

import pytest
from campaign_world import CAMPAIGN, COOP, counts, open_test_campaign, pledge_and_confirm, topics, zone

from unilink.errors import ConflictError, InfeasibleError, NotFoundError, ValidationError
from unilink.store.db import Store
from unilink.store.seed import seed_inventory, seed_tenants
from unilink.usecases import coop_design, tenant_views, zone_orders


@pytest.fixture
def world(store: Store) -> Store:
    seed_inventory(store, False)
    seed_tenants(store, False)
    open_test_campaign(store)
    pledge_and_confirm(store, 1)  # one member in "west": its target (3) is not reached yet
    return store


def _reach_with_the_order_failing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def partner_down(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the partner's ordering system is down")

    with monkeypatch.context() as patched:
        patched.setattr(coop_design, "order_design", partner_down)
        pledge_and_confirm(store, 2)
        pledge_and_confirm(store, 3)  # the target: reached, designed, the order fails
    assert zone(store, "west", COOP)["design_state"] == "order_failed"


def test_a_what_if_with_other_figures_changes_the_sizing_and_nothing_else(world: Store) -> None:
    before = counts(world)
    default = zone_orders.redesign_zone(world, CAMPAIGN, "west", tenant=COOP)
    heavier = zone_orders.redesign_zone(world, CAMPAIGN, "west", tenant=COOP, busy_hour_bps=20_000_000,
                                        members=100)
    # one confirmed member of a target of 3: the zone is sized for what it will need, its target
    assert default["model"]["members"] == 3 and heavier["model"]["members"] == 100
    assert heavier["model"]["busy_hour_bps_per_member"] == 20_000_000
    assert heavier["candidates"][0]["backhaul_bps"] > default["candidates"][0]["backhaul_bps"]
    assert counts(world) == before


def test_a_zone_not_reached_is_not_ordered(world: Store) -> None:
    before = counts(world)
    with pytest.raises(ConflictError) as refused:
        zone_orders.order_zone(world, CAMPAIGN, "west", tenant=COOP, actor="manager")
    assert "1 of 3" in refused.value.message
    assert counts(world) == before and tenant_views.orders(world, COOP) == []


def test_ordering_a_zone_places_one_order_recorded_on_the_zone(world: Store, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    _reach_with_the_order_failing(world, monkeypatch)
    assert tenant_views.orders(world, COOP) == []
    ordered = zone_orders.order_zone(world, CAMPAIGN, "west", tenant=COOP, actor="manager")
    assert ordered["state"] == "ordered" and ordered["plan_id"] and ordered["orders"]
    west = zone(world, "west", COOP)
    assert (west["status"], west["plan_id"], west["order_ids"]) == ("ordered", ordered["plan_id"],
                                                                    [str(o) for o in ordered["orders"]])
    assert [t for t, _ in topics(world)].count("campaign.ordered") == 1
    orders = tenant_views.orders(world, COOP)
    assert {o["id"] for o in orders} >= {str(o) for o in ordered["orders"]}
    before = counts(world)
    with pytest.raises(ConflictError):
        zone_orders.order_zone(world, CAMPAIGN, "west", tenant=COOP, actor="manager")
    assert counts(world) == before
    assert len(tenant_views.orders(world, COOP)) == len(orders)


def test_a_refused_order_gives_the_zone_back_as_it_was(world: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _reach_with_the_order_failing(world, monkeypatch)
    design = zone_orders.redesign_zone(world, CAMPAIGN, "west", tenant=COOP, busy_hour_bps=2_000_000_000)
    infeasible = [i for i, c in enumerate(design["candidates"]) if not c["feasible"]]
    assert infeasible, "2 Gbit/s for one member fills every 1G attachment"
    before, state = counts(world), zone(world, "west", COOP)["design_state"]
    with pytest.raises(InfeasibleError):
        zone_orders.order_zone(world, CAMPAIGN, "west", tenant=COOP, actor="manager", candidate=infeasible[0],
                               busy_hour_bps=2_000_000_000)
    with pytest.raises(ValidationError) as bad:
        zone_orders.order_zone(world, CAMPAIGN, "west", tenant=COOP, actor="manager", candidate=99)
    assert bad.value.field == "candidate"
    assert counts(world) == before and zone(world, "west", COOP)["design_state"] == state
    assert tenant_views.orders(world, COOP) == []


def test_another_tenant_finds_no_such_campaign(world: Store) -> None:
    for call in (lambda: zone_orders.redesign_zone(world, CAMPAIGN, "west", tenant="acme-logistics"),
                 lambda: zone_orders.order_zone(world, CAMPAIGN, "west", tenant="acme-logistics", actor="x")):
        with pytest.raises(NotFoundError):
            call()
    assert tenant_views.orders(world, COOP) == []
