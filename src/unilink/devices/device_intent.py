"""Vendor-neutral device intent: what each router must carry for the tenants' services.

The ENGINE fills the input types (`AccessAttachment`, `VpnInstance`, `ElineInstance`) from the
deployed services and resource allocations (VLAN, /31, /127, RD, RT, VNI); `build_device_intents`
turns them into one `DeviceIntent` per router, which `render.render(vendor, intent)` prints in a
vendor's syntax. Pure: no I/O, deterministic ordering (sorted by port/VLAN, VRF name, address) so
that the same input always gives byte-identical configs.

Modelling choices (see docs/devices.md):
- One access attachment = one port (+ optional 802.1Q VLAN) = at most one VPN or one E-Line.
  A site in two VPNs gets two attachments (two VLANs).
- VRF names are derived from the VNI (`v100`), never from what the customer typed: customer names
  only ever appear in descriptions, which are validated and quoted.
- VRF variants on a PE: `v<vni>` (VPN only), `v<vni>i` (VPN + Internet: default route leaked to
  the global table), `v<vni>s` / `v<vni>si` (hub-and-spoke spokes). Keeping Internet sites in
  their own VRF means a VPN-only site never inherits a default route it did not buy.
- A site's backup line is a second attachment (`backup=True`: its own port/VLAN and /31) in the
  same VRF or table as the primary; its static routes get `BACKUP_DISTANCE` (a floating static:
  an administrative distance/preference above every default), so traffic takes it only when the
  primary's routes are gone, i.e. when the primary is down.
- Hub-and-spoke route targets are given from the hub's point of view: hubs import `import_rts` and
  export `export_rts`; spokes import `export_rts` (the hubs' routes) and export `import_rts`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from unilink.devices.safe import check_description, check_port, check_rd_rt
from unilink.errors import ValidationError
from unilink.inventory.model import Router
from unilink.network.numbering import BACKBONE_ASN

# Administrative distance (Junos: preference) of the routes through a backup line: above every
# vendor's default for static, connected, OSPF, IS-IS and iBGP routes (≤ 200 is iBGP on IOS-XR, 170
# BGP on Junos), below 255 (unusable), so such a route wins only when no other remains.
BACKUP_DISTANCE = 250
MAX_VNI = 16_777_215  # 24-bit VXLAN network identifier


class VpnTopology(StrEnum):
    ANY_TO_ANY = "any-to-any"
    HUB_AND_SPOKE = "hub-and-spoke"


# ---------------------------------------------------------------------------------------------
# Inputs (filled by the engine)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AccessAttachment:
    """A site's access circuit as it lands on its PE router.

    `ipv4` is the PE–CE /31 network (the PE takes the first address, the CE the second); `ipv6` the
    /127. `rate_down_bps` is shaped on the PE's egress towards the site, `rate_up_bps` on ingress.
    `routed_prefixes` are the customer's LAN prefixes, routed to the CE by static routes.
    `backup` marks the attachment of the site's backup line: used only while the primary is down.
    """

    site: str
    tenant: str
    router: str
    port: str
    vlan: int | None
    ipv4: str | None
    ipv6: str | None
    rate_down_bps: int
    rate_up_bps: int
    internet: bool = False
    vpns: tuple[str, ...] = ()
    eline: str | None = None
    routed_prefixes: tuple[str, ...] = ()
    backup: bool = False


@dataclass(frozen=True, slots=True)
class VpnInstance:
    """An IP-VPN of a tenant, with the identifiers the engine allocated."""

    name: str
    tenant: str
    rd: str
    import_rts: tuple[str, ...]
    export_rts: tuple[str, ...]
    vni: int
    topology: VpnTopology = VpnTopology.ANY_TO_ANY
    hub_sites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ElineInstance:
    """A point-to-point service between two sites' attachments; `vc_id` doubles as EVPN VNI."""

    name: str
    tenant: str
    a_site: str
    b_site: str
    vc_id: int


