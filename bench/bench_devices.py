"""Benchmark: time from `apply` to the last router committed, with the `sim` driver, for 1, 10 and
50 routers touched — the device layer's own orchestration cost (journal in SQLite, thread pool,
prepare → commit), then with a per-operation device latency to show what the parallel pushes buy.

Competitor, same run, same changes: the naive way — push each router in turn (prepare, commit),
no journal. `ratio_*` = competitor time / ours (> 1: we are faster).

Then the engine's journalled apply (`engine_apply_*`): a rate change over a tenant's sites on three
routers, plan + apply through the engine with its journal in the store (the entry committed before
the write lock, `done` committed with the apply); `engine_journal_share` is the part of the apply
spent computing and committing the journal entry before the lock.
The last line printed is one JSON object of named figures (milliseconds).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from unilink.devices.device_intent import AccessAttachment, build_device_intents  # noqa: E402
from unilink.devices.diff import diff_configs  # noqa: E402
from unilink.devices.drivers.sim import SimDriver  # noqa: E402
from unilink.devices.journal import StoreJournal  # noqa: E402
from unilink.devices.render import RenderedConfig, render  # noqa: E402
from unilink.devices.transaction import DeviceTransaction  # noqa: E402
from unilink.inventory.model import Router, RouterRole, Vendor  # noqa: E402
from unilink.store.db import Store  # noqa: E402

SIZES = (1, 10, 50)
REPEAT = 5
DEVICE_LATENCY_S = 0.02  # per prepare and per commit: a fast box's own commit time, scaled down


class TimedSim(SimDriver):
    """A sim router that notes when its commit finished."""

    committed_at: float = 0.0

    def commit(self) -> None:
        super().commit()
        self.committed_at = time.perf_counter()


def _configs(n: int, rate_bps: int) -> dict[str, RenderedConfig]:
    routers = [Router(name=f"pe{i}", pop=f"P{i}", role=RouterRole.EDGE, vendor=Vendor.JUNOS,
                      loopback=f"10.255.{i // 250}.{i % 250 + 1}") for i in range(n)]
    atts = [AccessAttachment(site=f"Site {i}", tenant="acme", router=f"pe{i}", port="ge-0/0/1", vlan=100 + i,
                             ipv4=f"10.1.{i}.0/31", ipv6=None, rate_down_bps=rate_bps, rate_up_bps=rate_bps,
                             internet=True) for i in range(n)]
    intents = build_device_intents(routers, atts)
    return {name: render("junos", intent) for name, intent in intents.items()}


def _ours(store: Store, n: int, latency_s: float) -> float:
    old, new = _configs(n, 100_000_000), _configs(n, 10_000_000)
    drivers = {r: TimedSim(r, initial=old[r], latency_s=latency_s) for r in old}
    changes = [diff_configs(r, "junos", old[r], new[r]) for r in old]
    t0 = time.perf_counter()
    result = DeviceTransaction(drivers, changes, StoreJournal(store), verify=True).run()
    assert result.ok, result
    return (max(d.committed_at for d in drivers.values()) - t0) * 1000


def _naive(n: int, latency_s: float) -> float:
    old, new = _configs(n, 100_000_000), _configs(n, 10_000_000)
    drivers = {r: TimedSim(r, initial=old[r], latency_s=latency_s) for r in old}
    t0 = time.perf_counter()
    for r, driver in drivers.items():
        driver.prepare(new[r])
        driver.commit()
    return (max(d.committed_at for d in drivers.values()) - t0) * 1000


def _engine_apply(tmp: str, runs: int) -> dict[str, object]:
    """Plan + apply of a 3-router rate change through the engine, journalled in SQLite."""
    from unilink.engine import apply, core, plan
    from unilink.inventory.model import Interconnect, InterconnectKind, Network, Pop, make_link
    from unilink.store.tenancy import add_tenant

    pops = [Pop("Paris", "Paris", "FR", 48.86, 2.35), Pop("Lyon", "Lyon", "FR", 45.76, 4.84),
            Pop("Milan", "Milan", "IT", 45.46, 9.19)]
    routers = [Router(f"{p.name.lower()}-pe1", p.name, RouterRole.EDGE, Vendor.JUNOS, f"10.255.0.{i + 1}")
               for i, p in enumerate(pops)]
    links = [make_link(f"{a.name}-{b.name}", a, b, 10**10) for a, b in ((pops[0], pops[1]), (pops[1], pops[2]),
                                                                         (pops[2], pops[0]))]
    network = Network("bench", pops, routers, links,
                      [Interconnect("transit", InterconnectKind.TRANSIT, "Paris", "Cogent", 10**11)])
    store = Store.open(f"sqlite:///{Path(tmp) / 'engine.db'}")
    store.replace_network(network)
    with store.session() as session:
        add_tenant(session, "acme", "enterprise", "ACME")

    def doc(rate_mbps: int) -> dict[str, object]:
        access = {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}
        sites = [{"name": f"site-{p.name}", "pop": p.name, "access": access} for p in pops]
        return {"sites": sites, "services": [{"kind": "ipvpn", "name": "corp", "members": [
            {"site": s["name"], "rate": f"{rate_mbps}M"} for s in sites]}]}

    apply(store, plan(store, "acme", doc(100), accesses_installed=True).id, "bench", "setup")
    journal_ms: list[float] = []
    original = core._journal_pushes

    def timed_journal(*args: object, **kwargs: object) -> object:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            journal_ms.append((time.perf_counter() - t0) * 1000)

    core._journal_pushes = timed_journal  # type: ignore[assignment]
    applies: list[float] = []
    try:
        for n in range(runs):
            change = plan(store, "acme", doc(200 + n % 2 * 100))
            t0 = time.perf_counter()
            apply(store, change.id, "bench", "bench")
            applies.append((time.perf_counter() - t0) * 1000)
    finally:
        core._journal_pushes = original  # type: ignore[assignment]
        store.close()
    p50, journal_p50 = statistics.median(applies), statistics.median(journal_ms)
    return {"engine_apply_3_routers_journalled_p50_ms": round(p50, 2),
            "engine_apply_3_routers_journalled_max_ms": round(max(applies), 2),
            "engine_journal_before_lock_p50_ms": round(journal_p50, 2),
            "engine_journal_share": round(journal_p50 / p50, 2) if p50 else None}


def main() -> dict[str, object]:
    figures: dict[str, object] = {"benchmark": "devices", "driver": "sim", "repeat": REPEAT,
                                  "device_latency_ms": DEVICE_LATENCY_S * 1000, "cpu_count": os.cpu_count(),
                                  "load_average_1m": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        _ours(store, 2, 0.0)  # warm-up: imports, templates, SQLite file
        for n in SIZES:
            t0 = time.perf_counter()
            _configs(n, 10_000_000)
            figures[f"render_{n}_routers_ms"] = round((time.perf_counter() - t0) * 1000, 2)
            for label, latency in (("", 0.0), ("_latency", DEVICE_LATENCY_S)):
                ours = statistics.median(_ours(store, n, latency) for _ in range(REPEAT))
                naive = statistics.median(_naive(n, latency) for _ in range(REPEAT))
                figures[f"apply_to_last_commit_{n}_routers{label}_ms"] = round(ours, 2)
                figures[f"sequential_no_journal_{n}_routers{label}_ms"] = round(naive, 2)
                figures[f"ratio_{n}_routers{label}"] = round(naive / ours, 2) if ours else None
        store.close()
        figures.update(_engine_apply(tmp, runs=30))
    return figures


if __name__ == "__main__":
    result = main()
    print(json.dumps(result))
