"""Render a `DeviceIntent` in a vendor's syntax with Jinja2 templates (one folder per vendor).

`render(vendor, intent) -> RenderedConfig`. The environment is strict (StrictUndefined: a typo in a
template is an error, not an empty string) and does not HTML-escape; instead every customer string
goes through the vendor's quoting filter `q` (see `safe.py`).

Vendors: junos (set style), iosxr, sros (MD-CLI flat paths), frr (vtysh config + Linux commands),
openconfig (JSON), and the format `ietf` (ietf-interfaces/ietf-ip XML, what the `netconf` driver
pushes to a standards-only NETCONF server).

FRR output, shared with the LAB engineer's driver (`lab/driver.py`):
- `text`: the *service part* of frr.conf (access interfaces with addresses, static routes,
  `router bgp` with EVPN). The lab adds its own underlay (hostname, loopback, OSPF) around it.
- `shell`: argv lists, run inside the router's network namespace in order, describing the whole
  desired Linux state of the access ports: link up, EVPN bridge/VXLAN per VNI, bridge membership
  (`master` / `nomaster` — both stated, so a VPN leave is expressed too), tc shaping (egress tbf on
  the port; ingress through an ifb device). Every command is idempotent (`replace`, `set`) except
  `ip link add`, which the driver runs only when the device is missing (documented in
  docs/devices.md).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import jinja2
from lxml import etree

from unilink.devices import safe
from unilink.devices.device_intent import DeviceIntent, InterfaceIntent, SubscriberIntent
from unilink.errors import ValidationError
from unilink.inventory.model import Router

TEMPLATES = Path(__file__).parent / "templates"
VENDORS = ("junos", "iosxr", "sros", "frr", "openconfig", "ietf")

# tbf needs a bucket of at least one timer tick of traffic; 10 ms of the rate, never under 32 kB
# (the lab NOTES' working value), keeps TCP from stalling at low rates.
TBF_LATENCY_MS = 50
TBF_MIN_BURST_BYTES = 32_000


@dataclass(frozen=True, slots=True)
class RenderedConfig:
    """One router's configuration in its vendor's syntax.

    `shell` is used by FRR only: Linux commands (argv lists) to run in the router's namespace.
    """

    vendor: str
    text: str
    shell: tuple[tuple[str, ...], ...] = ()
    # full_text(), once computed: plans, journals, pushes and diffs all ask for it (not compared,
    # not copied by dataclasses.replace, which rebuilds it from the fields)
    _full_text: str | None = field(default=None, init=False, compare=False, repr=False)

    def to_dict(self) -> dict[str, object]:
        return {"vendor": self.vendor, "text": self.text, "shell": list(map(list, self.shell))}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RenderedConfig:
        shell = data.get("shell") or ()
        return cls(vendor=str(data["vendor"]), text=str(data["text"]),
                   shell=tuple(tuple(str(a) for a in cmd) for cmd in shell))  # type: ignore[union-attr]

    def full_text(self) -> str:
        """Everything that is pushed, as text: what diffs, journals and drift compare."""
        if not self.shell:
            return self.text
        if self._full_text is None:
            lines = [self.text.rstrip("\n"), "! -- linux --"]
            lines += [" ".join(cmd) for cmd in self.shell]
            object.__setattr__(self, "_full_text", "\n".join(lines) + "\n")  # frozen: a cache, not state
        return self._full_text  # type: ignore[return-value]


def _ip_only(prefixed: str) -> str:
    return prefixed.split("/")[0]


def _prefix_len(prefixed: str) -> int:
    return int(prefixed.split("/")[1])


def _netmask(prefixed: str) -> str:
    return str(ipaddress.ip_interface(prefixed).network.netmask)


def _ident(text: str) -> str:
    """A config keyword built from a port name: every character other than [A-Za-z0-9-] becomes _."""
    return "".join(c if c.isascii() and (c.isalnum() or c == "-") else "_" for c in text)


def _burst_bytes(rate_bps: int) -> int:
    return max(TBF_MIN_BURST_BYTES, rate_bps // 8 // 100)


@cache
def _environment(vendor: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES / vendor)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # not HTML: customer strings pass through `q` instead
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    quoter = safe.QUOTERS[vendor]
    env.filters.update(q=quoter, ip_only=_ip_only, plen=_prefix_len, netmask=_netmask, ident=_ident,
                       kbps=lambda bps: max(1, bps // 1000), burst=_burst_bytes)
    env.globals.update(blocks=_BlockCache(env).render_all, distinct=_distinct, global_interfaces=_global_interfaces,
                       tagged_ports=_tagged_ports)
    return env


def _distinct(items: Iterable[object], *attributes: str) -> list[int]:
    """The distinct values (ints: rates) of `attributes` over `items`, ascending."""
    return sorted({getattr(item, name) for item in items for name in attributes})


def _tagged_ports(interfaces: Iterable[InterfaceIntent]) -> list[str]:
    """Ports carrying a VLAN, once each, sorted: as Jinja's `unique` and `sort` do it (case-insensitive)."""
    seen: set[str] = set()
    ports = []
    for i in interfaces:
        if i.vlan and i.port.lower() not in seen:
            seen.add(i.port.lower())
            ports.append(i.port)
    return sorted(ports, key=str.lower)