@dataclass(frozen=True, slots=True)
class SubscriberLine:
    """A cooperative member's line as it lands on the coop's access router (docs/members.md).

    The port faces the member's home (untagged, unnumbered: the router answers as its gateway);
    `ipv4` is the member's address (public, or the CGNAT share's address, `ipv4_ports` its port
    block — descriptions only: the translation is the CGN's), `ipv6` the delegated prefix, both
    routed to the port. `rate_down_bps` is shaped towards the home, `rate_up_bps` from it; a
    suspended member is given the trickle rate by the caller.
    """

    tenant: str
    line: str
    router: str
    port: str
    rate_down_bps: int
    rate_up_bps: int
    ipv4: str | None = None
    ipv4_ports: str | None = None
    ipv6: str | None = None
    suspended: bool = False


# ---------------------------------------------------------------------------------------------
# Output: one DeviceIntent per router
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InterfaceIntent:
    port: str
    vlan: int | None
    tenant: str
    site: str
    description: str            # validated customer text: "<tenant> <site>"
    ipv4: str | None            # PE address with prefix length, e.g. "10.0.0.0/31"
    ipv6: str | None            # PE address with prefix length, e.g. "2001:db8::/127"
    ce_ipv4: str | None         # CE address without prefix length
    ce_ipv6: str | None
    shape_down_bps: int         # egress towards the site
    shape_up_bps: int           # ingress from the site
    vrf: str | None = None      # None: global table
    vpn: str | None = None      # the customer's VPN name (descriptions only)
    vni: int | None = None      # VPN or E-Line segment id (FRR: EVPN L2VNI)
    eline: str | None = None
    internet: bool = False
    backup: bool = False        # the site's backup line (its routes have BACKUP_DISTANCE)

    @property
    def key(self) -> str:
        """Vendor-neutral name: port, or port.vlan."""
        return self.port if self.vlan is None else f"{self.port}.{self.vlan}"


@dataclass(frozen=True, slots=True)
class SubscriberIntent:
    """One member-facing port of an access router: shaped, with routes to the member's addresses."""

    port: str
    tenant: str
    line: str
    description: str            # validated: "<tenant> <line>", its CGNAT share, "(suspended)"
    ipv4_route: str | None      # the member's address as a /32
    ipv6_route: str | None      # the delegated prefix
    shape_down_bps: int         # egress towards the home
    shape_up_bps: int           # ingress from the home
    suspended: bool = False

    @property
    def key(self) -> str:
        return self.port


@dataclass(frozen=True, slots=True)
class VrfIntent:
    name: str                   # derived from the VNI: v100, v100i, v100s, v100si
    vpn: str                    # customer VPN name (descriptions only)
    tenant: str
    rd: str
    import_rts: tuple[str, ...]
    export_rts: tuple[str, ...]
    vni: int
    internet: bool              # default route leaked to the global table (Internet breakout)
    role: str                   # "any" | "hub" | "spoke"
    variant: int = 0            # 0 plain, 1 +Internet, 2 spoke, 3 spoke+Internet (distinct ids per PE)


@dataclass(frozen=True, slots=True)
class StaticRouteIntent:
    prefix: str
    next_hop: str
    vrf: str | None
    description: str
    distance: int | None = None  # None: the vendor's default; BACKUP_DISTANCE through a backup line


@dataclass(frozen=True, slots=True)
class BgpNeighbourIntent:
    address: str                # the peer PE's loopback
    router: str                 # the peer PE's name (descriptions only)
    families: tuple[str, ...]   # "l3vpn" (VPNv4/VPNv6), "evpn"


@dataclass(frozen=True, slots=True)
class ElineIntent:
    name: str
    tenant: str
    vc_id: int
    port: str                   # the local end: port and VLAN of its InterfaceIntent
    vlan: int | None
    remote_address: str         # the far PE's loopback
    remote_router: str


