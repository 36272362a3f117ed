"""What a lab is, decided without touching the machine: PoPs, names, addresses, day-0 configs.

Pure functions only: `build_topology(network, tenants, pops)` returns a `LabTopology`; the
commands and FRR configs that realise it are derived from it (`link_commands`,
`netns_commands`, `frr_day0_config`). The builder runs them; unit tests read them.

Emulation choices (this kernel has no 802.1q VLAN device and no VRF device, see docs/lab.md):
- one FRR router per chosen PoP (the PoP's edge router), in namespace ``<prefix><pop>``;
- a backbone veth per pair of chosen PoPs joined by an inventory link, OSPF point-to-point with
  the inventory IGP metric as cost, /31 addresses from 10.0.0.0/16;
- a site is a host namespace with TWO veths to its PE, because a single access port cannot carry
  separate sub-interfaces here: ``acc-N`` (Internet: routed /31 from 10.1.0.0/16, default route to
  the PE = the underlay) and ``vpn-N`` (the VPN attachment: an L2 port the PE puts into the VPN's
  bridge, host address 172.20.0.N+1/24 — reachable only from sites in the same VNI);
- the access rate is a tbf shaper on the PE's egress of both ports (download) and on the host's
  egress (upload).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from unilink.errors import ValidationError
from unilink.inventory.model import Network, RouterRole, Vendor
from unilink.network.numbering import BACKBONE_ASN
from unilink.units import parse_bandwidth

DEFAULT_PREFIX = "ul-"
PREFERRED_POPS = ("Paris", "Frankfurt", "Amsterdam", "London", "Milan")
DEFAULT_POP_COUNT = 5
MAX_POP_COUNT = 40  # about 27 MB of FRR per router: 40 routers stay near 1 GB
DEFAULT_MAX_SITES = 12
DEFAULT_SITE_RATE_BPS = 100_000_000
BACKBONE_POOL = ipaddress.IPv4Network("10.0.0.0/16")
ACCESS_POOL = ipaddress.IPv4Network("10.1.0.0/16")
VPN_HOST_NET = ipaddress.IPv4Network("172.20.0.0/24")
FALLBACK_LOOPBACKS = ipaddress.IPv4Network("10.255.0.0/24")
VNI_RANGE = (1, 16_777_215)
IFNAME_MAX = 15  # Linux IFNAMSIZ - 1
PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,5}-$")


def slug(text: str, max_len: int = 20) -> str:
    """A lowercase name safe for namespaces, interfaces and FRR hostnames: 'Saint-Quentin' → 'saint-quentin'."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (cleaned or "x")[:max_len].rstrip("-") or "x"


@dataclass(frozen=True, slots=True)
class LabRouter:
    name: str       # FRR hostname (slug of the inventory router name)
    inventory_name: str
    pop: str
    netns: str
    loopback: str   # IPv4, /32 on lo


@dataclass(frozen=True, slots=True)
class LabLink:
    name: str       # inventory link name
    a: str          # router netns
    b: str
    a_ifname: str
    b_ifname: str
    a_addr: str     # with prefix length, e.g. 10.0.0.0/31
    b_addr: str
    ospf_cost: int


@dataclass(frozen=True, slots=True)
class LabSite:
    name: str
    pop: str
    router: str        # PE netns
    netns: str         # host netns
    index: int
    pe_inet_ifname: str
    pe_vpn_ifname: str
    pe_inet_addr: str  # /31 on the PE
    host_inet_addr: str
    host_vpn_addr: str  # /24 inside the VPN broadcast domain
    down_bps: int
    up_bps: int
    synthetic: bool = False  # True when the demo tenant had no site at this PoP