def _global_interfaces(interfaces: Iterable[InterfaceIntent]) -> list[InterfaceIntent]:
    """The interfaces in the global routing table: neither in a VRF nor an E-Line."""
    return [i for i in interfaces if not i.vrf and not i.eline]


# A PE carries ~90 attachments and a change alters one or two: the per-attachment blocks are rendered
# once per distinct input and joined, so a router's render costs what changed, not its size.
BLOCK_CACHE_MAX = 50_000


class _BlockCache:
    """Rendered fragments of one vendor, keyed by (template, item). Items are frozen dataclasses
    (hashable, equal by value), and a fragment is a pure function of its item: the cache cannot
    serve stale text. Emptied when full (simple, and a miss only costs a render).

    Hashing a 16-field dataclass costs more than the lookup, and the device layer hands the same
    interface objects again and again: `by_id` answers for an object already seen. It holds the
    object itself, so the object stays alive and its id cannot be reused by another one."""

    __slots__ = ("env", "texts", "by_id")

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self.texts: dict[tuple[str, object], str] = {}
        self.by_id: dict[tuple[str, int], tuple[object, str]] = {}

    def render(self, name: str, item: object) -> str:
        seen = self.by_id.get((name, id(item)))
        if seen is not None and seen[0] is item:
            return seen[1]
        key = (name, item)
        text = self.texts.get(key)
        if text is None:
            if len(self.texts) >= BLOCK_CACHE_MAX:
                self.texts.clear()
                self.by_id.clear()
            text = self.texts[key] = self.env.get_template(name).render(i=item)
        if len(self.by_id) >= BLOCK_CACHE_MAX:
            self.by_id.clear()
        self.by_id[(name, id(item))] = (item, text)
        return text

    def render_all(self, name: str, items: Iterable[object]) -> str:
        return "".join([self.render(name, item) for item in items])


def render(vendor: str, intent: DeviceIntent) -> RenderedConfig:
    """Render `intent` for `vendor`; raises ValidationError for an unknown vendor or unsafe text."""
    if vendor not in VENDORS:
        raise ValidationError("unknown vendor", field="vendor", value=vendor, accepted=", ".join(VENDORS))
    env = _environment(vendor)
    text = env.get_template("device.j2").render(intent=intent)
    if vendor == "openconfig":
        # Parse what the template produced: a template bug cannot ship malformed JSON, and the
        # canonical dump keeps the output byte-stable.
        text = json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    elif vendor == "ietf":
        root = etree.fromstring(text.encode())
        text = etree.tostring(root, pretty_print=True, encoding="unicode")
    shell = frr_shell(intent) if vendor == "frr" else ()
    return RenderedConfig(vendor=vendor, text=text, shell=shell)


# ---------------------------------------------------------------------------------------------
# FRR: the Linux side (bridges, VXLAN, shaping). Built in Python, not a template, because the
# result is a list of argv vectors (no shell parsing anywhere: nothing to inject into).
# ---------------------------------------------------------------------------------------------

def ifb_name(port: str) -> str:
    """The ifb device that shapes a port's ingress: short and stable (Linux names ≤ 15 bytes)."""
    return "ifb" + hashlib.sha1(port.encode()).hexdigest()[:8]


def bridge_name(vni: int) -> str:
    return f"br{vni}"


def vxlan_name(vni: int) -> str:
    return f"vxlan{vni}"


def _tbf(dev: str, rate_bps: int) -> tuple[str, ...]:
    return ("tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", f"{rate_bps}bit",
            "burst", str(_burst_bytes(rate_bps)), "latency", f"{TBF_LATENCY_MS}ms")