@dataclass(frozen=True, slots=True)
class DeviceIntent:
    router: str
    vendor: str
    loopback: str
    asn: int = BACKBONE_ASN
    interfaces: tuple[InterfaceIntent, ...] = ()
    vrfs: tuple[VrfIntent, ...] = ()
    elines: tuple[ElineIntent, ...] = ()
    static_routes: tuple[StaticRouteIntent, ...] = ()
    bgp_neighbours: tuple[BgpNeighbourIntent, ...] = ()
    vnis: tuple[int, ...] = field(default=())  # every L2/L3 segment present here (FRR bridges)
    subscribers: tuple[SubscriberIntent, ...] = ()  # a cooperative's members' lines, by port

    def interfaces_in(self, vrf: str | None) -> tuple[InterfaceIntent, ...]:
        return tuple(i for i in self.interfaces if i.vrf == vrf)


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------

def _positive_int(value: object, *, field: str, accepted: str = "an integer > 0") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError("must be a positive integer", field=field, value=value, accepted=accepted)
    return value


def _pe_ce(network: str | None, *, version: int, field: str) -> tuple[str | None, str | None]:
    """Split a point-to-point network into (PE address with prefix length, CE address)."""
    if network is None:
        return None, None
    split = _split_p2p(network, version)
    if split is None:
        want = 31 if version == 4 else 127
        accepted = f"an IPv{version} /{want} network, e.g. " + ("10.1.0.0/31" if version == 4 else "2001:db8::/127")
        raise ValidationError(f"not an IPv{version} /{want} network", field=field, value=network, accepted=accepted)
    return split


@lru_cache(maxsize=65536)
def _prefix(prefix: str) -> tuple[str, int]:
    """(canonical text, IP version) of a routed prefix, checked earlier (cached as `_split_p2p`)."""
    net = ipaddress.ip_network(prefix)
    return str(net), net.version


@lru_cache(maxsize=65536)
def _split_p2p(network: object, version: int) -> tuple[str, str] | None:
    # Cached: the engine rebuilds intents from the same allocations again and again, and parsing
    # addresses is most of the builder's time.
    want = 31 if version == 4 else 127
    try:
        net = ipaddress.ip_network(network, strict=True)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None
    if net.version != version or net.prefixlen != want:
        return None
    base = net.network_address
    return f"{base}/{want}", str(base + 1)


def _check_attachment(i: int, att: AccessAttachment, routers: dict[str, Router]) -> None:
    where = f"attachments[{i}]"
    check_description(att.tenant, field=f"{where}.tenant")
    check_description(att.site, field=f"{where}.site")
    if att.router not in routers:
        raise ValidationError("unknown router", field=f"{where}.router", value=att.router,
                              accepted="the name of a router of the network")
    check_port(att.port, field=f"{where}.port")
    if att.vlan is not None and (isinstance(att.vlan, bool) or not isinstance(att.vlan, int)
                                 or not 1 <= att.vlan <= 4094):
        raise ValidationError("VLAN out of range", field=f"{where}.vlan", value=att.vlan,
                              accepted="an integer 1..4094, or None for an untagged port")
    _positive_int(att.rate_down_bps, field=f"{where}.rate_down_bps", accepted="an integer bit/s > 0")
    _positive_int(att.rate_up_bps, field=f"{where}.rate_up_bps", accepted="an integer bit/s > 0")
    if len(att.vpns) > 1:
        raise ValidationError("an attachment joins at most one VPN", field=f"{where}.vpns", value=list(att.vpns),
                              accepted="zero or one VPN name; use one attachment (VLAN) per VPN")
    if att.eline is not None and (att.vpns or att.internet):
        raise ValidationError("an E-Line attachment carries no IP service", field=f"{where}.eline", value=att.eline,
                              accepted="an E-Line alone, or internet and/or a VPN")
    if att.eline is not None and att.backup:
        raise ValidationError("a backup line carries IP services only", field=f"{where}.eline", value=att.eline,
                              accepted="no E-Line on a backup attachment (internet and/or a VPN)")
    for j, prefix in enumerate(att.routed_prefixes):
        try:
            ipaddress.ip_network(prefix, strict=True)
        except (ValueError, TypeError) as exc:
            raise ValidationError("not a network prefix", field=f"{where}.routed_prefixes[{j}]", value=prefix,
                                  accepted="a network in CIDR notation, e.g. 192.0.2.0/24") from exc


