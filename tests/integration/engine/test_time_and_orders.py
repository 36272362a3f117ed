"""Boosts that return by themselves, scheduled windows firing, field-work orders, and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine_helpers import booked, config, go
from engine_world import NOW, acme

from unilink.clock import FrozenClock
from unilink.engine import apply, plan
from unilink.engine.core import latest_intent, status
from unilink.engine.orders import complete_order, list_orders, set_order_state
from unilink.errors import ConflictError
from unilink.events.publish import events_after
from unilink.store.db import Store
from unilink.usecases.scheduled_changes import run_due

M = 10**6


@pytest.fixture
def onboarded(estore: Store) -> Store:
    go(estore, "acme", acme(), NOW, accesses_installed=True)
    return estore


def test_boost_books_its_window_and_returns_by_itself(onboarded: Store) -> None:
    doc = acme()
    until = NOW + timedelta(hours=3)
    doc["boosts"] = [{"service": "lyon-internet", "rate": "600M", "until": until.isoformat()}]
    p = plan(onboarded, "acme", doc, now=NOW)
    assert p.content["price"]["temporary"][0]["hours"] == 3.0
    apply(onboarded, p.id, "alice", "month-end upload", now=NOW)
    boost = {k: v for k, v in booked(onboarded, "boost:").items()}
    assert len(boost) == 1 and {bps for _, _, bps in next(iter(boost.values()))} == {500 * M}  # 600M − 100M base
    assert "shaping-rate 700000000" in config(onboarded, "lyon-pe1")  # 600M internet + 100M VPN
    assert run_due(onboarded, NOW + timedelta(hours=1)) == []  # nothing due mid-boost
    fired = run_due(onboarded, until)
    assert [f.reason for f in fired] == ["rates change"] and fired[0].error is None
    with onboarded.session() as session:  # the return is published like any other change
        applied = [e for e in events_after(session, 0, tenant="acme", operator=False) if e.type == "change.applied"]
    assert applied[-1].data["plan_id"] == fired[0].plan_id
    assert booked(onboarded, "boost:") == {}
    assert "shaping-rate 200000000" in config(onboarded, "lyon-pe1")
    assert (latest_intent(onboarded, "acme") or {}).get("boosts") == []


def test_recurring_window_is_held_ahead_and_fires(onboarded: Store) -> None:
    doc = acme()
    doc["schedules"] = [{"name": "nightly-backup", "service": "corp", "site": "Lyon-plant", "rate": "800M",
                         "every": "daily", "window": "01:00-05:00"}]
    go(onboarded, "acme", doc, NOW)  # NOW is 12:00: next windows from tonight on
    windows = booked(onboarded, "sched:nightly-backup@Lyon-plant#")
    assert len(windows) == 7  # one per night, a week ahead
    assert "shaping-rate 200000000" in config(onboarded, "lyon-pe1")
    night = NOW.replace(hour=1) + timedelta(days=1)
    fired = run_due(onboarded, night)
    assert [f.reason for f in fired] == ["rates change"]
    assert "shaping-rate 900000000" in config(onboarded, "lyon-pe1")  # 800M VPN + 100M Internet
    run_due(onboarded, night.replace(hour=5))
    assert "shaping-rate 200000000" in config(onboarded, "lyon-pe1")


def test_scheduled_one_off_change(onboarded: Store) -> None:
    doc = acme()
    at = NOW + timedelta(days=2)
    doc["schedules"] = [{"name": "event", "service": "lyon-internet", "rate": "300M", "at": at.isoformat(),
                         "until": (at + timedelta(hours=6)).isoformat()}]
    go(onboarded, "acme", doc, NOW)
    assert len(booked(onboarded, "sched:event@")) == 1
    assert run_due(onboarded, at - timedelta(minutes=1)) == []
    run_due(onboarded, at)
    assert "shaping-rate 400000000" in config(onboarded, "lyon-pe1")
    run_due(onboarded, at + timedelta(hours=6))
    assert "shaping-rate 200000000" in config(onboarded, "lyon-pe1")
    assert (latest_intent(onboarded, "acme") or {}).get("schedules") == []


def test_new_site_and_port_upgrade_become_orders(onboarded: Store) -> None:
    doc = acme()
    doc["sites"].append({"name": "Frankfurt-lab", "pop": "Frankfurt",
                         "access": {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}})
    doc["services"][2]["members"].append({"site": "Frankfurt-lab", "rate": "300M"})
    doc["sites"][1]["access"].update(port="10G", down="2G", up="2G")  # Lyon: beyond its 1G port
    doc["services"][1]["rate"] = "1500M"
    p = plan(onboarded, "acme", doc, now=NOW)
    assert {o["site"]: o["kind"] for o in p.content["new_orders"]} == {"Frankfurt-lab": "new-access",
                                                                       "Lyon-plant": "port-change"}
    assert p.content["price"]["one_off_cents"] > 0
    # the plan shows what lands now and, apart, what lands when the field work is done
    now_changed = {c["name"] for c in p.content["changes"]["sites"] if c["action"] != "noChange"}
    pending = {c["name"]: c for c in p.content["pending"]["sites"] if c["action"] != "noChange"}
    assert "Frankfurt-lab" not in now_changed and pending["Frankfurt-lab"]["action"] == "add"
    assert pending["Lyon-plant"]["changes"]["access.port"] == {"before": 10**9, "after": 10**10}
    result = apply(onboarded, p.id, "alice", "new lab", now=NOW)
    assert len(result.orders) == 2
    deployed = status(onboarded, "acme")["deployed"]
    assert "Frankfurt-lab" not in {s["name"] for s in deployed["sites"]}  # waits for its line
    assert deployed["services"][1]["rate"] == 100 * M
    orders = {o["site"]: o for o in list_orders(onboarded, "acme")}
    assert orders["Lyon-plant"]["state"] == "acknowledged" and orders["Lyon-plant"]["lead_time_days"] == 45
    with pytest.raises(ConflictError):
        complete_order(onboarded, orders["Lyon-plant"]["id"], "field-team", now=NOW)  # not started yet
    set_order_state(onboarded, orders["Lyon-plant"]["id"], "inProgress", "field-team", now=NOW)
    complete_order(onboarded, orders["Lyon-plant"]["id"], "field-team", now=NOW + timedelta(days=1))
    deployed = status(onboarded, "acme")["deployed"]
    assert deployed["services"][1]["rate"] == 1500 * M  # the logical part landed with the line
    set_order_state(onboarded, orders["Frankfurt-lab"]["id"], "inProgress", "field-team", now=NOW)
    complete_order(onboarded, orders["Frankfurt-lab"]["id"], "field-team", now=NOW + timedelta(days=2))
    deployed = status(onboarded, "acme")["deployed"]
    assert "Frankfurt-lab" in {m["site"] for m in deployed["services"][2]["members"]}
    assert "Frankfurt-lab" in config(onboarded, "frankfurt-pe1")
    assert status(onboarded, "acme")["open_orders"] == []


def test_change_cycle_on_both_databases(any_estore: Store) -> None:
    go(any_estore, "acme", acme(), NOW, accesses_installed=True)
    doc = acme()
    doc["services"][1]["rate"] = "50M"
    first = plan(any_estore, "acme", doc, now=NOW)
    second = plan(any_estore, "acme", acme(), now=NOW)
    apply(any_estore, first.id, "alice", "", now=NOW)
    with pytest.raises(ConflictError):
        apply(any_estore, second.id, "bob", "", now=NOW)
    assert {bps for _, _, bps in booked(any_estore, "svc:lyon-internet")["svc:lyon-internet"]} == {50 * M}


def test_background_loop_fires_and_stops(onboarded: Store, frozen_clock: FrozenClock) -> None:
    import threading
    import time

    from unilink.engine.core import history
    from unilink.usecases.scheduled_changes import run_forever

    doc = acme()  # a boost applied at NOW that ends three hours later; the loop runs on the store's clock
    doc["boosts"] = [{"service": "lyon-internet", "rate": "600M", "until": (NOW + timedelta(hours=3)).isoformat()}]
    go(onboarded, "acme", doc, NOW)
    frozen_clock.set(NOW + timedelta(hours=4))  # the boost is over by the time the loop looks
    stop = threading.Event()
    loop = threading.Thread(target=run_forever, args=(onboarded, stop, 0.05), daemon=True)
    loop.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and history(onboarded, "acme")[0]["action"] != "scheduler":
        time.sleep(0.05)
    stop.set()
    loop.join(timeout=10)
    assert not loop.is_alive()
    assert history(onboarded, "acme")[0]["actor"] == "scheduler"
    assert (latest_intent(onboarded, "acme") or {}).get("boosts") == []


def test_what_was_missed_is_due_from_the_earliest_end_it_passed() -> None:
    """After a downtime the scheduler fires tenants in the order they fell due (engine.scheduler.due_since)."""
    from engine_world import NOW, acme

    from unilink.engine.scheduler import due_since
    from unilink.services.intent import Intent

    doc = acme()
    doc["boosts"] = [{"service": "lyon-internet", "rate": "600M", "until": (NOW + timedelta(hours=h)).isoformat()}
                     for h in (3, 1)]
    intent = Intent.model_validate(doc)
    down_until = NOW + timedelta(hours=4)
    assert due_since(intent, NOW, down_until) == NOW + timedelta(hours=1)            # the first boost's end
    assert due_since(intent, NOW + timedelta(hours=2), down_until) == NOW + timedelta(hours=3)  # one left
    assert due_since(intent, NOW + timedelta(hours=5), down_until) == NOW + timedelta(hours=5)  # none passed