@dataclass(frozen=True, slots=True)
class LabTopology:
    prefix: str
    tenant: str
    routers: tuple[LabRouter, ...]
    links: tuple[LabLink, ...]
    sites: tuple[LabSite, ...]
    asn: int = BACKBONE_ASN
    notes: tuple[str, ...] = field(default_factory=tuple)

    def router(self, netns_or_name: str) -> LabRouter:
        for r in self.routers:
            if netns_or_name in (r.netns, r.name, r.inventory_name, r.pop):
                return r
        raise ValidationError("no such lab router", field="router", value=netns_or_name,
                              accepted=", ".join(r.name for r in self.routers))

    def site(self, name: str) -> LabSite:
        for s in self.sites:
            if name in (s.name, s.netns):
                return s
        raise ValidationError("no such lab site", field="site", value=name,
                              accepted=", ".join(s.name for s in self.sites))

    def namespaces(self) -> list[str]:
        return [r.netns for r in self.routers] + [s.netns for s in self.sites]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabTopology:
        return cls(prefix=data["prefix"], tenant=data["tenant"],
                   routers=tuple(LabRouter(**r) for r in data["routers"]),
                   links=tuple(LabLink(**lk) for lk in data["links"]),
                   sites=tuple(LabSite(**s) for s in data["sites"]),
                   asn=data.get("asn", BACKBONE_ASN), notes=tuple(data.get("notes", ())))


# -- choosing PoPs --------------------------------------------------------------------------------

def _adjacency(network: Network) -> dict[str, set[str]]:
    adj: dict[str, set[str]] = {p.name: set() for p in network.pops}
    for lk in network.links:
        if lk.a in adj and lk.b in adj:
            adj[lk.a].add(lk.b)
            adj[lk.b].add(lk.a)
    return adj