# Attachments already found valid (the checks but the router's existence depend on the attachment
# alone): the engine builds intents from the same attachments again and again.
_CHECKED_ATTACHMENTS: set[AccessAttachment] = set()
_CHECKED_MAX = 200_000


def _known_valid(att: AccessAttachment) -> bool:
    try:
        return att in _CHECKED_ATTACHMENTS
    except TypeError:  # a field of the wrong (unhashable) type: the checks will say which
        return False


def _remember_checked(att: AccessAttachment) -> None:
    if len(_CHECKED_ATTACHMENTS) >= _CHECKED_MAX:
        _CHECKED_ATTACHMENTS.clear()
    with contextlib.suppress(TypeError):  # e.g. prefixes given as a list: checked every time then
        _CHECKED_ATTACHMENTS.add(att)


class _InterfaceCache:
    """The interface of an attachment with no VPN, E-Line or routed prefix depends on the attachment
    alone: built once per distinct attachment (they are frozen, equal by value)."""

    MAX = 200_000

    def __init__(self) -> None:
        self.interfaces: dict[AccessAttachment, InterfaceIntent] = {}

    def get(self, att: AccessAttachment) -> InterfaceIntent | None:
        try:
            return self.interfaces.get(att)
        except TypeError:  # an unhashable field: built (and checked) the long way
            return None

    def put(self, att: AccessAttachment, iface: InterfaceIntent) -> None:
        if len(self.interfaces) >= self.MAX:
            self.interfaces.clear()
        with contextlib.suppress(TypeError):
            self.interfaces[att] = iface


_PLAIN_INTERFACES = _InterfaceCache()


def _check_vpn(i: int, vpn: VpnInstance) -> None:
    where = f"vpns[{i}]"
    check_description(vpn.name, field=f"{where}.name")
    check_description(vpn.tenant, field=f"{where}.tenant")
    check_rd_rt(vpn.rd, field=f"{where}.rd")
    if not vpn.import_rts or not vpn.export_rts:
        raise ValidationError("a VPN needs import and export route targets", field=f"{where}.import_rts",
                              value=list(vpn.import_rts), accepted="at least one route target each")
    for j, rt in enumerate(vpn.import_rts):
        check_rd_rt(rt, field=f"{where}.import_rts[{j}]")
    for j, rt in enumerate(vpn.export_rts):
        check_rd_rt(rt, field=f"{where}.export_rts[{j}]")
    _positive_int(vpn.vni, field=f"{where}.vni", accepted=f"an integer 1..{MAX_VNI}")
    if vpn.vni > MAX_VNI:
        raise ValidationError("VNI out of range", field=f"{where}.vni", value=vpn.vni, accepted=f"1..{MAX_VNI}")
    try:
        VpnTopology(vpn.topology)
    except ValueError as exc:
        raise ValidationError("unknown VPN topology", field=f"{where}.topology", value=vpn.topology,
                              accepted="any-to-any or hub-and-spoke") from exc
    for j, hub in enumerate(vpn.hub_sites):
        check_description(hub, field=f"{where}.hub_sites[{j}]")


# ---------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------

