"""The coop sees its members' demand against its backhaul, is warned before it saturates and is
offered the increase as a priced plan of the change service (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from members_world import COOP, M, prepare, subscribe

from unilink.coop.sizing import SizingModel
from unilink.engine import core as engine
from unilink.errors import ValidationError
from unilink.store.db import Store
from unilink.usecases import memberships
from unilink.usecases.change_plans import plan_change
from unilink.usecases.plan_applying import apply_plan

# 40 Mbit/s per member at the busy hour × 1.25 = 50 Mbit/s each: four members fill a 200M backhaul
MODEL = SizingModel(busy_hour_bps_per_member=40 * M, peak_factor=1.25)
BACKHAUL = {
    "sites": [{"name": "coop-hub", "pop": "Lyon", "router": "lyon-pe1",
               "access": {"technology": "fibre", "port": "1G", "down": "200M", "up": "200M"}}],
    "services": [{"kind": "internet", "name": "coop-backhaul", "site": "coop-hub", "rate": "200M"}],
}


def test_warned_then_offered_the_increase_with_its_price(any_store: Store) -> None:
    store = prepare(any_store, lines=4)
    assert memberships.backhaul(store, COOP)["status"] == "no-backhaul"
    planned = plan_change(store, COOP, BACKHAUL, actor="operator", accesses_installed=True)
    apply_plan(store, planned.id, actor="operator")
    for n in (1, 2, 3):
        subscribe(store, n, "basic")
    load = memberships.backhaul(store, COOP, model=MODEL)
    assert (load["members"], load["busy_hour_bps"], load["load_percent"], load["status"]) == (3, 150 * M, 75.0, "ok")
    assert load["committed_down_bps"] == 300 * M and load["offer_bps"] is None
    with pytest.raises(ValidationError) as err:
        memberships.plan_backhaul(store, COOP, actor="manager", model=MODEL)
    assert err.value.field == "service"

    subscribe(store, 4, "basic")
    load = memberships.backhaul(store, COOP, model=MODEL)
    assert (load["busy_hour_bps"], load["load_percent"], load["status"], load["offer_bps"]) == (
        200 * M, 100.0, "saturated", 300 * M)  # 200M / 0.8 = 250M → the next sellable step, 300M

    offer = memberships.plan_backhaul(store, COOP, actor="manager", model=MODEL)
    assert offer["rate_bps"] == 300 * M
    assert "modify internet coop-backhaul: rate 200M → 300M" in offer["summary"]
    assert offer["price"]["monthly_delta_cents"] > 0  # the increase costs something, from the price book
    before = engine.latest_intent(store, COOP)
    assert before["services"][0]["rate"] == 200 * M  # a plan changes nothing until applied
    apply_plan(store, offer["plan_id"], actor="manager")
    after = memberships.backhaul(store, COOP, model=MODEL)
    assert (after["backhaul_bps"], after["status"]) == (300 * M, "ok")
    assert len(engine.latest_intent(store, COOP)["subscribers"]) == 4  # the members' lines stay as they were
