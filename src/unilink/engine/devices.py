"""The device side of a plan: from a tenant's effective intent to per-router configs and diffs.

Fills the device layer's inputs (`unilink.devices.device_intent`: AccessAttachment, VpnInstance,
ElineInstance) from the intent, the rates in force and the pool allocations, then renders each
touched router with `unilink.devices.render`. `DeviceModel` keeps every tenant's inputs in memory,
indexed by router and by segment (VNI), so that a change re-renders only the routers it touches —
with every other tenant's attachments on them, and the attachments sharing their segments (BGP
neighbours depend on those).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from unilink.devices.device_intent import (
    AccessAttachment,
    ElineInstance,
    SubscriberLine,
    VpnInstance,
    build_device_intents,
)
from unilink.devices.device_intent import VpnTopology as DeviceVpnTopology
from unilink.devices.diff import DeviceChange, change_from_diff
from unilink.devices.diff import config_diff as config_diff  # the one config diff: what plans show
from unilink.devices.render import RenderedConfig, dialect, render_for_router
from unilink.devices.transaction import DeviceCommitError as DeviceCommitError  # what a refused apply raises
from unilink.engine.keys import owner_of
from unilink.engine.resources import attachments, backup_port_owner, p2p_subnets, rd_text
from unilink.inventory.model import Router
from unilink.network.numbering import BACKBONE_ASN
from unilink.services.intent import Intent, IpVpnService

Alloc = Mapping[tuple[str, str, str], int]  # (pool, scope, owner) → value


@dataclass(frozen=True, slots=True)
class TenantDevices:
    """One tenant's inputs to the device layer."""

    attachments: tuple[AccessAttachment, ...] = ()
    vpns: tuple[VpnInstance, ...] = ()
    elines: tuple[ElineInstance, ...] = ()
    subscribers: tuple[SubscriberLine, ...] = ()  # a cooperative's members' lines (docs/members.md)

    def routers(self) -> set[str]:
        return {a.router for a in self.attachments} | {s.router for s in self.subscribers}


def port_name(index: int) -> str:
    return f"cust{index}"


@lru_cache(maxsize=65536)  # the engine rebuilds the same attachments again and again
def ce_host_routes(p2p_index: int) -> tuple[str, str]:
    """The CE's own address of PE–CE link `p2p_index` as host routes (/32 and /128): the CE takes
    the second address of the /31 and of the /127."""
    v4, v6 = (ipaddress.ip_network(n) for n in p2p_subnets(p2p_index))
    return f"{v4.network_address + 1}/32", f"{v6.network_address + 1}/128"


def tenant_devices(tenant: str, intent: Intent, rates: Mapping[tuple[str, str], tuple[int, int]],
                   alloc: Alloc, router_of_site: Mapping[str, str]) -> TenantDevices:
    atts = []
    wanted = attachments(intent, rates)
    backed_up = {a.primary_owner for a in wanted if a.backup}
    for att in wanted:
        owner = owner_of(tenant, att.owner)
        router = router_of_site[att.site]
        v4, v6 = p2p_subnets(alloc[("p2p", "", owner)])
        port_owner = backup_port_owner(tenant, att.site) if att.backup else owner_of(tenant, att.site)
        port = port_name(alloc[("port", router, port_owner)])
        # A site with a backup is reached at its primary CE address through either line: a route
        # through the primary, and a floating one (BACKUP_DISTANCE) through the backup's CE.
        site_routes = (ce_host_routes(alloc[("p2p", "", owner_of(tenant, att.primary_owner))])
                       if att.primary_owner in backed_up else ())
        atts.append(AccessAttachment(
            site=att.site, tenant=tenant, router=router, port=port, vlan=alloc[("vlan", router, owner)],
            ipv4=v4, ipv6=v6, rate_down_bps=att.down_bps, rate_up_bps=att.up_bps, internet=att.internet,
            vpns=(att.vpn,) if att.vpn else (), eline=att.eline, routed_prefixes=site_routes, backup=att.backup))
    vpns = []
    for svc in intent.services:
        if isinstance(svc, IpVpnService):
            owner = owner_of(tenant, f"vpn:{svc.name}")
            rt = alloc[("rt", "", owner)]
            hub = svc.topology.value == "hub-and-spoke"
            vpns.append(VpnInstance(
                name=svc.name, tenant=tenant, rd=rd_text(alloc[("rd", "", owner)]),
                import_rts=(f"{BACKBONE_ASN + 1}:{rt}",) if hub else (f"{BACKBONE_ASN}:{rt}",),
                export_rts=(f"{BACKBONE_ASN}:{rt}",),
                vni=alloc[("vni", "", owner)], topology=DeviceVpnTopology(svc.topology.value),
                hub_sites=tuple(m.site for m in svc.members if m.role == "hub")))
    elines = [ElineInstance(name=s.name, tenant=tenant, a_site=s.a, b_site=s.b,
                            vc_id=alloc[("vni", "", owner_of(tenant, f"eline:{s.name}"))])
              for s in intent.services if s.kind == "eline"]
    subscribers = tuple(SubscriberLine(
        tenant=tenant, line=s.line, router=s.router, port=s.port, rate_down_bps=s.down, rate_up_bps=s.up,
        ipv4=s.ipv4, ipv4_ports=s.ipv4_ports, ipv6=s.ipv6, suspended=s.suspended) for s in intent.subscribers or ())
    return TenantDevices(tuple(atts), tuple(vpns), tuple(elines), subscribers)