def _vrf_for(att: AccessAttachment, vpn: VpnInstance, loopback: str, *, field: str) -> VrfIntent:
    spoke = vpn.topology == VpnTopology.HUB_AND_SPOKE and att.site not in vpn.hub_sites
    role = "spoke" if spoke else ("hub" if vpn.topology == VpnTopology.HUB_AND_SPOKE else "any")
    suffix = ("s" if spoke else "") + ("i" if att.internet else "")
    if spoke:
        imports, exports = vpn.export_rts, vpn.import_rts
    else:
        imports, exports = vpn.import_rts, vpn.export_rts
    # The plain variant uses the engine's RD; the others need an RD of their own on this PE
    # (one RD per VRF per router): loopback:(vni mod 16384)*4 + variant, a type-1 RD.
    variant = {"": 0, "i": 1, "s": 2, "si": 3}[suffix]
    rd = vpn.rd if variant == 0 else f"{loopback}:{(vpn.vni % 16384) * 4 + variant}"
    return VrfIntent(name=f"v{vpn.vni}{suffix}", vpn=vpn.name, tenant=vpn.tenant, rd=rd,
                     import_rts=tuple(sorted(set(imports))), export_rts=tuple(sorted(set(exports))),
                     vni=vpn.vni, internet=att.internet, role=role, variant=variant)


def _interface_sort_key(i: InterfaceIntent) -> tuple[str, int]:
    return (i.port, -1 if i.vlan is None else i.vlan)


