"""Access attachments and the resources they draw from pools: VLANs, PE–CE subnets, RDs, RTs, VNIs.

Pure. An *attachment* is one logical circuit on a site's access (one port + one VLAN), following the
device layer's model: one per VPN membership (the site's Internet rides on its first VPN's attachment,
so "both" is one VRF with a default route), one per E-Line end, one for Internet alone.

A site with a backup line has a second attachment for each IP attachment of its primary (purpose
`backup:<purpose>`, its own VLAN and /31 + /127, on a port of its own: another physical line), shaped
at the smaller of the service's rate and the backup's committed rate. E-Lines are not carried by a
backup: a point-to-point Ethernet circuit is sold with its own path and SLA, which a radio backup
does not give (as operators sell 4G backup: for IP VPN and Internet).

Allocation is deterministic: the lowest free value, new owners taken in sorted order, so the same
state and the same change always give the same numbers. The store keeps the allocations with UNIQUE
constraints on (pool, scope, value) and (pool, scope, owner): two plans can never commit the same one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from unilink.engine.keys import owner_of
from unilink.errors import InfeasibleError
from unilink.network.numbering import BACKBONE_ASN
from unilink.services.intent import ELineService, Intent, InternetService, IpVpnService, site_usages

VLAN_RANGE = (100, 4094)
P2P_V4 = ipaddress.IPv4Network("100.64.0.0/16")  # RFC 6598 shared space: PE–CE links only, never routed out
P2P_V6 = ipaddress.IPv6Network("fd75:6e69:6c6b::/64")  # a ULA /64 ("unilk"): /127s by the same index as the /31s
POOL_RANGES: dict[str, tuple[int, int]] = {
    "vlan": VLAN_RANGE,
    "port": (1, 9999),  # customer-facing port per site, per router
    "p2p": (0, P2P_V4.num_addresses // 2 - 1),
    "rd": (1, 65535),
    "rt": (1, 65535),
    "vni": (10_000, 16_777_215),
}


@dataclass(frozen=True, slots=True)
class Attachment:
    """One logical circuit of a site: what it carries and at which rates (bit/s)."""

    site: str
    purpose: str  # "internet" | "vpn:<name>" | "eline:<name>", or "backup:" + one of those
    internet: bool
    vpn: str | None
    eline: str | None
    down_bps: int
    up_bps: int
    backup: bool = False  # on the site's backup line: used only while the primary is down

    @property
    def owner(self) -> str:
        return f"{self.site}/{self.purpose}"

    @property
    def primary_owner(self) -> str:
        """The owner of the primary attachment this one backs up (itself for a primary)."""
        return f"{self.site}/{self.purpose.removeprefix(BACKUP_PREFIX)}"


BACKUP_PREFIX = "backup:"


def backup_port_owner(tenant: str, site: str) -> str:
    """The port pool's owner for a site's backup line (the primary's is "<tenant>/<site>"); no site
    name holds a colon, so it cannot be another site's."""
    return owner_of(tenant, f"{site}:backup")


def attachments(intent: Intent, rates: Mapping[tuple[str, str], tuple[int, int]] | None = None) -> list[Attachment]:
    """The attachments an intent needs, with shaping rates (from `rates` when given: boosts in force)."""
    usages = dict(site_usages(intent)) if rates is None else dict(rates)
    internet_of = {s.site: s for s in intent.services if isinstance(s, InternetService)}
    vpns_of: dict[str, list[IpVpnService]] = {}
    for svc in intent.services:
        if isinstance(svc, IpVpnService):
            for member in svc.members:
                vpns_of.setdefault(member.site, []).append(svc)
    out: list[Attachment] = []
    for site in sorted(s.name for s in intent.sites):
        inet = internet_of.get(site)
        inet_rate = usages[(inet.name, site)] if inet is not None else (0, 0)
        vpns = sorted(vpns_of.get(site, []), key=lambda v: v.name)
        for k, vpn in enumerate(vpns):
            down, up = usages[(vpn.name, site)]
            with_internet = inet is not None and k == 0
            if with_internet:
                down, up = down + inet_rate[0], up + inet_rate[1]
            out.append(Attachment(site, f"vpn:{vpn.name}", with_internet, vpn.name, None, down, up))
        if inet is not None and not vpns:
            out.append(Attachment(site, "internet", True, None, None, *inet_rate))
    for svc in sorted((s for s in intent.services if isinstance(s, ELineService)), key=lambda s: s.name):
        for site in (svc.a, svc.b):
            down, up = usages[(svc.name, site)]
            out.append(Attachment(site, f"eline:{svc.name}", False, None, svc.name, down, up))
    return out + backup_attachments(intent, out)


def backup_attachments(intent: Intent, primaries: list[Attachment]) -> list[Attachment]:
    """The backup twin of each IP attachment of the sites that have a backup line.

    Each is shaped at min(its service rate, the backup's committed rate); when a site's attachments
    add up to more than the backup carries, the backup's rate is shared in proportion, so that the
    line is never shaped over what it can deliver.
    """
    out: list[Attachment] = []
    for site in sorted((s for s in intent.sites if s.backup is not None), key=lambda s: s.name):
        assert site.backup is not None
        ip = [a for a in primaries if a.site == site.name and a.eline is None]
        total_down, total_up = sum(a.down_bps for a in ip), sum(a.up_bps for a in ip)
        for a in ip:
            out.append(Attachment(a.site, BACKUP_PREFIX + a.purpose, a.internet, a.vpn, None,
                                  _share(a.down_bps, total_down, site.backup.down),
                                  _share(a.up_bps, total_up, site.backup.up), backup=True))
    return out


def _share(rate: int, total: int, ceiling: int) -> int:
    return rate if total <= ceiling else max(1, rate * ceiling // total)


@dataclass(frozen=True, slots=True, order=True)
class Allocation:
    pool: str
    scope: str
    owner: str  # "<tenant>/<site>/<purpose>" or "<tenant>/<vpn or eline>"
    value: int


def wanted_owners(tenant: str, intent: Intent, router_of_site: Mapping[str, str]) -> set[tuple[str, str, str]]:
    """(pool, scope, owner) of every resource the intent needs (`PoolKey.as_tuple()`, the runtime's index key)."""
    wanted: set[tuple[str, str, str]] = set()
    for att in attachments(intent):
        owner = owner_of(tenant, att.owner)
        port_owner = backup_port_owner(tenant, att.site) if att.backup else owner_of(tenant, att.site)
        wanted.add(("port", router_of_site[att.site], port_owner))
        wanted.add(("vlan", router_of_site[att.site], owner))
        wanted.add(("p2p", "", owner))
    for svc in intent.services:
        if isinstance(svc, IpVpnService):
            for pool in ("rd", "rt", "vni"):
                wanted.add((pool, "", owner_of(tenant, f"vpn:{svc.name}")))
        elif isinstance(svc, ELineService):
            wanted.add(("vni", "", owner_of(tenant, f"eline:{svc.name}")))
    return wanted


def allocate(pools: Mapping[tuple[str, str], Mapping[str, int]], mine: Mapping[tuple[str, str, str], int],
             wanted: set[tuple[str, str, str]]) -> tuple[list[Allocation], list[Allocation]]:
    """(new allocations, allocations to release) for a tenant holding `mine` to hold exactly `wanted`.

    `pools` maps (pool, scope) → {owner: value} for every tenant (the values in use now).
    """
    release = sorted(Allocation(pool, scope, owner, value) for (pool, scope, owner), value in mine.items()
                     if (pool, scope, owner) not in wanted)
    new: list[Allocation] = []
    taken_now: dict[tuple[str, str], set[int]] = {}
    cursor: dict[tuple[str, str], int] = {}
    for pool, scope, owner in sorted(wanted):
        owners = pools.get((pool, scope), {})
        if owner in owners:
            continue
        low, high = POOL_RANGES[pool]
        taken = taken_now.setdefault((pool, scope), set(owners.values()))
        value = cursor.get((pool, scope), low)
        while value in taken:
            value += 1
        if value > high:
            raise InfeasibleError(f"pool {pool}{' on ' + scope if scope else ''} is exhausted",
                                  details={"pool": pool, "scope": scope, "size": high - low + 1})
        taken.add(value)
        cursor[(pool, scope)] = value + 1
        new.append(Allocation(pool, scope, owner, value))
    return new, release


@lru_cache(maxsize=65536)
def p2p_subnets(index: int) -> tuple[str, str]:
    """The PE–CE /31 and /127 of p2p pool entry `index` (IPv6 wherever IPv4 is)."""
    v4 = ipaddress.IPv4Network((int(P2P_V4.network_address) + 2 * index, 31))
    v6 = ipaddress.IPv6Network((int(P2P_V6.network_address) + 2 * index, 127))
    return str(v4), str(v6)


def rd_text(value: int) -> str:
    return f"{BACKBONE_ASN}:{value}"


def rt_text(value: int) -> str:
    return f"{BACKBONE_ASN}:{value}"
