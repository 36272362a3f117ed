"""The Linux side of a lab router that services change: links, bridge membership, shapers.

`capture(netns)` reads it (two calls: `ip -j -d link`, `tc -j qdisc`); `restore_commands(before,
now)` is pure and returns the argv lists that turn `now` back into `before` — what a rollback
runs. Only what the renderer touches is modelled: link existence (bridge, vxlan, ifb), up/down,
master, the root tbf and the ingress qdisc.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from unilink.lab import shell

RECREATABLE_KINDS = ("bridge", "vxlan", "ifb")


@dataclass(frozen=True, slots=True)
class LinkState:
    name: str
    kind: str                 # veth, bridge, vxlan, ifb, ... ("" for lo)
    up: bool
    master: str | None
    vxlan: tuple[int, str, int] | None = None  # (vni, local address, dstport)


@dataclass(frozen=True, slots=True)
class ShaperState:
    root_tbf: tuple[int, int, int] | None  # (rate_bps, burst_bytes, latency_us); None: no tbf
    ingress: bool
    ingress_to: str | None = None  # the ifb that the ingress filter redirects to (upload shaping)


@dataclass(frozen=True, slots=True)
class LinuxState:
    links: dict[str, LinkState] = field(default_factory=dict)
    shapers: dict[str, ShaperState] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"links": {n: [s.kind, s.up, s.master, list(s.vxlan) if s.vxlan else None]
                          for n, s in sorted(self.links.items())},
                "shapers": {n: [list(s.root_tbf) if s.root_tbf else None, s.ingress, s.ingress_to]
                            for n, s in sorted(self.shapers.items())}}


def parse_links(ip_json: str) -> dict[str, LinkState]:
    links: dict[str, LinkState] = {}
    for item in json.loads(ip_json or "[]"):
        info = item.get("linkinfo", {})
        kind = info.get("info_kind", "")
        vxlan = None
        if kind == "vxlan":
            data = info.get("info_data", {})
            vxlan = (int(data.get("id", 0)), str(data.get("local", "")), int(data.get("port", 4789)))
        links[item["ifname"]] = LinkState(name=item["ifname"], kind=kind, up="UP" in item.get("flags", []),
                                          master=item.get("master"), vxlan=vxlan)
    return links


def parse_shapers(tc_json: str) -> dict[str, ShaperState]:
    roots: dict[str, tuple[int, int, int]] = {}
    ingress: set[str] = set()
    for q in json.loads(tc_json or "[]"):
        dev = q.get("dev", "")
        if q.get("kind") == "tbf" and q.get("root"):
            opts = q.get("options", {})
            # tc -j prints the rate in bytes/s, the burst in bytes and the latency in µs
            roots[dev] = (int(opts.get("rate", 0)) * 8, int(opts.get("burst", 0)), int(opts.get("lat", 0)))
        elif q.get("kind") == "ingress":
            ingress.add(dev)
    return {dev: ShaperState(root_tbf=roots.get(dev), ingress=dev in ingress) for dev in set(roots) | ingress}


def parse_redirect(filter_json: str) -> str | None:
    """The device an ingress filter's mirred action redirects to (None: no such filter)."""
    for item in json.loads(filter_json or "[]"):
        for action in item.get("options", {}).get("actions", []):
            if action.get("kind") == "mirred" and action.get("to_dev"):
                return str(action["to_dev"])
    return None


def capture(netns: str) -> LinuxState:
    links = shell.ip(netns, ["-j", "-d", "link", "show"]).stdout
    qdiscs = shell.tc(netns, ["-j", "qdisc", "show"]).stdout
    shapers = parse_shapers(qdiscs)
    for dev, shaper in list(shapers.items()):
        if shaper.ingress:  # one more call only for ports that shape their upload
            redirect = parse_redirect(shell.tc(netns, ["-j", "filter", "show", "dev", dev, "ingress"]).stdout)
            shapers[dev] = ShaperState(shaper.root_tbf, True, redirect)
    return LinuxState(links=parse_links(links), shapers=shapers)