LINUX_IFNAME_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,14}\Z")


@lru_cache(maxsize=BLOCK_CACHE_MAX)  # the same attachment gives the same commands: see _BlockCache
def _frr_port_commands(iface: InterfaceIntent) -> tuple[tuple[str, ...], ...]:
    dev = iface.key
    if not LINUX_IFNAME_RE.match(dev):
        # Linux refuses names over 15 bytes or with / or : — say so here rather than at commit time.
        raise ValidationError("not a Linux interface name", field=f"interface[{iface.site}].port", value=dev,
                              accepted="1-15 characters: letters, digits, _ . - (port.vlan included)")
    cmds: list[tuple[str, ...]] = []
    if iface.vlan is not None:
        cmds.append(("ip", "link", "add", "link", iface.port, "name", dev, "type", "vlan", "id", str(iface.vlan)))
    cmds.append(("ip", "link", "set", "dev", dev, "up"))
    if iface.vni is not None:
        cmds.append(("ip", "link", "set", "dev", dev, "master", bridge_name(iface.vni)))
    else:
        cmds.append(("ip", "link", "set", "dev", dev, "nomaster"))
    ifb = ifb_name(dev)
    cmds += [
        _tbf(dev, iface.shape_down_bps),
        ("ip", "link", "add", ifb, "type", "ifb"),
        ("ip", "link", "set", "dev", ifb, "up"),
        ("tc", "qdisc", "replace", "dev", dev, "handle", "ffff:", "ingress"),
        ("tc", "filter", "replace", "dev", dev, "parent", "ffff:", "protocol", "all", "prio", "1",
         "handle", "800::800", "u32",
         "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ifb),
        _tbf(ifb, iface.shape_up_bps),
    ]
    return tuple(cmds)


def frr_shell(intent: DeviceIntent) -> tuple[tuple[str, ...], ...]:
    cmds: list[tuple[str, ...]] = []
    for vni in intent.vnis:
        br, vx = bridge_name(vni), vxlan_name(vni)
        cmds += [
            ("ip", "link", "add", br, "type", "bridge"),
            ("ip", "link", "add", vx, "type", "vxlan", "id", str(vni), "local", intent.loopback,
             "dstport", "4789", "nolearning"),
            ("ip", "link", "set", "dev", vx, "master", br),
            ("ip", "link", "set", "dev", vx, "up"),
            ("ip", "link", "set", "dev", br, "up"),
        ]
    for iface in intent.interfaces:
        cmds += _frr_port_commands(iface)
    for sub in intent.subscribers:
        cmds += _frr_subscriber_commands(sub)
    return tuple(cmds)


@lru_cache(maxsize=BLOCK_CACHE_MAX)
def _frr_subscriber_commands(sub: SubscriberIntent) -> tuple[tuple[str, ...], ...]:
    """A member's port: up, in no bridge, its plan's rate shaped both ways (egress tbf; ingress
    through an ifb), as for an access port (docs/devices.md)."""
    if not LINUX_IFNAME_RE.match(sub.port):
        raise ValidationError("not a Linux interface name", field=f"subscriber[{sub.line}].port", value=sub.port,
                              accepted="1-15 characters: letters, digits, _ . -")
    ifb = ifb_name(sub.port)
    return (
        ("ip", "link", "set", "dev", sub.port, "up"),
        ("ip", "link", "set", "dev", sub.port, "nomaster"),
        _tbf(sub.port, sub.shape_down_bps),
        ("ip", "link", "add", ifb, "type", "ifb"),
        ("ip", "link", "set", "dev", ifb, "up"),
        ("tc", "qdisc", "replace", "dev", sub.port, "handle", "ffff:", "ingress"),
        ("tc", "filter", "replace", "dev", sub.port, "parent", "ffff:", "protocol", "all", "prio", "1",
         "handle", "800::800", "u32",
         "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ifb),
        _tbf(ifb, sub.shape_up_bps),
    )


def dialect(router: Router) -> str:
    """The rendering `router` receives — the one function that decides it, for plan, push, drift and
    history alike: its vendor's syntax, or ietf XML when it is reached over NETCONF.

    Why: the `netconf` driver speaks the standard ietf-interfaces model (what a standards-only
    server validates), whatever the box's CLI dialect.
    """
    return "ietf" if router.driver == "netconf" else str(router.vendor)


def render_for_router(router: Router, intent: DeviceIntent) -> RenderedConfig:
    return render(dialect(router), intent)
