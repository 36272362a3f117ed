"""Which parts of a change need people in the field, and what can be done now (pure).

A site needs field work when its physical access differs from what is installed: a new access, a
technology change (a new line), a port change, another provider. Those become orders (TMF641), with
the technology's lead time; the rest of the change — every logical part on sites whose line is in
place — applies now. The *effective* intent is the desired one with each site awaiting work kept as
it is deployed (or left out when it is new), and its services kept as deployed too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unilink.catalog.access import TECHNOLOGIES
from unilink.services.intent import ELineService, Intent, InternetService, IpVpnService, SiteSpec

ORDER_KINDS = ("new-access", "technology-change", "port-change", "provider-change")


@dataclass(frozen=True, slots=True)
class FieldWork:
    site: str
    kind: str  # one of ORDER_KINDS
    description: str
    lead_time_days: int
    item: dict[str, Any]  # the site as ordered

    def to_dict(self) -> dict[str, Any]:
        return {"site": self.site, "kind": self.kind, "description": self.description,
                "lead_time_days": self.lead_time_days, "item": self.item}


def physical_of(site: SiteSpec) -> dict[str, Any]:
    a = site.access
    return {"technology": a.technology.value, "provider": a.provider, "port": a.port, "pop": site.pop}


def field_work(desired: Intent, physical: dict[str, dict[str, Any]]) -> list[FieldWork]:
    out = []
    for site in desired.sites:
        want = physical_of(site)
        have = physical.get(site.name)
        tech = TECHNOLOGIES[site.access.technology]
        if have is None:
            kind, text = "new-access", f"new {tech.description} line for site {site.name} at {site.pop}"
        elif have["technology"] != want["technology"] or have.get("pop") != want["pop"]:
            kind, text = "technology-change", (f"replace the {have['technology']} line of site {site.name} "
                                               f"by {want['technology']}")
        elif have["port"] != want["port"]:
            kind, text = "port-change", f"change the port of site {site.name} to {want['port']} bit/s"
        elif have["provider"] != want["provider"]:
            kind, text = "provider-change", f"move site {site.name} to provider {want['provider']}"
        else:
            continue
        out.append(FieldWork(site.name, kind, text, tech.lead_time_days, site.model_dump(mode="json")))
    return out


def effective_intent(desired: Intent, deployed: Intent | None, waiting: set[str]) -> Intent:
    """`desired`, except that sites in `waiting` (and what runs on them) stay as deployed."""
    if not waiting:
        return desired
    old_sites = {s.name: s for s in deployed.sites} if deployed else {}
    old_services = {s.name: s for s in deployed.services} if deployed else {}
    sites = [old_sites[s.name] if s.name in waiting else s for s in desired.sites
             if s.name not in waiting or s.name in old_sites]
    present = {s.name for s in sites}
    services: list[InternetService | IpVpnService | ELineService] = []
    for svc in desired.services:
        old = old_services.get(svc.name)
        if isinstance(svc, IpVpnService):
            old_members = {m.site: m for m in old.members} if isinstance(old, IpVpnService) else {}
            members = [old_members[m.site] if m.site in waiting else m for m in svc.members
                       if m.site not in waiting or m.site in old_members]
            members = [m for m in members if m.site in present]
            if len(members) >= 2:
                services.append(svc.model_copy(update={"members": members}))
            elif old is not None and isinstance(old, IpVpnService):
                services.append(old)
            continue
        ends = [svc.site] if isinstance(svc, InternetService) else [svc.a, svc.b]
        if any(e in waiting for e in ends):
            if old is not None and type(old) is type(svc) and all(e in present for e in _ends(old)):
                services.append(old)
            continue
        services.append(svc)
    # A boost or schedule on a service touching a site that awaits work waits with it.
    kept = {s.name for s in services if not set(_ends(s)) & waiting}
    boosts = [b for b in desired.boosts if b.service in kept]
    schedules = [s for s in desired.schedules if s.service in kept]
    return desired.model_copy(update={"sites": sites, "services": services, "boosts": boosts,
                                      "schedules": schedules})


def _ends(svc: InternetService | IpVpnService | ELineService) -> list[str]:
    if isinstance(svc, InternetService):
        return [svc.site]
    if isinstance(svc, IpVpnService):
        return [m.site for m in svc.members]
    return [svc.a, svc.b]
