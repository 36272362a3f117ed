"""Access attachments and the resources they draw from pools: VLANs, PE–CE subnets, RDs, RTs, VNIs.

Pure. An *attachment* is one logical circuit on a site's access (one port + one VLAN), following the
device layer's model: one per VPN membership (the site's Internet rides on its first VPN's attachment,
so "both" is one VRF with a default route), one per E-Line end, one for Internet alone.

Allocation is deterministic: the lowest free value, new owners taken in sorted order, so the same
state and the same change always give the same numbers. The store keeps the allocations with UNIQUE
constraints on (pool, scope, value) and (pool, scope, owner): two plans can never commit the same one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from unilink.errors import InfeasibleError
from unilink.services.intent import ELineService, Intent, InternetService, IpVpnService, site_usages

ASN = 65000
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
    purpose: str  # "internet" | "vpn:<name>" | "eline:<name>"
    internet: bool
    vpn: str | None
    eline: str | None
    down_bps: int
    up_bps: int

    @property
    def owner(self) -> str:
        return f"{self.site}/{self.purpose}"


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
    return out


@dataclass(frozen=True, slots=True, order=True)
class Allocation:
    pool: str
    scope: str
    owner: str  # "<tenant>/<site>/<purpose>" or "<tenant>/<vpn or eline>"
    value: int


def wanted_owners(tenant: str, intent: Intent, router_of_site: Mapping[str, str]) -> set[tuple[str, str, str]]:
    """(pool, scope, owner) of every resource the intent needs."""
    wanted: set[tuple[str, str, str]] = set()
    for att in attachments(intent):
        owner = f"{tenant}/{att.owner}"
        wanted.add(("port", router_of_site[att.site], f"{tenant}/{att.site}"))
        wanted.add(("vlan", router_of_site[att.site], owner))
        wanted.add(("p2p", "", owner))
    for svc in intent.services:
        if isinstance(svc, IpVpnService):
            for pool in ("rd", "rt", "vni"):
                wanted.add((pool, "", f"{tenant}/vpn:{svc.name}"))
        elif isinstance(svc, ELineService):
            wanted.add(("vni", "", f"{tenant}/eline:{svc.name}"))
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
    return f"{ASN}:{value}"


def rt_text(value: int) -> str:
    return f"{ASN}:{value}"