_Index = tuple[dict[str, list[AccessAttachment]], dict[str, list[AccessAttachment]]]


@dataclass(slots=True)
class DeviceModel:
    """Every tenant's device inputs, and the last rendered config per router."""

    routers: dict[str, Router]
    tenants: dict[str, TenantDevices] = field(default_factory=dict)
    by_router: dict[str, set[str]] = field(default_factory=dict)  # router → tenants attached there
    configs: dict[str, str] = field(default_factory=dict)         # router → rendered config text
    indexes: dict[str, _Index] = field(default_factory=dict)      # tenant → its attachments by router/segment

    def set_tenant(self, tenant: str, devices: TenantDevices) -> None:
        old = self.tenants.get(tenant)
        if old is not None:
            for router in old.routers():
                self.by_router.get(router, set()).discard(tenant)
        if devices.attachments or devices.vpns or devices.elines or devices.subscribers:
            self.tenants[tenant] = devices
            self.indexes[tenant] = _index(devices)
            for router in devices.routers():
                self.by_router.setdefault(router, set()).add(tenant)
        else:
            self.tenants.pop(tenant, None)
            self.indexes.pop(tenant, None)

    def render_routers(self, touched: Iterable[str], overrides: Mapping[str, TenantDevices] | None = None
                       ) -> dict[str, RenderedConfig]:
        """Configs of `touched` routers, with `overrides` replacing some tenants' inputs.

        The device layer gets the attachments on those routers, plus the far ends of their segments
        (VPNs, E-Lines) elsewhere: a router's BGP neighbours depend on where its segments' other ends
        are. Nothing else — so the cost follows the size of the change, not of the network.
        """
        overrides = overrides or {}
        touched = sorted(set(touched))
        touched_set = set(touched)

        def inputs(tenant: str) -> TenantDevices:
            return overrides[tenant] if tenant in overrides else self.tenants.get(tenant, TenantDevices())

        tenants: set[str] = set()
        for router in touched:
            tenants |= self.by_router.get(router, set())
        tenants |= set(overrides)
        atts: list[AccessAttachment] = []
        vpns: list[VpnInstance] = []
        elines: list[ElineInstance] = []
        subscribers: list[SubscriberLine] = []
        for tenant in sorted(tenants):
            devices = inputs(tenant)
            subscribers.extend(s for s in devices.subscribers if s.router in touched_set)
            by_router, by_segment = _index(devices) if tenant in overrides else self.indexes[tenant]
            local = [a for router in touched for a in by_router.get(router, ())]
            if not local:
                continue
            vpn_names = {v for a in local for v in a.vpns}
            eline_names = {a.eline for a in local if a.eline}
            atts.extend(local)
            for key in sorted({f"vpn:{v}" for v in vpn_names} | {f"eline:{e}" for e in eline_names}):
                atts.extend(a for a in by_segment.get(key, ()) if a.router not in touched_set)
            vpns.extend(v for v in devices.vpns if v.name in vpn_names)
            elines.extend(e for e in devices.elines if e.name in eline_names)
        routers = [self.routers[name] for name in sorted({a.router for a in atts} | touched_set)]
        intents = build_device_intents(routers, atts, vpns, elines, only=touched, subscribers=subscribers)
        return {name: render_for_router(self.routers[name], intents[name]) for name in touched}


def _index(devices: TenantDevices) -> _Index:
    """A tenant's attachments by router and by segment ("vpn:<name>", "eline:<name>")."""
    by_router: dict[str, list[AccessAttachment]] = {}
    by_segment: dict[str, list[AccessAttachment]] = {}
    for a in devices.attachments:
        by_router.setdefault(a.router, []).append(a)
        for key in [f"vpn:{v}" for v in a.vpns] + ([f"eline:{a.eline}"] if a.eline else []):
            by_segment.setdefault(key, []).append(a)
    return by_router, by_segment


