"""Two writers (two Store objects on one database, as two processes would be) never oversell."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from engine_helpers import booked, go
from engine_world import NOW, acme, prepare

from unilink.engine import apply, plan
from unilink.errors import InfeasibleError
from unilink.store.db import Store

M = 10**6


def lyon_milan(name: str, rate: str) -> dict:
    access = {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}
    return {"sites": [{"name": f"{name}-Lyon", "pop": "Lyon", "access": access},
                      {"name": f"{name}-Milan", "pop": "Milan", "access": access}],
            "services": [{"kind": "eline", "name": f"{name}-line", "a": f"{name}-Lyon", "b": f"{name}-Milan",
                          "rate": rate, "protected": True}]}


@pytest.fixture
def two_processes(tmp_path: Path) -> tuple[Store, Store]:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = prepare(Store.open(url))
    go(first, "acme", acme(), NOW, accesses_installed=True)
    return first, Store.open(url)


def test_a_plan_held_by_another_process_is_seen_when_it_loads(two_processes: tuple[Store, Store]) -> None:
    """The first plan holds its capacity (engine.holds), flagged in the table: the second process,
    loading its runtime, holds it too, and refuses the second plan at once, naming the link."""
    one, two = two_processes
    p1 = plan(one, "acme", {**acme(), "sites": acme()["sites"] + lyon_milan("a", "600M")["sites"],
                            "services": acme()["services"] + lyon_milan("a", "600M")["services"]},
              now=NOW, accesses_installed=True)
    with pytest.raises(InfeasibleError) as err:
        plan(two, "globex", lyon_milan("g", "600M"), now=NOW, accesses_installed=True)
    assert "Lyon-Milan" in str(err.value)
    apply(one, p1.id, "alice", "", now=NOW)


def test_a_warm_process_sees_the_other_processes_hold_when_it_saves(two_processes: tuple[Store, Store]) -> None:
    """The second process loaded its runtime before the first one's plan: saving its own plan, it finds
    a hold it did not know (engine.holds.save), syncs and plans again — refused, naming the link."""
    one, two = two_processes
    plan(two, "globex", {"sites": [], "services": []}, now=NOW)  # the second process loads its runtime now
    plan(one, "acme", {**acme(), "sites": acme()["sites"] + lyon_milan("a", "600M")["sites"],
                       "services": acme()["services"] + lyon_milan("a", "600M")["services"]},
         now=NOW, accesses_installed=True)
    with pytest.raises(InfeasibleError) as err:
        plan(two, "globex", lyon_milan("g", "600M"), now=NOW, accesses_installed=True)
    assert "Lyon-Milan" in str(err.value)


def test_the_second_of_two_plans_for_the_same_capacity_is_refused(two_processes: tuple[Store, Store]) -> None:
    """A plan whose hold was released (its tenant made a newer plan) is admitted again at apply: what no
    longer fits is refused then."""
    one, two = two_processes
    # Each E-Line alone fits its backup through Lyon–Milan (1G, the VPN uses a little); both do not.
    p2 = plan(two, "globex", lyon_milan("g", "600M"), now=NOW, accesses_installed=True)
    plan(two, "globex", {"sites": [], "services": []}, now=NOW)  # globex's newest plan holds nothing
    p1 = plan(one, "acme", {**acme(), "sites": acme()["sites"] + lyon_milan("a", "600M")["sites"],
                            "services": acme()["services"] + lyon_milan("a", "600M")["services"]},
              now=NOW, accesses_installed=True)
    apply(one, p1.id, "alice", "", now=NOW)
    with pytest.raises(InfeasibleError) as err:
        apply(two, p2.id, "bob", "", now=NOW)
    assert "no longer fits" in str(err.value)
    assert "g-line" not in str(booked(two))
    assert sum(bps for link, d, bps in sum(booked(two).values(), []) if link == "Lyon-Milan" and d == "ab") <= 10**9


def test_concurrent_applies_are_serialised(two_processes: tuple[Store, Store]) -> None:
    one, two = two_processes
    p1 = plan(one, "globex", lyon_milan("g", "100M"), now=NOW, accesses_installed=True)
    doc = acme()
    doc["services"][1]["rate"] = "300M"
    p2 = plan(two, "acme", doc, now=NOW)
    errors: list[BaseException] = []

    def run(store: Store, plan_id: str) -> None:
        try:
            apply(store, plan_id, "t", "", now=NOW)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(one, p1.id)), threading.Thread(target=run, args=(two, p2.id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    # Each process's runtime saw the other's apply (ledger sequence): a new plan on either is coherent.
    assert plan(one, "acme", doc, now=NOW).is_empty and plan(two, "globex", lyon_milan("g", "100M"), now=NOW).is_empty
    assert {bps for _, _, bps in booked(one, "svc:lyon-internet")["svc:lyon-internet"]} == {300 * M}


def test_a_shared_router_changed_meanwhile_keeps_both_changes(two_processes: tuple[Store, Store]) -> None:
    from engine_helpers import config

    one, two = two_processes
    doc = acme()
    doc["services"][1]["rate"] = "150M"  # acme's Lyon attachment: 150M Internet + 100M VPN
    acme_plan = plan(one, "acme", doc, now=NOW)
    globex = {"sites": [{"name": "G-Lyon", "pop": "Lyon", "access": {"technology": "ftth", "port": "1G",
                                                                      "down": "300M", "up": "100M"}}],
              "services": [{"kind": "internet", "name": "g-net", "site": "G-Lyon", "rate": "300M"}]}
    go(two, "globex", globex, NOW, accesses_installed=True)  # lyon-pe1 changes under acme's plan
    apply(one, acme_plan.id, "alice", "", now=NOW)
    lyon = config(one, "lyon-pe1")
    assert "G-Lyon" in lyon and "shaping-rate 250000000" in lyon and "shaping-rate 300000000" in lyon