def build_device_intents(routers: Iterable[Router], attachments: Sequence[AccessAttachment],
                         vpns: Sequence[VpnInstance] = (), elines: Sequence[ElineInstance] = (),
                         *, asn: int = BACKBONE_ASN, only: Iterable[str] | None = None,
                         subscribers: Sequence[SubscriberLine] = ()) -> dict[str, DeviceIntent]:
    """One `DeviceIntent` per router given (routers without services get an empty intent); with
    `only`, for those routers alone (the others still count as segment ends: BGP neighbours).
    `subscribers`: cooperatives' members' lines, on their access routers.

    Raises `ValidationError` naming the offending input (e.g. `attachments[3].vlan`).
    """
    router_by_name = {r.name: r for r in routers}
    for i, att in enumerate(attachments):
        if not _known_valid(att) or att.router not in router_by_name:
            _check_attachment(i, att, router_by_name)
            _remember_checked(att)
    vpn_by_key: dict[tuple[str, str], VpnInstance] = {}
    for i, vpn in enumerate(vpns):
        _check_vpn(i, vpn)
        if (vpn.tenant, vpn.name) in vpn_by_key:
            raise ValidationError("duplicate VPN", field=f"vpns[{i}].name", value=vpn.name,
                                  accepted="each VPN name once per tenant")
        vpn_by_key[(vpn.tenant, vpn.name)] = vpn
    vni_owner: dict[int, str] = {}
    for i, vpn in enumerate(vpns):
        if vni_owner.setdefault(vpn.vni, f"vpn {vpn.tenant}/{vpn.name}") != f"vpn {vpn.tenant}/{vpn.name}":
            raise ValidationError("VNI already used", field=f"vpns[{i}].vni", value=vpn.vni, accepted="a unique VNI")
    eline_by_key = _check_elines(elines, attachments, vni_owner)

    interfaces: dict[str, list[InterfaceIntent]] = {name: [] for name in router_by_name}
    vrfs: dict[str, dict[str, VrfIntent]] = {name: {} for name in router_by_name}
    statics: dict[str, list[StaticRouteIntent]] = {name: [] for name in router_by_name}
    segment_members: dict[int, set[str]] = {}   # vni → routers (for BGP neighbours)
    families_of_vni: dict[int, str] = {}
    seen_ports: dict[tuple[str, str, int | None], int] = {}
    vrf_cache: dict[tuple[str, str, str, bool, bool], VrfIntent] = {}  # same VRF for every site of a variant

    for i, att in enumerate(attachments):
        where = f"attachments[{i}]"
        key = (att.router, att.port, att.vlan)
        if key in seen_ports:
            raise ValidationError("port and VLAN already used by another attachment", field=f"{where}.vlan",
                                  value=att.vlan, accepted=f"a VLAN not used on {att.router} {att.port}")
        seen_ports[key] = i
        plain = not att.vpns and att.eline is None and not att.routed_prefixes
        cached = _PLAIN_INTERFACES.get(att) if plain else None
        if cached is not None:
            interfaces[att.router].append(cached)
            continue
        router = router_by_name[att.router]
        pe4, ce4 = _pe_ce(att.ipv4, version=4, field=f"{where}.ipv4")
        pe6, ce6 = _pe_ce(att.ipv6, version=6, field=f"{where}.ipv6")
        if not (att.internet or att.vpns or att.eline):
            # A port with no service yet (e.g. being built): shaped and described, but no address
            # in the global table, which would amount to Internet access the site did not buy.
            pe4 = ce4 = pe6 = ce6 = None
        # both checked: the quoting filters accept up to 200
        description = f"{att.tenant} {att.site}" + (" (backup)" if att.backup else "")
        vrf_name = vpn_name = vni = None
        if att.vpns:
            vpn = vpn_by_key.get((att.tenant, att.vpns[0]))
            if vpn is None:
                raise ValidationError("unknown VPN", field=f"{where}.vpns[0]", value=att.vpns[0],
                                      accepted=f"a VPN of tenant {att.tenant}")
            vrf_key = (att.router, vpn.tenant, vpn.name, att.site in vpn.hub_sites, att.internet)
            vrf = vrf_cache.get(vrf_key)
            if vrf is None:
                vrf = vrf_cache[vrf_key] = _vrf_for(att, vpn, router.loopback, field=where)
            vrfs[att.router][vrf.name] = vrf
            vrf_name, vpn_name, vni = vrf.name, vpn.name, vpn.vni
            segment_members.setdefault(vni, set()).add(att.router)
            families_of_vni[vni] = "l3vpn"
        if att.eline is not None:
            eline = eline_by_key[(att.tenant, att.eline)]
            vni = eline.vc_id
            segment_members.setdefault(vni, set()).add(att.router)
            families_of_vni[vni] = "evpn"
        iface = InterfaceIntent(
            port=att.port, vlan=att.vlan, tenant=att.tenant, site=att.site, description=description,
            ipv4=pe4, ipv6=pe6, ce_ipv4=ce4, ce_ipv6=ce6,
            shape_down_bps=att.rate_down_bps, shape_up_bps=att.rate_up_bps,
            vrf=vrf_name, vpn=vpn_name, vni=vni, eline=att.eline, internet=att.internet, backup=att.backup)
        interfaces[att.router].append(iface)
        if plain:
            _PLAIN_INTERFACES.put(att, iface)
        for prefix in att.routed_prefixes if (ce4 or ce6) else ():
            text, version = _prefix(prefix)
            hop = ce4 if version == 4 else ce6
            if hop is None:
                raise ValidationError(f"an IPv{version} prefix needs an IPv{version} PE–CE network",
                                      field=f"{where}.routed_prefixes", value=prefix,
                                      accepted=f"set {where}.ipv{version}")
            statics[att.router].append(StaticRouteIntent(prefix=text, next_hop=hop, vrf=vrf_name,
                                                         description=description,
                                                         distance=BACKUP_DISTANCE if att.backup else None))

    _check_variant_rds(vrfs)
    subs = _subscriber_intents(subscribers, router_by_name, seen_ports)
    elines_by_router = _eline_intents(elines, attachments, router_by_name)
    result: dict[str, DeviceIntent] = {}
    for name in sorted(router_by_name if only is None else set(only) & router_by_name.keys()):
        router = router_by_name[name]
        local_vnis = sorted({i.vni for i in interfaces[name] if i.vni is not None})
        result[name] = DeviceIntent(
            router=name, vendor=str(router.vendor), loopback=router.loopback, asn=asn,
            interfaces=tuple(sorted(interfaces[name], key=_interface_sort_key)),
            vrfs=tuple(vrfs[name][v] for v in sorted(vrfs[name])),
            elines=tuple(sorted(elines_by_router.get(name, []), key=lambda e: (e.vc_id, e.port))),
            static_routes=tuple(sorted(statics[name], key=lambda s: (s.vrf or "", s.prefix, s.next_hop))),
            bgp_neighbours=_neighbours(name, local_vnis, segment_members, families_of_vni, router_by_name),
            vnis=tuple(local_vnis),
            subscribers=tuple(sorted(subs.get(name, []), key=lambda x: x.port)),
        )
    return result