def touched_routers(old: TenantDevices, new: TenantDevices) -> set[str]:
    """Routers whose config a tenant's change alters: its attachments there changed, or a segment
    (VPN, E-Line) they carry gained or lost a router or changed identifiers (BGP neighbours, RTs)."""
    def per_router(devices: TenantDevices) -> dict[str, list[AccessAttachment]]:
        out: dict[str, list[AccessAttachment]] = {}
        for a in devices.attachments:
            out.setdefault(a.router, []).append(a)
        return out

    def segments(devices: TenantDevices) -> dict[str, tuple[frozenset[str], object]]:
        routers: dict[str, set[str]] = {}
        for a in devices.attachments:
            for key in [f"vpn:{v}" for v in a.vpns] + ([f"eline:{a.eline}"] if a.eline else []):
                routers.setdefault(key, set()).add(a.router)
        ids: dict[str, object] = {f"vpn:{v.name}": v for v in devices.vpns}
        ids.update({f"eline:{e.name}": e for e in devices.elines})
        return {key: (frozenset(r), ids.get(key)) for key, r in routers.items()}

    before, after = per_router(old), per_router(new)
    touched = {r for r in before.keys() | after.keys() if before.get(r) != after.get(r)}
    touched |= {s.router for s in set(old.subscribers) ^ set(new.subscribers)}
    old_segments, new_segments = segments(old), segments(new)
    for key in old_segments.keys() | new_segments.keys():
        was, now = old_segments.get(key), new_segments.get(key)
        if was != now:
            touched |= (was[0] if was else frozenset()) | (now[0] if now else frozenset())
    return touched


# What a tenant may read of a router change: its own attachments only (never the router's config,
# which carries every tenant on the box). Fields shown, with the words the views use for them.
_ATTACHMENT_FIELDS = {"port": "port", "vlan": "VLAN", "rate_down_bps": "rate down", "rate_up_bps": "rate up",
                      "internet": "Internet", "vpns": "VPN membership", "eline": "E-Line", "backup": "backup line"}


def _attachment_values(a: AccessAttachment) -> dict[str, object]:
    return {"port": a.port, "vlan": a.vlan, "rate_down_bps": a.rate_down_bps, "rate_up_bps": a.rate_up_bps,
            "internet": a.internet, "vpns": sorted(a.vpns), "eline": a.eline, "backup": a.backup}


def attachment_changes(old: TenantDevices, new: TenantDevices, touched: Iterable[str]
                       ) -> dict[str, list[dict[str, object]]]:
    """Per touched router, what changes on *this tenant's* attachments there, built from its own inputs only:
    [{"site", "backup", "action": add|delete|modify, "changes": {field: {"before", "after"}}}], and for a
    router touched because one of its VPNs or E-Lines gained or lost a router elsewhere, a
    {"service", "action": "modify", "changes": {"routers": …}} line. What tenant views show instead of diffs."""
    def keyed(devices: TenantDevices) -> dict[tuple[str, str, bool], AccessAttachment]:
        return {(a.router, a.site, a.backup): a for a in devices.attachments}

    def segments(devices: TenantDevices) -> dict[str, list[str]]:
        out: dict[str, set[str]] = {}
        for a in devices.attachments:
            for name in [*a.vpns, *([a.eline] if a.eline else [])]:
                out.setdefault(name, set()).add(a.router)
        return {name: sorted(routers) for name, routers in out.items()}

    before, after = keyed(old), keyed(new)
    out: dict[str, list[dict[str, object]]] = {router: [] for router in sorted(set(touched))}
    for key in sorted(before.keys() | after.keys()):
        router, site, backup = key
        if router not in out:
            continue
        was = _attachment_values(before[key]) if key in before else {}
        now = _attachment_values(after[key]) if key in after else {}
        fields = {f: {"before": was.get(f), "after": now.get(f)} for f in _ATTACHMENT_FIELDS
                  if was.get(f) != now.get(f)}
        if fields:
            action = "add" if not was else "delete" if not now else "modify"
            out[router].append({"site": site, "backup": backup, "action": action, "changes": fields})
    old_segments, new_segments = segments(old), segments(new)
    for name in sorted(old_segments.keys() | new_segments.keys()):
        was_routers, now_routers = old_segments.get(name, []), new_segments.get(name, [])
        if was_routers == now_routers:
            continue
        for router in sorted(set(was_routers) | set(now_routers)):
            if router in out and not out[router]:
                out[router].append({"service": name, "action": "modify",
                                    "changes": {"routers": {"before": was_routers, "after": now_routers}}})
    return out


def attachment_field_label(field: str) -> str:
    return _ATTACHMENT_FIELDS.get(field, field)


# -- committing: through the device layer's one commit path (`devices.transaction.commit_changes`) ------

def pushed_changes(routers: Mapping[str, Router], pushes: Mapping[str, tuple[str, RenderedConfig, str]]
                   ) -> list[DeviceChange]:
    """A plan's pushes (router → (config before as text, config after, the plan's diff)) as the device
    layer's changes, by router name. The plan's diff is kept as it was shown, not computed again."""
    changes = []
    for name, (before_text, after, diff) in sorted(pushes.items()):
        vendor = dialect(routers[name])
        before = RenderedConfig(vendor=vendor, text=before_text) if before_text else None
        changes.append(change_from_diff(name, vendor, before, after, diff))
    return changes
