"""The important engine guarantees on SQLite and on PostgreSQL (skipped with a reason without it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from engine_helpers import allocations, booked, config, go
from engine_world import NOW, acme

from unilink.engine import apply, plan
from unilink.engine.core import revert, status
from unilink.errors import InfeasibleError, ValidationError
from unilink.store.db import Store
from unilink.usecases.scheduled_changes import run_due


def test_refusals_change_nothing(any_estore: Store) -> None:
    go(any_estore, "acme", acme(), NOW, accesses_installed=True)
    before, allocs = booked(any_estore), allocations(any_estore)
    doc = acme()
    doc["services"][0]["rate"] = "0"
    with pytest.raises(ValidationError):
        plan(any_estore, "acme", doc, now=NOW)
    doc = acme()
    doc["sites"][1]["access"].update(port="10G", down="2G", up="2G")
    doc["services"].append({"kind": "eline", "name": "big", "a": "Lyon-plant", "b": "Milan-office", "rate": "100M",
                            "protected": True})
    doc["services"][1]["rate"] = "10M"
    doc["sites"][2]["access"].update(technology="fibre", port="10G", down="10G", up="10G")
    go(any_estore, "acme", doc, NOW, accesses_installed=True)  # fits
    doc["services"][-1]["rate"] = "1500M"  # Lyon has two links; one is 1G: no disjoint pair of 1.5G
    with pytest.raises(InfeasibleError) as err:
        plan(any_estore, "acme", doc, now=NOW)
    assert "Lyon-Milan" in str(err.value) + str(err.value.details)
    after = booked(any_estore), allocations(any_estore)
    with pytest.raises(InfeasibleError):
        plan(any_estore, "acme", doc, now=NOW)
    assert (booked(any_estore), allocations(any_estore)) == after
    assert status(any_estore, "acme")["revision"] == 2
    assert booked(any_estore) != before and allocations(any_estore) != allocs  # the fitting change did land


def test_pools_boost_expiry_and_revert(any_estore: Store) -> None:
    go(any_estore, "acme", acme(), NOW, accesses_installed=True)
    doc = acme()
    doc["boosts"] = [{"service": "lyon-internet", "rate": "600M", "until": (NOW + timedelta(hours=1)).isoformat()}]
    go(any_estore, "acme", doc, NOW)
    assert "shaping-rate 700000000" in config(any_estore, "lyon-pe1")
    run_due(any_estore, NOW + timedelta(hours=1))
    assert "shaping-rate 200000000" in config(any_estore, "lyon-pe1") and booked(any_estore, "boost:") == {}
    values = [(pool, scope, value) for pool, scope, _, value in allocations(any_estore)]
    assert len(values) == len(set(values))
    # a revert to version 2 after its boost ended brings back the rest of it, not the boost that is over
    # (which the boost checks would refuse as ending in the past)
    p = revert(any_estore, "acme", 2, now=NOW + timedelta(hours=2))
    assert [t["action"] for t in p.content["changes"]["temporaries"]] in ([], ["noChange"]) and p.content["empty"]
    apply(any_estore, p.id, "alice", "again", now=NOW + timedelta(hours=2))
    assert status(any_estore, "acme")["intent_version"] == 3
