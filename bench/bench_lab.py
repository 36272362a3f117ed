"""Benchmark: from `apply` to the last lab router committed, for a rate change and a VPN
membership change, on real FRR routers in namespaces (4 PoPs of the sample network).

Path measured (device layer): render (frr) → DeviceTransaction (journal, parallel prepare → commit) through
`LabDriver`; `apply_to_last_commit_ms` excludes the verify phase that follows, `total_ms`
includes it. Competitor, same run, same changes: FRR's stock `frr-reload.py --reload` of each
touched router's full config plus every Linux command run one `ip`/`tc` exec at a time — what
pushing a whole config to an FRR box usually looks like. The last line is one JSON object.

Then the engine's own path on the same lab (`engine_*`): plan, and `engine.apply` (database,
ledger, render, the same transaction into the lab, verify) for a rate change and a VPN leave.

Skips (a JSON with "skipped") when not root or FRR/iproute2 are missing.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from unilink.lab.probes import missing_for_lab

PREFIX = "ulb-"
REPEAT = 3
M = 1_000_000


def main() -> dict[str, object]:
    reason = missing_for_lab()
    if reason:
        return {"benchmark": "lab", "skipped": reason}
    from unilink.inventory.sample import load_demo_tenants, load_sample_network
    from unilink.lab import shell
    from unilink.lab.builder import Lab
    from unilink.lab.driver import LabDriver
    from unilink.lab.frr import FRR_DAEMON_DIR
    from unilink.lab.site_services import LabChanges, SiteService

    directory = Path(tempfile.mkdtemp(prefix="ul-labbench-", dir="/tmp"))
    directory.chmod(0o755)
    lab = Lab.at(directory)
    figures: dict[str, object] = {"benchmark": "lab", "routers": 4}
    try:
        t0 = time.perf_counter()
        lab.up(load_sample_network(), load_demo_tenants(), 4, prefix=PREFIX, wait=False)
        figures["lab_up_s"] = round(time.perf_counter() - t0, 2)
        figures["converge_s"] = round(lab.wait_converged(), 2)
        changes = LabChanges(lab)
        by_pe: dict[str, str] = {}
        for s in changes.topology.sites:
            by_pe.setdefault(s.router, s.name)
        a, b, c, d = list(by_pe.values())[:4]

        def state(rate_b: int, members: tuple[str, ...]) -> dict[str, SiteService]:
            return {s: SiteService(down_bps=rate_b if s == b else 100 * M, vni=100 if s in members else None)
                    for s in (a, b, c, d)}

        def timed(services: dict[str, SiteService]) -> tuple[float, float]:
            result, elapsed = changes.apply(services)
            if not result.ok:
                raise RuntimeError(f"transaction failed: {result.to_dict()}")
            verify_ms = result.timings_ms.get("verify", 0.0)
            return elapsed * 1000 - verify_ms, elapsed * 1000

        base = state(100 * M, (a, b))
        timed(base)  # first push replaces the lab's day-0 BGP mesh: not measured
        rate, rate_total, vpn, vpn_total = [], [], [], []
        for _ in range(REPEAT):
            commit_ms, total_ms = timed(state(10 * M, (a, b)))
            rate.append(commit_ms)
            rate_total.append(total_ms)
            timed(base)
            commit_ms, total_ms = timed(state(100 * M, (a, b, c)))
            vpn.append(commit_ms)
            vpn_total.append(total_ms)
            timed(base)

        driver = LabDriver(lab)

        def competitor(services: dict[str, SiteService]) -> float:
            """Full-config push: frr-reload.py per touched router + one exec per Linux command."""
            configs = changes.render_all(services)
            touched = [r for r, cfg in configs.items() if changes.committed.get(r) != cfg]

            def push(router: str) -> str:
                full, commands = driver.compose(router, configs[router])
                lab_router = driver.topology.router(router)
                frr = lab.frr(lab_router.netns)
                path = frr.directory / "bench.conf"
                path.write_text(full)
                shell.run(["python3", str(FRR_DAEMON_DIR / "frr-reload.py"), "--reload", "--vty_socket",
                           str(frr.directory), "--confdir", str(frr.directory), "--rundir", str(frr.directory),
                           str(path)], timeout_s=120)
                for argv in commands:
                    if argv[:3] == ["ip", "link", "add"]:
                        shell.run([argv[0], "-n", lab_router.netns, *argv[1:]], check=False)  # may exist
                    else:
                        shell.run([argv[0], "-n", lab_router.netns, *argv[1:]])
                driver.record_applied(lab_router, full)
                return router

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=max(1, len(touched))) as pool:
                list(pool.map(push, touched))
            elapsed = (time.perf_counter() - started) * 1000
            changes.committed.update({r: configs[r] for r in touched})
            return elapsed

        for r in changes.topology.routers:
            (lab.frr(r.netns).directory / "vtysh.conf").touch()  # frr-reload's vtysh reads it
        rate_stock = [competitor(state(10 * M, (a, b)))]
        timed(base)
        vpn_stock = [competitor(state(100 * M, (a, b, c)))]
        timed(base)

        figures.update({
            "rate_change_apply_to_last_commit_ms": round(statistics.median(rate), 1),
            "rate_change_total_with_verify_ms": round(statistics.median(rate_total), 1),
            "vpn_join_apply_to_last_commit_ms": round(statistics.median(vpn), 1),
            "vpn_join_total_with_verify_ms": round(statistics.median(vpn_total), 1),
            "stock_frr_reload_rate_change_ms": round(statistics.median(rate_stock), 1),
            "stock_frr_reload_vpn_join_ms": round(statistics.median(vpn_stock), 1),
            "repeat": REPEAT,
        })
        figures["rate_change_speedup_vs_stock"] = round(
            figures["stock_frr_reload_rate_change_ms"] / figures["rate_change_apply_to_last_commit_ms"], 1)  # type: ignore[operator]
        figures["vpn_join_speedup_vs_stock"] = round(
            figures["stock_frr_reload_vpn_join_ms"] / figures["vpn_join_apply_to_last_commit_ms"], 1)  # type: ignore[operator]
        figures.update(engine_figures(lab))
    finally:
        lab.down(prefix=PREFIX)
    return figures


ENGINE_SITES = {  # the demo enterprise's sites on the 4-PoP lab, with their accesses from tenants.yaml
    "paris-hq": ("Paris", "paris-pe1", "fibre", "on-net", "10G", "2G", "2G"),
    "frankfurt-dc": ("Frankfurt", "frankfurt-pe1", "fibre", "on-net", "10G", "5G", "5G"),
    "lyon-warehouse": ("Lyon", "lyon-pe1", "ftth", "Orange Wholesale France", "1G", "500M", "200M"),
}


def engine_figures(lab: object) -> dict[str, object]:
    """The same kinds of change through the engine: `engine.apply` of a plan (database, ledger,
    render, DeviceTransaction into the lab, verify), with the lab's routers registered as FRR."""
    import shutil
    from contextlib import ExitStack

    from unilink.devices.drivers.registry import using_driver
    from unilink.engine import apply, plan
    from unilink.lab.driver import lab_driver_factory
    from unilink.store.db import Store
    from unilink.store.seed import seed_inventory, seed_tenants

    db_dir = Path(tempfile.mkdtemp(prefix="ul-labbench-db-"))
    store = Store.open(f"sqlite:///{db_dir / 'unilink.db'}")
    selected = ExitStack()
    try:
        seed_inventory(store, False)
        seed_tenants(store, False)
        lab.register(store)  # type: ignore[attr-defined]
        # the engine pushes `driver: lab` routers to this lab (the others to sim), selected by name
        selected.enter_context(using_driver("lab-bench", lab_driver_factory(lab)))  # type: ignore[arg-type]

        def document(lyon_rate: str, members: tuple[str, ...]) -> dict[str, object]:
            rates = {"paris-hq": "100M", "frankfurt-dc": "100M", "lyon-warehouse": lyon_rate}
            return {"tenant": "acme-logistics",
                    "sites": [{"name": n, "pop": p, "router": r, "access": {"technology": t, "provider": pr,
                                                                             "port": po, "down": d, "up": u}}
                              for n, (p, r, t, pr, po, d, u) in ENGINE_SITES.items()],
                    "services": [{"kind": "ipvpn", "name": "corp", "topology": "any-to-any",
                                  "members": [{"site": s, "rate": rates[s]} for s in members]}]}

        def timed(doc: dict[str, object]) -> tuple[float, float]:
            t0 = time.perf_counter()
            p = plan(store, "acme-logistics", doc, accesses_installed=True)
            t1 = time.perf_counter()
            apply(store, p.id, "bench", "bench", confirm_removals=True)  # one step drops a VPN member on purpose
            return (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000

        everyone = ("paris-hq", "frankfurt-dc", "lyon-warehouse")
        timed(document("100M", everyone))  # first push: every router gets the engine's config
        rate_plan, rate_apply, vpn_plan, vpn_apply = [], [], [], []
        for _ in range(REPEAT):
            p_ms, a_ms = timed(document("10M", everyone))
            rate_plan.append(p_ms)
            rate_apply.append(a_ms)
            timed(document("100M", everyone))
            p_ms, a_ms = timed(document("100M", ("paris-hq", "lyon-warehouse")))
            vpn_plan.append(p_ms)
            vpn_apply.append(a_ms)
            timed(document("100M", everyone))
        return {"engine_rate_change_plan_ms": round(statistics.median(rate_plan), 1),
                "engine_rate_change_apply_ms": round(statistics.median(rate_apply), 1),
                "engine_vpn_leave_plan_ms": round(statistics.median(vpn_plan), 1),
                "engine_vpn_leave_apply_ms": round(statistics.median(vpn_apply), 1)}
    finally:
        selected.close()
        if lab.registered():  # type: ignore[attr-defined]
            lab.unregister(store)  # type: ignore[attr-defined]
        store.close()
        shutil.rmtree(db_dir, ignore_errors=True)


if __name__ == "__main__":
    result = main()
    print(json.dumps(result))
    sys.exit(0)