def _subscriber_intents(subscribers: Sequence[SubscriberLine], routers: dict[str, Router],
                        seen_ports: dict[tuple[str, str, int | None], int]) -> dict[str, list[SubscriberIntent]]:
    out: dict[str, list[SubscriberIntent]] = {}
    for i, sub in enumerate(subscribers):
        where = f"subscribers[{i}]"
        check_description(sub.tenant, field=f"{where}.tenant")
        check_description(sub.line, field=f"{where}.line")
        if sub.router not in routers:
            raise ValidationError("unknown router", field=f"{where}.router", value=sub.router,
                                  accepted="the name of a router of the network")
        check_port(sub.port, field=f"{where}.port")
        if (sub.router, sub.port, None) in seen_ports:
            raise ValidationError("port already used by another line or attachment", field=f"{where}.port",
                                  value=sub.port, accepted=f"a port not used on {sub.router}")
        seen_ports[(sub.router, sub.port, None)] = i
        _positive_int(sub.rate_down_bps, field=f"{where}.rate_down_bps", accepted="an integer bit/s > 0")
        _positive_int(sub.rate_up_bps, field=f"{where}.rate_up_bps", accepted="an integer bit/s > 0")
        v4 = _host_route(sub.ipv4, field=f"{where}.ipv4")
        v6 = _delegated(sub.ipv6, field=f"{where}.ipv6")
        description = f"{sub.tenant} {sub.line}"
        if sub.ipv4_ports is not None:
            if not re.fullmatch(r"\d{1,5}-\d{1,5}", str(sub.ipv4_ports)):
                raise ValidationError("not a port block", field=f"{where}.ipv4_ports", value=sub.ipv4_ports,
                                      accepted="FIRST-LAST, e.g. 1024-2047")
            description += f" cgnat {sub.ipv4}:{sub.ipv4_ports}"
        if sub.suspended:
            description += " (suspended)"
        out.setdefault(sub.router, []).append(SubscriberIntent(
            port=sub.port, tenant=sub.tenant, line=sub.line, description=description, ipv4_route=v4, ipv6_route=v6,
            shape_down_bps=sub.rate_down_bps, shape_up_bps=sub.rate_up_bps, suspended=sub.suspended))
    return out


def _host_route(address: str | None, *, field: str) -> str | None:
    if address is None:
        return None
    try:
        return f"{ipaddress.IPv4Address(address)}/32"
    except (ValueError, TypeError) as exc:
        raise ValidationError("not an IPv4 address", field=field, value=address,
                              accepted="an IPv4 address, e.g. 100.64.0.2") from exc


def _delegated(prefix: str | None, *, field: str) -> str | None:
    if prefix is None:
        return None
    try:
        return str(ipaddress.IPv6Network(prefix, strict=True))
    except (ValueError, TypeError) as exc:
        raise ValidationError("not an IPv6 prefix", field=field, value=prefix,
                              accepted="an IPv6 network, e.g. 2001:db8:10:100::/56") from exc


