"""A site's 4G/5G backup line through the engine: refusals, the order and its completion, pools,
router configs, price, removal, and the demo seed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from engine_helpers import allocations, booked, config, go
from engine_world import NOW, acme
from sqlalchemy import func, select

from unilink.engine import apply, plan
from unilink.engine.core import status
from unilink.engine.orders import complete_order, list_orders, set_order_state
from unilink.errors import ValidationError
from unilink.store.db import Store
from unilink.store.tables.services import PlanRow

LTE = {"technology": "4g", "provider": "Orange Wholesale France", "port": "150M", "down": "100M", "up": "30M"}


@pytest.fixture
def onboarded(estore: Store) -> Store:
    go(estore, "acme", acme(), NOW, accesses_installed=True)
    return estore


def with_backup(backup: dict[str, Any] | None = LTE) -> dict[str, Any]:
    doc = acme()
    if backup is not None:
        doc["sites"][0]["backup"] = backup  # HQ, on paris-pe1
    return doc


def plans(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(PlanRow)) or 0)


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["sites"][0].update(access=dict(LTE)), "sites[0].access.technology"),
    (lambda d: d["sites"][0].update(backup={**LTE, "down": "500M"}), "sites[0].backup.down"),
    (lambda d: d["sites"][0].update(backup={"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}),
     "sites[0].backup.technology"),
])
def test_a_refused_backup_changes_nothing(onboarded: Store, change: Any, field: str) -> None:
    before = (status(onboarded, "acme"), allocations(onboarded), config(onboarded, "paris-pe1"), plans(onboarded))
    doc = acme()
    change(doc)
    with pytest.raises(ValidationError) as caught:
        plan(onboarded, "acme", doc, now=NOW)
    assert caught.value.field == field
    assert (status(onboarded, "acme"), allocations(onboarded), config(onboarded, "paris-pe1"),
            plans(onboarded)) == before


def test_a_new_backup_is_an_order_whose_completion_attaches_it(onboarded: Store) -> None:
    p = plan(onboarded, "acme", with_backup(), now=NOW)
    [order] = p.content["new_orders"]
    assert (order["site"], order["kind"], order["lead_time_days"]) == ("HQ:backup", "new-backup", 3)
    price = p.content["price"]
    # 4G: €25/month once the line is in (nothing billed before: the apply adds no line), €50 once
    assert (price["monthly_delta_cents"], price["monthly_pending_delta_cents"], price["one_off_cents"]) == (
        0, 2_500, 5_000)
    assert [(line["item"], line["now_cents"], line["after_cents"], line["pending_cents"])
            for line in price["lines"]] == [("backup HQ (4g 150M)", None, None, 2_500)]
    apply(onboarded, p.id, "alice", "4G backup for the HQ", now=NOW)
    assert "backup" not in status(onboarded, "acme")["deployed"]["sites"][0]  # the router is not there yet
    assert "(backup)" not in config(onboarded, "paris-pe1")
    [row] = list_orders(onboarded, "acme", open_only=True)
    assert row["site"] == "HQ:backup" and row["item"]["access"]["technology"] == "4g"
    set_order_state(onboarded, row["id"], "inProgress", "field-team", now=NOW)
    result = complete_order(onboarded, row["id"], "field-team", now=NOW + timedelta(days=3))
    assert result is not None and result.routers == ("paris-pe1",)
    state = status(onboarded, "acme")
    assert state["deployed"]["sites"][0]["backup"]["technology"] == "4g" and state["open_orders"] == []
    assert state["physical"]["HQ"]["backup"]["technology"] == "4g"
    assert state["physical"]["HQ"]["technology"] == "fibre"  # the primary's line is untouched
    text = config(onboarded, "paris-pe1")
    assert 'description "acme HQ (backup)"' in text
    assert "qualified-next-hop" in text and "preference 250" in text
    assert "shaping-rate 100000000" in text  # the backup: min(700M of services, 100M of the 4G line)
    mine = {(pool, owner) for pool, _, owner, _ in allocations(onboarded)}
    assert {("port", "acme/HQ:backup"), ("vlan", "acme/HQ/backup:vpn:corp"), ("p2p", "acme/HQ/backup:vpn:corp")} <= mine


def test_removing_a_backup_needs_no_order_and_frees_its_resources(onboarded: Store) -> None:
    go(onboarded, "acme", with_backup(), NOW, accesses_installed=True)  # onboarded with its 4G line
    assert any(owner == "acme/HQ:backup" for _, _, owner, _ in allocations(onboarded))
    p = plan(onboarded, "acme", with_backup(None), now=NOW)
    assert p.content["new_orders"] == []
    assert any(line.startswith("modify site HQ: backup.down 100M → —") for line in p.content["summary"])
    assert p.content["price"]["monthly_delta_cents"] == -2_500
    released = {owner for _, _, owner, _ in p.content["allocations"]["release"]}
    assert released == {"acme/HQ:backup", "acme/HQ/backup:vpn:corp"}
    assert not any(b["key"].startswith("svc:") and "backup" in b["key"] for b in p.content["bookings"])
    apply(onboarded, p.id, "alice", "no more 4G", now=NOW)
    assert not any("backup" in owner for _, _, owner, _ in allocations(onboarded))
    assert "(backup)" not in config(onboarded, "paris-pe1") and "preference 250" not in config(onboarded, "paris-pe1")
    assert "backup" not in status(onboarded, "acme")["physical"]["HQ"]


def test_a_backup_books_no_backbone_capacity_of_its_own(onboarded: Store) -> None:
    """Same PE, same path as the primary, and traffic only while the primary is down (docs/changes.md)."""
    def bookings() -> dict[str, list[tuple[str, str, int]]]:
        return {key: sorted(arcs) for key, arcs in booked(onboarded).items()}

    before = bookings()
    go(onboarded, "acme", with_backup(), NOW, accesses_installed=True)
    assert bookings() == before
