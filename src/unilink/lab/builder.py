"""Bring a lab up, report on it, tear it down — the adapter that runs what `topology` decided.

State lives in `<labdir>/lab.json` (written before the first namespace is made, so that `down`
can always find what `up` started, even after a failed `up`).
"""

from __future__ import annotations

import json
import shutil
import signal
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from unilink.inventory.model import Network, Vendor
from unilink.lab import shell
from unilink.lab.frr import FrrInstance
from unilink.lab.probes import missing_for_lab
from unilink.lab.shell import LabError
from unilink.lab.topology import (
    DEFAULT_PREFIX,
    LabSite,
    LabTopology,
    build_topology,
    frr_day0_config,
    lab_inventory,
    link_commands,
    netns_commands,
    tbf_args,
    vpn_bridge_names,
)

STATE_FILE = "lab.json"
CONVERGE_TIMEOUT_S = 120.0  # a loaded 2-core CI machine has taken over 60 s to bring up iBGP EVPN
PARALLEL = 8  # namespaces set up at once (subprocess-bound; 2 cores here)


def _parallel(func: Callable[[Any], Any], items: Iterable[Any], workers: int = PARALLEL) -> list[Any]:
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(func, items))


@dataclass(slots=True)
class Lab:
    """A lab living in `directory` (default var/lab)."""

    directory: Path

    @classmethod
    def at(cls, directory: Path | str | None = None) -> Lab:
        return cls(Path(directory or Path.cwd() / "var" / "lab").resolve())

    @property
    def state_path(self) -> Path:
        return self.directory / STATE_FILE

    # -- state ------------------------------------------------------------------------------------

    def topology(self) -> LabTopology:
        if not self.state_path.exists():
            raise LabError(f"no lab in {self.directory} (run `unilink lab up`)")
        return LabTopology.from_dict(json.loads(self.state_path.read_text())["topology"])

    def is_up(self) -> bool:
        return self.state_path.exists()

    def frr(self, netns: str) -> FrrInstance:
        return FrrInstance(netns=netns, directory=self.directory / "frr" / netns)

    # -- up ---------------------------------------------------------------------------------------

    def up(self, network: Network, tenants: Iterable[dict[str, Any]] = (), pops: int | Sequence[str] | None = None,
           *, prefix: str = DEFAULT_PREFIX, wait: bool = True) -> LabTopology:
        topo = build_topology(network, tenants, pops, prefix=prefix)  # bad input fails first, on any machine
        reason = missing_for_lab()
        if reason:
            raise LabError(f"cannot build the lab here: {reason}")
        self._check_free(topo)
        self.directory.mkdir(parents=True, exist_ok=True)
        _check_reachable_by_frr(self.directory)
        self.state_path.write_text(json.dumps({"topology": topo.to_dict(), "started_at": time.time()}, indent=1))
        try:
            shell.ip_batch(link_commands(topo))
            _parallel(lambda item: _configure_netns(*item), netns_commands(topo).items())
            _parallel(lambda r: shell.in_netns(r.netns, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]), topo.routers)
            _parallel(lambda r: self.frr(r.netns).start(frr_day0_config(topo, r)), topo.routers)
            if wait:
                self.wait_converged(topo)
        except BaseException:
            self.down()
            raise
        return topo

    def _check_free(self, topo: LabTopology) -> None:
        if self.state_path.exists():
            raise LabError(f"a lab is already up in {self.directory} (run `unilink lab down --dir {self.directory}`)")
        clash = sorted(set(topo.namespaces()) & set(shell.netns_list()))
        if clash:
            raise LabError(f"namespaces already exist: {', '.join(clash)} (another lab with prefix {topo.prefix!r}? "
                           f"use `unilink lab down` on its dir, or another prefix)")

    def wait_converged(self, topo: LabTopology | None = None, timeout_s: float = CONVERGE_TIMEOUT_S) -> float:
        """Wait until every router has an OSPF route to every other loopback and all iBGP EVPN
        sessions are up. Returns the seconds waited."""
        topo = topo or self.topology()
        start = time.monotonic()
        while True:
            pending = _parallel(lambda r: self._router_pending(topo, r.netns), topo.routers)
            pending = [p for p in pending if p]
            if not pending:
                return time.monotonic() - start
            if time.monotonic() - start > timeout_s:
                raise LabError(f"the lab did not converge within {timeout_s:.0f} s: {'; '.join(pending)}")
            time.sleep(0.2)

    def _router_pending(self, topo: LabTopology, netns: str) -> str | None:
        frr = self.frr(netns)
        routes = frr.vtysh_json("show ip route ospf json")
        wanted = {f"{r.loopback}/32" for r in topo.routers if r.netns != netns}
        missing = wanted - set(routes)
        if missing:
            return f"{netns} lacks OSPF routes to {', '.join(sorted(missing))}"
        summary = frr.vtysh_json("show bgp l2vpn evpn summary json")
        peers = summary.get("peers", {}) if isinstance(summary, dict) else {}
        down = [p for p, info in peers.items() if info.get("state") != "Established"]
        if len(peers) < len(wanted) or down:
            return f"{netns} has iBGP EVPN sessions not yet up ({len(peers) - len(down)}/{len(wanted)})"
        return None

    # -- changes the lab itself offers (the device driver uses the same commands) -------------------

    def set_site_rate(self, site_name: str, down_bps: int) -> None:
        site = self.topology().site(site_name)
        for dev in (site.pe_inet_ifname, site.pe_vpn_ifname):
            shell.tc(site.router, tbf_args(dev, down_bps))

    # -- the inventory while the lab runs ------------------------------------------------------------

    def register(self, store: Any) -> list[str]:
        """Mark the lab's routers in the store as FRR routers driven by the lab; remember what they
        were so that `unregister` (run by `unilink lab down`) puts it back."""
        topo = self.topology()
        network = store.load_network()
        names = {r.inventory_name for r in topo.routers}
        originals = {r.name: {"vendor": str(r.vendor), "driver": r.driver, "loopback": r.loopback}
                     for r in network.routers if r.name in names}
        state = json.loads(self.state_path.read_text())
        # which database to give them back to at `down` (password masked: trust/peer auth or the env then)
        state["registered"] = {"originals": originals, "store_url": store.engine.url.render_as_string()}
        self.state_path.write_text(json.dumps(state, indent=1))
        store.merge_network(lab_inventory(network, topo))
        return sorted(originals)

    def registered(self) -> bool:
        return self.state_path.exists() and "registered" in json.loads(self.state_path.read_text())

    def registered_store_url(self) -> str | None:
        """The database `register` wrote to (None: not registered, or its password was masked)."""
        if not self.registered():
            return None
        url = json.loads(self.state_path.read_text())["registered"].get("store_url")
        return None if url is None or "***" in url else url

    def unregister(self, store: Any) -> None:
        """Give the lab's routers back their inventory vendor, driver and loopback."""
        state = json.loads(self.state_path.read_text())
        originals = state.get("registered", {}).get("originals", {})
        network = store.load_network()
        restored = [replace(r, vendor=Vendor(originals[r.name]["vendor"]), driver=originals[r.name]["driver"],
                            loopback=originals[r.name]["loopback"])
                    for r in network.routers if r.name in originals]
        if restored:
            pops = {p.name: p for p in network.pops}
            store.merge_network(Network(name=network.name, pops=[pops[r.pop] for r in restored], routers=restored))
        state.pop("registered", None)
        self.state_path.write_text(json.dumps(state, indent=1))

    # -- status -----------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        if not self.state_path.exists():
            return {"up": False, "directory": str(self.directory)}
        topo = self.topology()
        present = set(shell.netns_list())
        routers = _parallel(lambda r: self._router_status(topo, r.netns, r.netns in present), topo.routers)
        sites = [_site_status(s, s.router in present and s.netns in present) for s in topo.sites]
        return {"up": True, "directory": str(self.directory), "prefix": topo.prefix, "tenant": topo.tenant,
                "routers": routers, "links": [{"name": lk.name, "a": lk.a, "b": lk.b, "ospf_cost": lk.ospf_cost}
                                              for lk in topo.links],
                "sites": sites, "notes": list(topo.notes)}

    def _router_status(self, topo: LabTopology, netns: str, present: bool) -> dict[str, Any]:
        router = topo.router(netns)
        out: dict[str, Any] = {"name": router.name, "pop": router.pop, "netns": netns, "loopback": router.loopback,
                               "namespace": present}
        frr = self.frr(netns)
        out["daemons"] = sorted(frr.pids())
        if not present or not out["daemons"]:
            return out
        try:
            neighbors = frr.vtysh_json("show ip ospf neighbor json").get("neighbors", {})
            out["ospf_neighbors_full"] = sum(1 for entries in neighbors.values() for n in entries
                                             if str(n.get("nbrState", n.get("state", ""))).startswith("Full"))
            peers = frr.vtysh_json("show bgp l2vpn evpn summary json").get("peers", {})
            out["evpn_peers_established"] = sum(1 for p in peers.values() if p.get("state") == "Established")
            out["vnis"] = sorted(int(v) for v in frr.vtysh_json("show evpn vni json"))
        except LabError as exc:
            out["error"] = exc.message
        return out

    # -- down -------------------------------------------------------------------------------------

    def down(self, prefix: str = DEFAULT_PREFIX) -> dict[str, Any]:
        """Remove every namespace, process and file of this lab. Idempotent; verifies the result."""
        if self.state_path.exists():
            namespaces = self.topology().namespaces()
        else:  # no state: clean up by prefix only what looks like ours (an interrupted `up`)
            namespaces = [ns for ns in shell.netns_list() if ns.startswith(prefix)]
        present = set(shell.netns_list())
        killed = 0
        # all at once: a stop mostly waits (bgpd says goodbye to its peers), SIGKILL after 2 s
        _parallel(lambda ns: self.frr(ns).stop(timeout_s=2.0), namespaces, workers=len(namespaces))
        for ns in namespaces:
            if ns in present:
                killed += _kill_netns_processes(ns)
        for ns in namespaces:
            if ns in present:
                shell.run(["ip", "netns", "del", ns], check=False)
        left_daemons = sorted(f"{ns}/{d}" for ns in namespaces for d in self.frr(ns).pids())
        for sub in ("frr", "hosts"):
            shutil.rmtree(self.directory / sub, ignore_errors=True)
        for name in (STATE_FILE,):
            (self.directory / name).unlink(missing_ok=True)
        if self.directory.exists() and not any(self.directory.iterdir()):
            self.directory.rmdir()
        left_ns = sorted(set(namespaces) & set(shell.netns_list()))
        if left_ns or left_daemons:
            raise LabError(f"still present after down: namespaces {', '.join(left_ns) or '-'}; "
                           f"FRR daemons {', '.join(left_daemons) or '-'}")
        return {"removed_namespaces": sorted(set(namespaces) & present), "killed_processes": killed,
                "directory": str(self.directory)}