def parse_pops_option(value: str | None) -> int | list[str] | None:
    """`--pops 4` → 4; `--pops Paris,Frankfurt` → ['Paris', 'Frankfurt']; None → None (default)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    return [part.strip() for part in text.split(",") if part.strip()]


def choose_pops(network: Network, pops: int | Sequence[str] | None = None, hosting: Sequence[str] = ()) -> list[str]:
    """PoPs for the lab, always a connected set (each one linked to an earlier one).

    An int picks that many: the preferred European hubs joined by shortest paths while they fit,
    then PoPs hosting `hosting` sites, then the best-connected, then by name — deterministic.
    A list is taken as given after checking the names and that the links join them.
    """
    adj = _adjacency(network)
    by_lower = {name.lower(): name for name in adj}
    if pops is None:
        pops = DEFAULT_POP_COUNT
    if isinstance(pops, int):
        return _grow_connected(adj, by_lower, pops, hosting)
    chosen: list[str] = []
    for raw in pops:
        name = by_lower.get(raw.lower())
        if name is None:
            raise ValidationError("unknown PoP", field="pops", value=raw,
                                  accepted="names of PoPs of the inventory, e.g. " + ", ".join(sorted(adj)[:8]))
        if name not in chosen:
            chosen.append(name)
    if len(chosen) < 2:
        raise ValidationError("a lab needs at least two PoPs", field="pops", value=",".join(pops),
                              accepted="two or more connected PoP names, or a count 2..40")
    _check_connected(adj, chosen)
    return chosen


def _grow_connected(adj: dict[str, set[str]], by_lower: dict[str, str], count: int,
                    hosting: Sequence[str] = ()) -> list[str]:
    """Connect the preferred hubs (then the PoPs hosting demo sites) by shortest hop paths while
    they fit in `count`, then fill up along links, preferring PoPs that host sites."""
    if not 2 <= count <= MAX_POP_COUNT:
        raise ValidationError("PoP count out of range", field="pops", value=count,
                              accepted=f"an integer 2..{MAX_POP_COUNT}")
    targets = [by_lower[p.lower()] for p in PREFERRED_POPS if p.lower() in by_lower]
    targets += [p for p in hosting if p in adj and p not in targets]
    hosting_set = set(hosting)

    def key(name: str) -> tuple[int, int, int, str]:
        rank = targets.index(name) if name in targets else len(targets)
        return (rank, 0 if name in hosting_set else 1, -len(adj[name]), name)

    candidates = [n for n in adj if adj[n]]
    if not candidates:
        raise ValidationError("the inventory has no links", field="pops", value=count,
                              accepted="an inventory with linked PoPs")
    chosen = [min(candidates, key=key)]
    for target in targets:
        path = _shortest_path_from(adj, chosen, target)
        if path and len(chosen) + len(path) <= count:
            chosen += path
    while len(chosen) < count:
        frontier = {n for c in chosen for n in adj[c]} - set(chosen)
        if not frontier:
            raise ValidationError("not enough connected PoPs", field="pops", value=count,
                                  accepted=f"at most {len(chosen)} for this inventory")
        chosen.append(min(frontier, key=key))
    return chosen


def _shortest_path_from(adj: dict[str, set[str]], sources: list[str], target: str) -> list[str]:
    """The PoPs to add (excluding the sources) to join `target` by the fewest hops; [] if joined
    already or unreachable. Breadth-first, neighbours by name: deterministic."""
    if target in sources:
        return []
    parent: dict[str, str | None] = dict.fromkeys(sources)
    queue = list(sources)
    while queue:
        node = queue.pop(0)
        for nxt in sorted(adj[node]):
            if nxt not in parent:
                parent[nxt] = node
                if nxt == target:
                    path = [nxt]
                    while parent[path[-1]] not in sources and parent[path[-1]] is not None:
                        path.append(parent[path[-1]])  # type: ignore[arg-type]
                    return list(reversed(path))
                queue.append(nxt)
    return []


def _check_connected(adj: dict[str, set[str]], chosen: list[str]) -> None:
    wanted = set(chosen)
    seen = {chosen[0]}
    stack = [chosen[0]]
    while stack:
        for n in adj[stack.pop()] & wanted:
            if n not in seen:
                seen.add(n)
                stack.append(n)
    missing = [n for n in chosen if n not in seen]
    if missing:
        raise ValidationError(f"no inventory link joins {', '.join(missing)} to {chosen[0]} inside the chosen set",
                              field="pops", value=",".join(chosen),
                              accepted="PoPs that form a connected set by their links")


# -- building the topology ------------------------------------------------------------------------

def _edge_router_of(network: Network, pop: str) -> tuple[str, str | None]:
    routers = [r for r in network.routers if r.pop == pop]
    edge = [r for r in routers if r.role == RouterRole.EDGE] or routers
    if edge:
        return edge[0].name, edge[0].loopback
    return f"{pop}-pe", None


def _unique(name: str, taken: set[str], max_len: int) -> str:
    candidate = name[:max_len]
    n = 2
    while candidate in taken:
        tail = f"-{n}"
        candidate = name[: max_len - len(tail)] + tail
        n += 1
    taken.add(candidate)
    return candidate


def _rate(value: object, field_name: str) -> int:
    if value is None:
        return DEFAULT_SITE_RATE_BPS
    return parse_bandwidth(value, field=field_name)  # type: ignore[arg-type]


def build_topology(network: Network, tenants: Iterable[dict[str, Any]] = (), pops: int | Sequence[str] | None = None,
                   *, prefix: str = DEFAULT_PREFIX, max_sites: int = DEFAULT_MAX_SITES) -> LabTopology:
    """Decide every name and address of the lab. Deterministic for the same inputs."""
    if not PREFIX_RE.match(prefix):
        raise ValidationError("bad namespace prefix", field="prefix", value=prefix,
                              accepted="1-6 lowercase letters/digits starting with a letter, then '-', e.g. ul-")
    tenants = list(tenants)
    enterprise = next((t for t in tenants if t.get("kind") == "enterprise"), {})
    hosting = list(dict.fromkeys(site.get("pop") for site in enterprise.get("sites", []) if site.get("pop")))
    chosen = choose_pops(network, pops, hosting)
    taken: set[str] = set()
    routers: list[LabRouter] = []
    used_loopbacks: set[str] = set()
    fallback = iter(FALLBACK_LOOPBACKS.hosts())
    notes: list[str] = []
    for pop in chosen:
        inv_name, loopback = _edge_router_of(network, pop)
        if loopback is None or loopback in used_loopbacks:
            loopback = next(str(ip) for ip in fallback if str(ip) not in used_loopbacks)
            notes.append(f"{pop}: loopback {loopback} assigned by the lab (inventory gave none or a duplicate)")
        used_loopbacks.add(loopback)
        netns = _unique(prefix + slug(pop, 24), taken, 30)
        routers.append(LabRouter(name=slug(inv_name, 40), inventory_name=inv_name, pop=pop, netns=netns,
                                 loopback=loopback))
    links = _build_links(network, routers)
    sites, site_notes = _build_sites(tenants, routers, prefix, taken, max_sites)
    notes.extend(site_notes)
    tenant_name = next((t.get("name", "") for t in tenants if t.get("kind") == "enterprise"), "")
    return LabTopology(prefix=prefix, tenant=tenant_name, routers=tuple(routers), links=tuple(links),
                       sites=tuple(sites), notes=tuple(notes))


def _build_links(network: Network, routers: list[LabRouter]) -> list[LabLink]:
    by_pop = {r.pop: r for r in routers}
    best: dict[tuple[str, str], tuple[int, str]] = {}
    for lk in network.links:
        if lk.a in by_pop and lk.b in by_pop:
            pair = tuple(sorted((lk.a, lk.b)))
            cost = min(max(lk.igp_metric, 1), 65535)  # OSPF cost is 16 bits
            if pair not in best or (cost, lk.name) < best[pair]:  # parallel links: keep the cheapest
                best[pair] = (cost, lk.name)  # type: ignore[index]
    order = {r.pop: i for i, r in enumerate(routers)}
    subnets = BACKBONE_POOL.subnets(new_prefix=31)
    links: list[LabLink] = []
    for (pa, pb), (cost, name) in sorted(best.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]])):
        ra, rb = by_pop[pa], by_pop[pb]
        net = next(subnets)
        links.append(LabLink(name=name, a=ra.netns, b=rb.netns,
                             a_ifname=f"bb-{slug(pb, IFNAME_MAX - 3)}", b_ifname=f"bb-{slug(pa, IFNAME_MAX - 3)}",
                             a_addr=f"{net[0]}/31", b_addr=f"{net[1]}/31", ospf_cost=cost))
    _check_ifnames_unique(links)
    return links


def _check_ifnames_unique(links: list[LabLink]) -> None:
    seen: set[tuple[str, str]] = set()
    for lk in links:
        for key in ((lk.a, lk.a_ifname), (lk.b, lk.b_ifname)):
            if key in seen:  # two peers whose names share a 12-character prefix
                raise ValidationError("two backbone interfaces would get the same name", field="pops",
                                      value=key[1], accepted="PoPs whose names differ in their first 12 letters")
            seen.add(key)


def _build_sites(tenants: list[dict[str, Any]], routers: list[LabRouter], prefix: str, taken: set[str],
                 max_sites: int) -> tuple[list[LabSite], list[str]]:
    enterprise = next((t for t in tenants if t.get("kind") == "enterprise"), None)
    by_pop = {r.pop: r for r in routers}
    wanted: list[tuple[str, str, object, object, bool]] = []  # name, pop, down, up, synthetic
    for site in (enterprise or {}).get("sites", []):
        if site.get("pop") in by_pop and len(wanted) < max_sites:
            access = site.get("access") or {}
            wanted.append((site["name"], site["pop"], access.get("down_bps"), access.get("up_bps"), False))
    notes: list[str] = []
    covered = {w[1] for w in wanted}
    for r in routers:  # every PE gets at least one site so that VPNs can span all of them
        if r.pop not in covered:
            wanted.append((f"lab-{slug(r.pop, 24)}", r.pop, None, None, True))
            notes.append(f"{r.pop}: no site of the demo enterprise here; added synthetic site lab-{slug(r.pop, 24)}")
    if enterprise is None:
        notes.append("no enterprise tenant given: every site is synthetic")
    access_nets = ACCESS_POOL.subnets(new_prefix=31)
    vpn_hosts = list(VPN_HOST_NET.hosts())
    sites: list[LabSite] = []
    for index, (name, pop, down, up, synthetic) in enumerate(wanted, start=1):
        net = next(access_nets)
        sites.append(LabSite(
            name=name, pop=pop, router=by_pop[pop].netns, netns=_unique(prefix + "h-" + slug(name, 24), taken, 30),
            index=index, pe_inet_ifname=f"acc-{index}", pe_vpn_ifname=f"vpn-{index}",
            pe_inet_addr=f"{net[0]}/31", host_inet_addr=f"{net[1]}/31", host_vpn_addr=f"{vpn_hosts[index - 1]}/24",
            down_bps=_rate(down, f"site[{name}].access.down_bps"), up_bps=_rate(up, f"site[{name}].access.up_bps"),
            synthetic=synthetic))
    return sites, notes


# -- commands and configs -------------------------------------------------------------------------

def tbf_args(dev: str, rate_bps: int, op: str = "replace") -> list[str]:
    """`tc` arguments for the access shaper. `replace` keeps counters and works live (NOTES §4).

    The bucket holds at least 32 KiB and 4 ms of traffic at the rate: big enough for full-size
    segments at high rates, small enough that a rate cut shows within one 0.2 s interval.
    """
    if not isinstance(rate_bps, int) or rate_bps <= 0:
        raise ValidationError("rate must be a positive integer of bit/s", field="rate_bps", value=rate_bps,
                              accepted="an integer > 0")
    burst = max(32 * 1024, rate_bps // 8 * 4 // 1000)
    return ["qdisc", op, "dev", dev, "root", "tbf", "rate", f"{rate_bps}bit",
            "burst", str(burst), "latency", "50ms"]


def link_commands(topo: LabTopology) -> list[str]:
    """`ip -batch` lines run in the host namespace: namespaces and every veth pair, created in place."""
    lines = [f"netns add {ns}" for ns in topo.namespaces()]
    for lk in topo.links:
        lines.append(f"link add {lk.a_ifname} netns {lk.a} type veth peer name {lk.b_ifname} netns {lk.b}")
    for s in topo.sites:
        lines.append(f"link add {s.pe_inet_ifname} netns {s.router} type veth peer name inet0 netns {s.netns}")
        lines.append(f"link add {s.pe_vpn_ifname} netns {s.router} type veth peer name vpn0 netns {s.netns}")
    return lines


def netns_commands(topo: LabTopology) -> dict[str, list[tuple[str, list[str]]]]:
    """Per namespace: (tool, args) steps — `ip` lines go to one `ip -n NS -batch`, `tc` runs one by one."""
    steps: dict[str, list[tuple[str, list[str]]]] = {ns: [("ip", ["link", "set", "lo", "up"])]
                                                     for ns in topo.namespaces()}
    for r in topo.routers:
        steps[r.netns].append(("ip", ["addr", "add", f"{r.loopback}/32", "dev", "lo"]))
    for lk in topo.links:
        for ns, ifname, addr in ((lk.a, lk.a_ifname, lk.a_addr), (lk.b, lk.b_ifname, lk.b_addr)):
            steps[ns].append(("ip", ["addr", "add", addr, "dev", ifname]))
            steps[ns].append(("ip", ["link", "set", ifname, "up"]))
    for s in topo.sites:
        pe, host = steps[s.router], steps[s.netns]
        pe.append(("ip", ["addr", "add", s.pe_inet_addr, "dev", s.pe_inet_ifname]))
        pe.append(("ip", ["link", "set", s.pe_inet_ifname, "up"]))
        pe.append(("ip", ["link", "set", s.pe_vpn_ifname, "up"]))
        pe.append(("tc", tbf_args(s.pe_inet_ifname, s.down_bps)))
        pe.append(("tc", tbf_args(s.pe_vpn_ifname, s.down_bps)))
        host.append(("ip", ["addr", "add", s.host_inet_addr, "dev", "inet0"]))
        host.append(("ip", ["addr", "add", s.host_vpn_addr, "dev", "vpn0"]))
        host.append(("ip", ["link", "set", "inet0", "up"]))
        host.append(("ip", ["link", "set", "vpn0", "up"]))
        host.append(("ip", ["route", "add", "default", "via", s.pe_inet_addr.split("/")[0], "dev", "inet0"]))
        host.append(("tc", tbf_args("inet0", s.up_bps)))
        host.append(("tc", tbf_args("vpn0", s.up_bps)))
    return steps


def frr_day0_config(topo: LabTopology, router: LabRouter) -> str:
    """The router's integrated FRR config at build time: OSPF underlay + iBGP EVPN full mesh.

    Fast timers (NOTES §2): point-to-point OSPF with 1 s hellos, no SPF/LSA throttling delay,
    BGP 3/9 s, and a 2 s connect retry: a session whose first attempt came before OSPF had the
    peer's loopback would otherwise wait FRR's default 120 s before trying again (seen on CI).
    `advertise-all-vni` makes every VXLAN device in the namespace an EVPN L2VNI, so a
    VPN membership change is a kernel bridge/VXLAN change that FRR picks up by itself.
    """
    lines = ["frr version 8.4", "frr defaults traditional", f"hostname {router.name}",
             "service integrated-vtysh-config", "!",
             "interface lo", " ip ospf area 0.0.0.0", "exit", "!"]
    for lk in topo.links:
        for ns, ifname in ((lk.a, lk.a_ifname), (lk.b, lk.b_ifname)):
            if ns == router.netns:
                lines += [f"interface {ifname}", " ip ospf area 0.0.0.0", f" ip ospf cost {lk.ospf_cost}",
                          " ip ospf network point-to-point", " ip ospf hello-interval 1",
                          " ip ospf dead-interval 4", "exit", "!"]
    for s in topo.sites:
        if s.router == router.netns:
            lines += [f"interface {s.pe_inet_ifname}", " ip ospf area 0.0.0.0", " ip ospf passive", "exit", "!"]
    lines += ["router ospf", f" ospf router-id {router.loopback}", " timers throttle spf 0 50 500",
              " timers throttle lsa all 0", " timers lsa min-arrival 0", "exit", "!",
              f"router bgp {topo.asn}", f" bgp router-id {router.loopback}", " no bgp default ipv4-unicast",
              " no bgp ebgp-requires-policy", " timers bgp 3 9", " neighbor PE peer-group",
              f" neighbor PE remote-as {topo.asn}", " neighbor PE update-source lo", " neighbor PE timers connect 2"]
    peers = [r for r in topo.routers if r.netns != router.netns]
    lines += [f" neighbor {p.loopback} peer-group PE" for p in peers]
    lines += [" !", " address-family l2vpn evpn", "  neighbor PE activate", "  advertise-all-vni",
              " exit-address-family", "exit", "!", "end"]
    return "\n".join(lines) + "\n"


def check_vni(vni: object) -> int:
    if not isinstance(vni, int) or isinstance(vni, bool) or not VNI_RANGE[0] <= vni <= VNI_RANGE[1]:
        raise ValidationError("not a VXLAN network identifier", field="vni", value=vni,
                              accepted=f"an integer {VNI_RANGE[0]}..{VNI_RANGE[1]}")
    return vni


def vpn_bridge_names(vni: int) -> tuple[str, str]:
    """Names of the VPN's bridge and VXLAN device on a PE, as the FRR renderer names them:
    'br10100', 'vxlan10100' (at most 13 characters: fits IFNAMSIZ)."""
    check_vni(vni)
    return f"br{vni}", f"vxlan{vni}"


def lab_inventory(network: Network, topo: LabTopology) -> Network:
    """The lab's PoPs and routers as the inventory sees them while the lab runs: FRR routers that
    the `lab` driver reaches (so the engine renders FRR for them and pushes through the lab).
    Merged into the store by `unilink lab up --register`, undone by `lab down`."""
    by_name = {r.name: r for r in network.routers}
    pops = {p.name: p for p in network.pops}
    routers = [replace(by_name[r.inventory_name], vendor=Vendor.FRR, driver="lab", loopback=r.loopback)
               for r in topo.routers if r.inventory_name in by_name]  # a PoP without a router stays out
    return Network(name=network.name, pops=[pops[r.pop] for r in routers], routers=routers)