def same_tbf(have: tuple[int, int, int] | None, want: tuple[int, int, int] | None) -> bool:
    """Rate exact; burst and latency within 2 % (the kernel keeps them in timer ticks and prints
    them back rounded: 50 ms at 20 Mbit/s reads 49999 µs)."""
    if have is None or want is None:
        return have is want
    return have[0] == want[0] and abs(have[1] - want[1]) <= want[1] * 0.02 and abs(have[2] - want[2]) <= want[2] * 0.02


def _tbf_argv(dev: str, tbf: tuple[int, int, int]) -> list[str]:
    rate_bps, burst, latency_us = tbf
    whole_ms = round(latency_us / 1000)
    # the kernel prints 50 ms back as 49999 µs: write the whole ms it was, or the value drifts down
    latency = f"{whole_ms}ms" if abs(latency_us - whole_ms * 1000) <= 5 else f"{latency_us}us"
    return ["tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", f"{rate_bps}bit", "burst", str(burst),
            "latency", latency]


def restore_commands(before: LinuxState, now: LinuxState) -> list[list[str]]:
    """Commands that bring `now` back to `before` (for the modelled parts), in a safe order:
    recreate what was deleted, fix membership and up/down, fix shapers, then delete what is new."""
    cmds: list[list[str]] = []
    for name, old in sorted(before.links.items()):
        if name not in now.links and old.kind in RECREATABLE_KINDS:
            cmds.append(_recreate(old))
    for name, old in sorted(before.links.items()):
        cur = now.links.get(name)
        if cur is None and old.kind not in RECREATABLE_KINDS:
            continue  # a veth that vanished cannot be recreated from here; nothing renders that
        if cur is None or cur.master != old.master:
            cmds.append(["ip", "link", "set", "dev", name] + (["master", old.master] if old.master else ["nomaster"]))
        if cur is None or cur.up != old.up:
            cmds.append(["ip", "link", "set", "dev", name, "up" if old.up else "down"])
    for name in sorted(before.links):
        old_shaper = before.shapers.get(name, ShaperState(None, False))
        cur_shaper = now.shapers.get(name, ShaperState(None, False))
        if old_shaper.root_tbf and not same_tbf(cur_shaper.root_tbf, old_shaper.root_tbf):
            cmds.append(_tbf_argv(name, old_shaper.root_tbf))
        elif not old_shaper.root_tbf and cur_shaper.root_tbf and name in now.links:
            cmds.append(["tc", "qdisc", "del", "dev", name, "root"])
        if cur_shaper.ingress and not old_shaper.ingress and name in now.links:
            cmds.append(["tc", "qdisc", "del", "dev", name, "ingress"])
        elif old_shaper.ingress and (not cur_shaper.ingress or cur_shaper.ingress_to != old_shaper.ingress_to):
            cmds.append(["tc", "qdisc", "replace", "dev", name, "handle", "ffff:", "ingress"])
            if old_shaper.ingress_to:
                cmds.append(ingress_redirect_argv(name, old_shaper.ingress_to))
    for name in sorted(set(now.links) - set(before.links)):
        cmds.append(["ip", "link", "del", "dev", name])
    return cmds


def ingress_redirect_argv(dev: str, ifb: str) -> list[str]:
    """The renderer's upload shaping hook: everything arriving on `dev` goes through `ifb`."""
    return ["tc", "filter", "replace", "dev", dev, "parent", "ffff:", "protocol", "all", "prio", "1",
            "handle", "800::800", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect",
            "dev", ifb]


def _recreate(old: LinkState) -> list[str]:
    if old.kind == "vxlan" and old.vxlan:
        vni, local, port = old.vxlan
        return ["ip", "link", "add", old.name, "type", "vxlan", "id", str(vni), "local", local,
                "dstport", str(port), "nolearning"]
    return ["ip", "link", "add", old.name, "type", old.kind]


def comparable(state: LinuxState) -> dict[str, Any]:
    """What must be equal before and after a rollback (link indexes and counters excluded)."""
    return state.to_dict()