def _configure_netns(netns: str, steps: list[tuple[str, list[str]]]) -> None:
    ip_lines = [" ".join(args) for tool, args in steps if tool == "ip"]
    shell.ip_batch(ip_lines, netns=netns)
    for tool, args in steps:
        if tool == "tc":
            shell.tc(netns, args)


def _kill_netns_processes(netns: str, timeout_s: float = 3.0) -> int:
    """Stop every process still running inside one of our namespaces (iperf3, ping, ...)."""
    proc = shell.run(["ip", "netns", "pids", netns], check=False)
    pids = [int(p) for p in proc.stdout.split() if p.isdigit()]
    for pid in pids:
        shell.signal_pid(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    remaining = pids
    while remaining and time.monotonic() < deadline:
        remaining = [p for p in remaining if shell.pid_alive(p)]
        time.sleep(0.05)
    for pid in remaining:
        shell.signal_pid(pid, signal.SIGKILL)
    return len(pids)




def _check_reachable_by_frr(directory: Path) -> None:
    """FRR drops to user frr: every parent of the lab dir must be searchable by others."""
    for parent in [directory, *directory.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            raise LabError(f"the FRR daemons (user frr) cannot enter {parent} (mode {stat.filemode(mode)}); "
                           f"choose a lab dir whose parents are world-searchable, e.g. /tmp/ul-lab")


def _site_status(site: LabSite, present: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": site.name, "pop": site.pop, "pe": site.router, "netns": site.netns,
                           "internet_addr": site.host_inet_addr, "vpn_addr": site.host_vpn_addr,
                           "synthetic": site.synthetic, "namespace": present}
    if present:
        out["down_bps"] = read_tbf_rate_bps(site.router, site.pe_inet_ifname)
        out["vpn_bridge"] = read_master(site.router, site.pe_vpn_ifname)
        out["vpn_down_bps"] = read_tbf_rate_bps(site.router, site.pe_vpn_ifname)
    return out


def read_tbf_rate_bps(netns: str, dev: str) -> int | None:
    proc = shell.tc(netns, ["-j", "qdisc", "show", "dev", dev, "root"], check=False)
    try:
        for q in json.loads(proc.stdout or "[]"):
            if q.get("kind") == "tbf":
                return int(q["options"]["rate"]) * 8  # tc -j prints bytes/s
    except (ValueError, KeyError, TypeError):
        return None
    return None


def read_master(netns: str, dev: str) -> str | None:
    proc = shell.ip(netns, ["-j", "link", "show", "dev", dev], check=False)
    try:
        links = json.loads(proc.stdout or "[]")
    except ValueError:
        return None
    return links[0].get("master") if links else None


def vni_of_bridge(bridge: str | None) -> int | None:
    if bridge and bridge.startswith("br") and bridge[2:].isdigit():
        return int(bridge[2:])
    return None


__all__ = ["Lab", "LabError", "read_master", "read_tbf_rate_bps", "vni_of_bridge", "vpn_bridge_names"]