def _check_elines(elines: Sequence[ElineInstance], attachments: Sequence[AccessAttachment],
                  vni_owner: dict[int, str]) -> dict[tuple[str, str], ElineInstance]:
    by_key: dict[tuple[str, str], ElineInstance] = {}
    sites = {(a.tenant, a.site): a for a in attachments if a.eline is not None}
    for i, eline in enumerate(elines):
        where = f"elines[{i}]"
        check_description(eline.name, field=f"{where}.name")
        _positive_int(eline.vc_id, field=f"{where}.vc_id", accepted=f"an integer 1..{MAX_VNI}")
        if eline.vc_id > MAX_VNI:
            raise ValidationError("VC id out of range", field=f"{where}.vc_id", value=eline.vc_id,
                                  accepted=f"1..{MAX_VNI}")
        owner = f"eline {eline.tenant}/{eline.name}"
        if vni_owner.setdefault(eline.vc_id, owner) != owner:
            raise ValidationError("VC id already used as a VNI", field=f"{where}.vc_id", value=eline.vc_id,
                                  accepted="a unique id")
        for end, site in (("a_site", eline.a_site), ("b_site", eline.b_site)):
            att = sites.get((eline.tenant, site))
            if att is None or att.eline != eline.name:
                raise ValidationError("no attachment of this site carries the E-Line", field=f"{where}.{end}",
                                      value=site, accepted=f"a site whose attachment has eline={eline.name!r}")
        if sites[(eline.tenant, eline.a_site)].router == sites[(eline.tenant, eline.b_site)].router:
            raise ValidationError("both ends of an E-Line on one router are not supported",
                                  field=f"{where}.b_site", value=eline.b_site,
                                  accepted="sites attached to two different routers")
        by_key[(eline.tenant, eline.name)] = eline
    for i, att in enumerate(attachments):
        if att.eline is not None and (att.tenant, att.eline) not in by_key:
            raise ValidationError("unknown E-Line", field=f"attachments[{i}].eline", value=att.eline,
                                  accepted=f"an E-Line of tenant {att.tenant}")
    return by_key


def _eline_intents(elines: Sequence[ElineInstance], attachments: Sequence[AccessAttachment],
                   routers: dict[str, Router]) -> dict[str, list[ElineIntent]]:
    sites = {(a.tenant, a.site): a for a in attachments if a.eline is not None}
    out: dict[str, list[ElineIntent]] = {}
    for eline in elines:
        a, b = sites[(eline.tenant, eline.a_site)], sites[(eline.tenant, eline.b_site)]
        for here, there in ((a, b), (b, a)):
            out.setdefault(here.router, []).append(ElineIntent(
                name=eline.name, tenant=eline.tenant, vc_id=eline.vc_id, port=here.port, vlan=here.vlan,
                remote_address=routers[there.router].loopback, remote_router=there.router))
    return out


def _check_variant_rds(vrfs: dict[str, dict[str, VrfIntent]]) -> None:
    for router, by_name in vrfs.items():
        seen: dict[str, str] = {}
        for name in sorted(by_name):
            rd = by_name[name].rd
            if rd in seen:
                raise ValidationError(f"VRFs {seen[rd]} and {name} would share RD {rd} on {router}",
                                      field="vpns.vni", value=by_name[name].vni,
                                      accepted="VNIs that differ modulo 16384 on one router")
            seen[rd] = name


@lru_cache(maxsize=4096)
def _loopback_key(loopback: str) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(loopback)


def _neighbours(name: str, local_vnis: list[int], members: dict[int, set[str]], families: dict[int, str],
                routers: dict[str, Router]) -> tuple[BgpNeighbourIntent, ...]:
    """iBGP peers: every other PE sharing a VPN or E-Line with this one (full mesh per segment)."""
    peer_families: dict[str, set[str]] = {}
    for vni in local_vnis:
        for peer in members.get(vni, ()):
            if peer != name:
                peer_families.setdefault(peer, set()).add(families[vni])
    peers = sorted(peer_families, key=lambda p: (_loopback_key(routers[p].loopback), p))
    return tuple(BgpNeighbourIntent(address=routers[p].loopback, router=p,
                                    families=tuple(sorted(peer_families[p]))) for p in peers)
