"""Device driver for the FRR lab: real routers in network namespaces (`unilink lab up`).

Registered as `lab` in the device layer's driver registry when `unilink.lab` is loaded
(`lab_driver`); `lab_driver_factory(lab, fail_commit_on=...)` makes one bound to a given lab, to
register under a name of the caller's choosing (tests, benchmarks).

It takes what `render("frr", intent)` produces — `text` (the service part of frr.conf) and `shell`
(argv lists describing the whole desired Linux state of the access ports) — and:

- prepare: maps the engine's port names onto the lab's interfaces (the lab has one veth per role
  per site, `acc-N` for Internet and `vpn-N` for the VPN, because this kernel has no VLAN device),
  composes the full FRR config (lab underlay + service part), checks it with `vtysh -C` (dry run),
  refuses any command that is not `ip`/`tc`, and captures the previous state: the last applied
  FRR config and the Linux state (links, bridge membership, shapers);
- commit: applies the FRR difference in one vtysh run (`no` forms of vanished lines, then the
  changed stanzas; nothing when unchanged), then the Linux commands that would change something
  in `ip -batch`/`tc -batch` runs (a rate change is one live `tc qdisc replace`), then removes
  what the new state no longer mentions (bridges and VXLANs of VPNs left, ports' memberships);
- rollback: puts back the previous FRR config and Linux state, whether the commit finished,
  failed half-way, or never ran;
- verify: every FRR line is running, every Linux command would be a no-op, nothing stale is left;
- running_config: FRR's running config plus a summary of the Linux state (JSON).

Fault injection for tests (`fail_commit_on`): the named routers fail half-way through their
commit, after FRR and half of the Linux commands were really applied — the hardest case for a
rollback.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from unilink.devices.counters import CounterReader, register_counter_reader
from unilink.devices.drivers.base import BoundDriver, DeviceDriver, DeviceError, bind_all
from unilink.devices.drivers.registry import DriverFactory, driver_for, register_driver
from unilink.devices.render import RenderedConfig
from unilink.errors import ValidationError
from unilink.inventory.model import Router
from unilink.lab import linux_state, shell
from unilink.lab.builder import Lab
from unilink.lab.frr import FrrInstance
from unilink.lab.frrconf import carries, merge, parse_stanzas, without_bgp
from unilink.lab.linux_state import LinuxState
from unilink.lab.shell import LabError
from unilink.lab.topology import LabRouter, LabSite, LabTopology, frr_day0_config, tbf_args

LINUX_MARKER = "! -- linux --"
ALLOWED_PROGRAMS = ("ip", "tc")
SAFE_TOKEN = re.compile(r"^[A-Za-z0-9_.:/@+=,-]+$")  # what may appear in a batch line (no spaces, quotes)
MANAGED_DEVICE = re.compile(r"^(br\d+|vxlan\d+|ifb[0-9a-f]{8})$")  # created by the FRR renderer


class RenderedLike(Protocol):
    text: str
    shell: Sequence[Sequence[str]]


@dataclass(slots=True)
class _Change:
    router: LabRouter
    frr_text: str                 # the full config to run
    previous_frr_text: str        # what was applied before (rollback target)
    commands: list[list[str]]     # translated ip/tc argv, in order
    before: LinuxState            # Linux state at prepare time (rollback target)
    frr_touched: bool = False     # the commit reached FRR: the rollback must put the old config back


class LabDriver:
    """Pushes rendered FRR configs into the routers of a running lab (see module docstring)."""

    name = "lab"

    def __init__(self, lab: Lab | Path | str | None = None, *, fail_commit_on: Iterable[str] = ()) -> None:
        self.lab = lab if isinstance(lab, Lab) else Lab.at(lab)
        self.topology: LabTopology = self.lab.topology()
        self.fail_commit_on = set(fail_commit_on)
        self._changes: dict[str, _Change] = {}

    # -- the DeviceDriver interface (MultiRouterDriver: the router is an argument) -----------------

    def prepare(self, router: str, config: RenderedLike | str) -> None:
        """Validate and stage; changes nothing on the router."""
        with _device_errors(router):
            self._prepare(router, config)

    def commit(self, router: str) -> None:
        with _device_errors(router):
            self._commit(router)

    def rollback(self, router: str) -> None:
        """Back to the state captured at prepare: FRR config and Linux state."""
        with _device_errors(router):
            self._rollback(router)

    def _prepare(self, router: str, config: RenderedLike | str) -> None:
        lab_router = self.topology.router(router)
        before = linux_state.capture(lab_router.netns)
        full, translated = self.compose(router, config, before)
        previous = self._last_applied(lab_router)
        if full != previous:  # an unchanged config was checked when it was applied
            self._frr(lab_router).check(full)
        needed = [argv for argv in _ip_before_tc(translated) if not _already_true(argv, before)]
        needed += self._cleanup(lab_router, translated, before)
        self._changes[lab_router.netns] = _Change(router=lab_router, frr_text=full, previous_frr_text=previous,
                                                  commands=needed, before=before)

    def compose(self, router: str, config: RenderedLike | str,
                state: LinuxState | None = None) -> tuple[str, list[list[str]]]:
        """The full FRR config (lab underlay + service part) and the Linux commands, both with
        the engine's port names mapped onto lab interfaces; VLAN sub-interface creation dropped."""
        lab_router = self.topology.router(router)
        text, commands = _split(config)
        state = state or linux_state.capture(lab_router.netns)
        port_map = self._port_map(lab_router, text, commands, state)
        full = merge(self._underlay(lab_router), _rename_interfaces(text, port_map))
        translated = [_rename_argv(argv, port_map) for argv in commands if not _is_vlan_add(argv)]
        for argv in translated:
            _check_argv(argv, field=f"{router}.shell")
        return full, translated

    def _commit(self, router: str) -> None:
        change = self._staged(router)
        frr = self._frr(change.router)
        if change.frr_text != change.previous_frr_text:
            change.frr_touched = True
            frr.transition(change.previous_frr_text, change.frr_text)
        commands = change.commands
        fail = change.router.netns in self.fail_commit_on or change.router.inventory_name in self.fail_commit_on
        if fail:
            commands = commands[: len(commands) // 2]
        _run_batched(change.router.netns, commands, existing=set(change.before.links))
        if fail:
            raise LabError(f"{change.router.inventory_name}: injected fault after {len(commands)} of "
                           f"{len(change.commands)} Linux commands (fault injection)")
        self.record_applied(change.router, change.frr_text)

    def _rollback(self, router: str) -> None:
        change = self._changes.get(self.topology.router(router).netns)
        if change is None:
            return
        if change.frr_touched:
            self._frr(change.router).transition(change.frr_text, change.previous_frr_text)
        now = linux_state.capture(change.router.netns)
        for argv in linux_state.restore_commands(change.before, now):
            _run_one(change.router.netns, argv, check=False)  # best effort: keep restoring the rest
        self.record_applied(change.router, change.previous_frr_text)
        del self._changes[change.router.netns]

    def verify(self, router: str, expected: RenderedLike | str) -> bool:
        """Does the router run `expected`? Every FRR line of it is in the running config, every
        Linux command of it would change nothing, and nothing it does not mention is left over
        (no stale VPN bridge, no port off its day-0 state)."""
        with _device_errors(router):
            return self._verify(router, expected)

    def running_config(self, router: str) -> str:
        with _device_errors(router):
            return self._running_config(router)

    def _verify(self, router: str, expected: RenderedLike | str) -> bool:
        lab_router = self.topology.router(router)
        text, commands = _split(expected)
        state = linux_state.capture(lab_router.netns)
        port_map = self._port_map(lab_router, text, commands, state)
        service = _rename_interfaces(text, port_map)
        running = self._frr(lab_router).running_config()
        if not carries(running, service):
            return False
        if any(h.startswith("router bgp") for h, _ in parse_stanzas(running)) and \
                not any(h.startswith("router bgp") for h, _ in parse_stanzas(service)):
            return False
        translated = [_rename_argv(argv, port_map) for argv in commands if not _is_vlan_add(argv)]
        checkable = [a for a in translated if a[:2] != ["tc", "filter"]]
        return all(_already_true(a, state) for a in checkable) and not self._cleanup(lab_router, translated, state)

    def _running_config(self, router: str) -> str:
        lab_router = self.topology.router(router)
        frr_text = self._frr(lab_router).running_config()
        body = frr_text[frr_text.find("frr version"):] if "frr version" in frr_text else frr_text
        state = linux_state.capture(lab_router.netns).to_dict()
        return body.rstrip("\n") + f"\n{LINUX_MARKER}\n" + json.dumps(state, sort_keys=True, indent=1) + "\n"

    # -- helpers ----------------------------------------------------------------------------------

    def linux_state(self, router: str) -> dict[str, Any]:
        return linux_state.capture(self.topology.router(router).netns).to_dict()

    def _staged(self, router: str) -> _Change:
        change = self._changes.get(self.topology.router(router).netns)
        if change is None:
            raise LabError(f"{router}: commit without prepare")
        return change

    def _frr(self, router: LabRouter) -> FrrInstance:
        return self.lab.frr(router.netns)

    def _underlay(self, router: LabRouter) -> str:
        return without_bgp(frr_day0_config(self.topology, router))

    def _applied_path(self, router: LabRouter) -> Path:
        return self.lab.frr(router.netns).directory / "applied.conf"

    def _last_applied(self, router: LabRouter) -> str:
        path = self._applied_path(router)
        return path.read_text() if path.exists() else frr_day0_config(self.topology, router)

    def record_applied(self, router: LabRouter, text: str) -> None:
        """Remember the FRR config the router now runs (the base of the next transition)."""
        path = self._applied_path(router)
        path.write_text(text)
        shutil.chown(path, "frr", "frr")

    def _sites_of(self, router: LabRouter) -> list[LabSite]:
        return [s for s in self.topology.sites if s.router == router.netns]

    def _port_map(self, router: LabRouter, text: str, commands: list[list[str]], before: LinuxState) -> dict[str, str]:
        """Engine port name → lab interface. Names that already exist in the namespace stay."""
        descriptions = _interface_descriptions(text)
        bridged = {argv[argv.index("dev") + 1] for argv in commands
                   if argv[:3] == ["ip", "link", "set"] and "master" in argv and "dev" in argv}
        created = {argv[3] for argv in commands if argv[:3] == ["ip", "link", "add"] and len(argv) > 3}
        ports = set(descriptions) | {argv[argv.index("dev") + 1] for argv in commands
                                     if "dev" in argv and argv.index("dev") + 1 < len(argv)}
        mapping: dict[str, str] = {}
        sites = self._sites_of(router)
        for port in sorted(ports):
            if port in before.links or port in created or MANAGED_DEVICE.match(port):
                continue
            site = _site_for(descriptions.get(port, ""), sites)
            if site is None:
                raise ValidationError(f"port {port!r} is not an interface of lab router {router.inventory_name}",
                                      field=f"{router.inventory_name}.interfaces", value=port,
                                      accepted="a lab port (" + ", ".join(
                                          p for s in sites for p in (s.pe_inet_ifname, s.pe_vpn_ifname))
                                      + ") or an interface described '<tenant> <site>' for a lab site here")
            lab_port = site.pe_vpn_ifname if port in bridged else site.pe_inet_ifname
            taken_by = next((p for p, q in mapping.items() if q == lab_port), None)
            if taken_by is not None:  # one veth per role and site: no sub-interfaces on this kernel
                raise ValidationError(f"lab site {site.name} has one {'VPN' if port in bridged else 'routed'} "
                                      f"port ({lab_port}), already used by {taken_by}",
                                      field=f"{router.inventory_name}.interfaces", value=port,
                                      accepted="at most one VPN and one Internet attachment per site in the lab")
            mapping[port] = lab_port
        return mapping

    def _cleanup(self, router: LabRouter, commands: list[list[str]], before: LinuxState) -> list[list[str]]:
        """The config states the whole desired Linux state: what it no longer mentions goes back
        to the lab's day-0 (ports) or away (VPN bridges/VXLANs, ingress ifbs)."""
        mentioned = {tok for argv in commands for tok in argv}
        cleanup: list[list[str]] = []
        for site in self._sites_of(router):
            for port in (site.pe_inet_ifname, site.pe_vpn_ifname):
                if port in mentioned or port not in before.links:
                    continue
                if before.links[port].master:
                    cleanup.append(["ip", "link", "set", "dev", port, "nomaster"])
                shaper = before.shapers.get(port)
                if shaper and shaper.ingress:
                    cleanup.append(["tc", "qdisc", "del", "dev", port, "ingress"])
                if not shaper or not shaper.root_tbf or shaper.root_tbf[0] != site.down_bps:
                    cleanup.append(["tc", *tbf_args(port, site.down_bps)])
        for name, link in sorted(before.links.items()):
            if MANAGED_DEVICE.match(name) and name not in mentioned and link.kind in ("bridge", "vxlan", "ifb"):
                cleanup.append(["ip", "link", "del", "dev", name])
        return cleanup


def lab_drivers(routers: Iterable[str], lab: Lab | Path | str | None = None) -> dict[str, DeviceDriver]:
    """One `DeviceDriver` per router of `routers` that the running lab built (for
    `DeviceTransaction` and `recover`); names the lab does not know are left out."""
    driver = LabDriver(lab)
    known = [r for r in routers if _in_lab(driver.topology, r)]
    return bind_all(driver, known)


def lab_driver_factory(lab: Lab | Path | str | None = None, *, fallback: DriverFactory | None = None,
                       fail_commit_on: Iterable[str] = ()) -> DriverFactory:
    """A driver factory for the registry (`register_driver(name, factory)`): routers whose inventory
    `driver` is "lab" go to one `LabDriver` on `lab`, the others to `fallback` (default: `sim`)."""
    driver = LabDriver(lab, fail_commit_on=fail_commit_on)
    others = fallback or driver_for("sim")

    def factory(router: Router, running: RenderedConfig) -> DeviceDriver:
        return BoundDriver(driver, router.name) if router.driver == "lab" else others(router, running)

    return factory


def lab_driver(router: Router, running: RenderedConfig) -> DeviceDriver:
    """`lab`, as registered: a router with `driver: lab` goes to the running lab in `var/lab`
    (read afresh at each push: the lab may have been rebuilt), any other to `sim`."""
    if router.driver != "lab":
        return driver_for("sim")(router, running)
    return BoundDriver(LabDriver(), router.name)


def _in_lab(topology: LabTopology, router: str) -> bool:
    try:
        topology.router(router)
    except ValidationError:
        return False
    return True


# -- pure helpers -----------------------------------------------------------------------------------

@contextlib.contextmanager
def _device_errors(router: str) -> Iterator[None]:
    """Lab failures reach the transaction as the device layer's `DeviceError` naming the router;
    bad input stays a `ValidationError`."""
    try:
        yield
    except LabError as exc:
        raise DeviceError(router, exc.message) from exc


def _split(config: RenderedLike | str) -> tuple[str, list[list[str]]]:
    """(FRR text, argv lists) from a RenderedConfig or its `full_text()`."""
    if isinstance(config, str):
        text, _, linux = config.partition(LINUX_MARKER)
        return text, [line.split() for line in linux.splitlines() if line.strip()]
    return config.text, [list(argv) for argv in config.shell]


def _is_vlan_add(argv: list[str]) -> bool:
    # 802.1Q sub-interfaces do not exist on this kernel: the lab gives each role its own veth instead
    return argv[:3] == ["ip", "link", "add"] and "vlan" in argv and "type" in argv


def _check_argv(argv: list[str], *, field: str) -> None:
    if not argv or argv[0] not in ALLOWED_PROGRAMS:
        raise ValidationError("only ip and tc commands may run on a lab router", field=field,
                              value=" ".join(argv), accepted="argv lists starting with ip or tc")
    for token in argv:
        if not SAFE_TOKEN.match(token):
            raise ValidationError("unsafe token in a Linux command", field=field, value=token,
                                  accepted="letters, digits and _ . : / @ + = , -")


def _interface_descriptions(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for header, body in parse_stanzas(text):
        if header.startswith("interface "):
            name = header.split()[1]
            desc = next((line.strip()[len("description "):] for line in body
                         if line.strip().startswith("description ")), "")
            out[name] = desc
    return out


def _site_for(description: str, sites: list[LabSite]) -> LabSite | None:
    """The renderer describes a port '<tenant> <site>': the lab site whose name ends it."""
    matches = [s for s in sites if description == s.name or description.endswith(" " + s.name)]
    return max(matches, key=lambda s: len(s.name)) if matches else None


def _rename_interfaces(text: str, port_map: dict[str, str]) -> str:
    if not port_map:
        return text
    lines = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "interface" and parts[1] in port_map:
            line = f"interface {port_map[parts[1]]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _rename_argv(argv: list[str], port_map: dict[str, str]) -> list[str]:
    return [port_map.get(token, token) for token in argv]


def _ip_before_tc(commands: list[list[str]]) -> list[list[str]]:
    """All `ip` commands, then all `tc` commands, each in their order: every `tc` needs only
    devices an `ip` command makes (ifb for mirred, the port itself), so this order is safe and
    lets the commit run as two batch processes instead of one per alternation."""
    return [a for a in commands if a[0] == "ip"] + [a for a in commands if a[0] == "tc"]


def _already_true(argv: list[str], state: LinuxState) -> bool:
    """A command that would change nothing in `state` (the renderer restates the whole desired
    state; skipping no-ops keeps a rate change to the one `tc` that matters)."""
    if argv[:3] == ["ip", "link", "add"]:
        name = argv[3] if argv[3] != "link" else argv[argv.index("name") + 1]
        return name in state.links
    if argv[:4] == ["ip", "link", "set", "dev"] and len(argv) == 6:
        link = state.links.get(argv[4])
        if link is None:
            return False
        if argv[5] in ("up", "down"):
            return link.up == (argv[5] == "up")
        if argv[5] == "nomaster":
            return link.master is None
    if argv[:4] == ["ip", "link", "set", "dev"] and len(argv) == 7 and argv[5] == "master":
        link = state.links.get(argv[4])
        return link is not None and link.master == argv[6]
    if argv[:3] == ["tc", "qdisc", "replace"] and argv[5:7] == ["root", "tbf"]:
        shaper = state.shapers.get(argv[4])
        return shaper is not None and _tbf_of(argv) is not None and linux_state.same_tbf(shaper.root_tbf, _tbf_of(argv))
    if argv[:3] == ["tc", "qdisc", "replace"] and argv[-1] == "ingress":
        shaper = state.shapers.get(argv[4])
        return shaper is not None and shaper.ingress
    return False


def _tbf_of(argv: list[str]) -> tuple[int, int, int] | None:
    """(rate_bps, burst_bytes, latency_us) of a `tc qdisc replace ... tbf` argv, None if unusual."""
    try:
        rate = argv[argv.index("rate") + 1]
        burst = argv[argv.index("burst") + 1]
        latency = argv[argv.index("latency") + 1]
    except (ValueError, IndexError):
        return None
    if not (rate.endswith("bit") and rate[:-3].isdigit() and burst.isdigit()):
        return None
    if latency.endswith("ms") and latency[:-2].isdigit():
        latency_us = int(latency[:-2]) * 1000
    elif latency.endswith("us") and latency[:-2].isdigit():
        latency_us = int(latency[:-2])
    else:
        return None
    return int(rate[:-3]), int(burst), latency_us


def _run_one(netns: str, argv: list[str], *, check: bool = True) -> None:
    shell.run([argv[0], "-n", netns, *argv[1:]], check=check)


def _run_batched(netns: str, commands: list[list[str]], *, existing: set[str]) -> None:
    """Consecutive commands of one program go through one `-batch` process (a rate change is
    then one `tc` exec). `ip link add X` runs only when X is missing (the renderer's contract)."""
    known = set(existing)
    group: list[list[str]] = []

    def flush() -> None:
        if group:
            program = group[0][0]
            lines = "\n".join(" ".join(argv[1:]) for argv in group) + "\n"
            shell.run([program, "-n", netns, "-batch", "-"], input_text=lines)
            group.clear()

    for argv in commands:
        if argv[:3] == ["ip", "link", "add"]:
            name = argv[3] if argv[3] != "link" else argv[argv.index("name") + 1]
            if name in known:
                continue
            known.add(name)
        if group and group[0][0] != argv[0]:
            flush()
        group.append(argv)
    flush()


# The lab's driver plugs into the device layer's registry when the lab is loaded (the device layer
# never imports the lab): `UNILINK_DRIVER=lab` makes the engine push `driver: lab` routers here.
register_driver("lab", lab_driver)


def _lab_counters() -> CounterReader:
    from unilink.lab.counters import LabCounterReader

    return LabCounterReader()


# and its counter source: `unilink usage collect --source lab` (UNILINK_USAGE_SOURCE=lab)
register_counter_reader("lab", _lab_counters)
