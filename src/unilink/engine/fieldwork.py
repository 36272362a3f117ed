"""Which parts of a change need people in the field, and what can be done now (pure).

A site needs field work when its physical access differs from what is installed: a new access, a
technology change (a new line), a port change, another provider. Those become orders (TMF641), with
the technology's lead time; the rest of the change — every logical part on sites whose line is in
place — applies now. The *effective* intent is the desired one with each site awaiting work kept as
it is deployed (or left out when it is new), and its services kept as deployed too.

A site's backup line is field work of its own (installing the 4G/5G router, or the second wired
line): its order is keyed `<site>:backup` (no site name holds a colon), so that it neither waits
for nor holds up the primary's order, and while it is pending only the backup stays as deployed —
the site's services change now. Removing a backup needs nobody: it is a logical change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unilink.catalog.access import TECHNOLOGIES
from unilink.services.intent import AccessSpec, ELineService, Intent, InternetService, IpVpnService, SiteSpec
from unilink.units import describe_bandwidth

ORDER_KINDS = ("new-access", "technology-change", "port-change", "provider-change", "new-backup", "backup-change")
BACKUP_SUFFIX = ":backup"


def backup_key(site: str) -> str:
    """The key of a site's backup line in orders and in the set of sites awaiting work."""
    return f"{site}{BACKUP_SUFFIX}"


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


def _line(access: AccessSpec, pop: str) -> dict[str, Any]:
    return {"technology": access.technology.value, "provider": access.provider, "port": access.port, "pop": pop}


def physical_of(site: SiteSpec) -> dict[str, Any]:
    """What is installed for `site`: its line, and its backup line under "backup" when it has one."""
    line = _line(site.access, site.pop)
    if site.backup is not None:
        line["backup"] = _line(site.backup, site.pop)
    return line


def field_work(desired: Intent, physical: dict[str, dict[str, Any]]) -> list[FieldWork]:
    out = []
    for site in desired.sites:
        have = physical.get(site.name) or {}
        primary = _primary_work(site, have)
        if primary is not None:
            out.append(primary)
        backup = _backup_work(site, have.get("backup"))
        if backup is not None:
            out.append(backup)
    return out


def _primary_work(site: SiteSpec, have: dict[str, Any]) -> FieldWork | None:
    want = _line(site.access, site.pop)
    tech = TECHNOLOGIES[site.access.technology]
    if "technology" not in have:  # nothing, or only a backup line installed so far
        kind, text = "new-access", f"new {tech.description} line for site {site.name} at {site.pop}"
    elif have["technology"] != want["technology"] or have.get("pop") != want["pop"]:
        kind, text = "technology-change", (f"replace the {have['technology']} line of site {site.name} "
                                           f"by {want['technology']}")
    elif have["port"] != want["port"]:
        kind, text = "port-change", f"change the port of site {site.name} to {describe_bandwidth(want['port'])}"
    elif have["provider"] != want["provider"]:
        kind, text = "provider-change", f"move site {site.name} to provider {want['provider']}"
    else:
        return None
    item = site.model_dump(mode="json")
    item.pop("backup", None)  # the backup line is ordered on its own
    return FieldWork(site.name, kind, text, tech.lead_time_days, item)


def _backup_work(site: SiteSpec, have: dict[str, Any] | None) -> FieldWork | None:
    """The order for the backup line of `site`, when the one wanted is not the one installed."""
    if site.backup is None:
        return None  # none wanted; an installed one is simply no longer used (nobody goes on site)
    want = _line(site.backup, site.pop)
    tech = TECHNOLOGIES[site.backup.technology]
    if have is None:
        kind, text = "new-backup", f"new backup line for site {site.name} at {site.pop}: {tech.description}"
    elif have != want:
        kind, text = "backup-change", (f"replace the {have['technology']} backup line of site {site.name} "
                                       f"by {want['technology']} (port {describe_bandwidth(want['port'])}, "
                                       f"{want['provider']})")
    else:
        return None
    # The item has the shape of an access order ("access" is the line ordered), so that its
    # install price and its completion read it like any other; "role" tells them apart.
    item = {"name": site.name, "pop": site.pop, "role": "backup", "access": site.backup.model_dump(mode="json")}
    if site.router is not None:
        item["router"] = site.router
    return FieldWork(backup_key(site.name), kind, text, tech.lead_time_days, item)


def effective_intent(desired: Intent, deployed: Intent | None, waiting: set[str]) -> Intent:
    """`desired`, except that sites in `waiting` (and what runs on them) stay as deployed, and so
    does the backup of each site whose `backup_key` is in `waiting`."""
    if not waiting:
        return desired
    old_sites = {s.name: s for s in deployed.sites} if deployed else {}
    old_services = {s.name: s for s in deployed.services} if deployed else {}
    sites = [_effective_site(s, old_sites.get(s.name), waiting) for s in desired.sites
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


def _effective_site(site: SiteSpec, old: SiteSpec | None, waiting: set[str]) -> SiteSpec:
    if site.name in waiting:
        assert old is not None, "a waiting site that is not deployed is left out"
        return old
    if backup_key(site.name) in waiting:
        # The new backup line is not there yet: the installed one, if any, keeps serving meanwhile.
        return site.model_copy(update={"backup": old.backup if old is not None else None})
    return site


def _ends(svc: InternetService | IpVpnService | ELineService) -> list[str]:
    if isinstance(svc, InternetService):
        return [svc.site]
    if isinstance(svc, IpVpnService):
        return [m.site for m in svc.members]
    return [svc.a, svc.b]


def orphaned_orders(open_orders: dict[str, str], desired: Intent, physical: dict[str, dict[str, Any]]
                    ) -> list[dict[str, str]]:
    """The open orders (site key → id) whose line the desired intent no longer needs: the site (or its
    backup) is gone, or its access is back to what is installed. A plan cancels them on apply; left
    open, completing one would install a line nothing uses."""
    if not open_orders:
        return []
    needed = {w.site for w in field_work(desired, physical)}
    sites = {s.name for s in desired.sites}
    out = []
    for key, order_id in sorted(open_orders.items()):
        if key in needed:
            continue
        site = key.removesuffix(BACKUP_SUFFIX)
        why = (f"site {site} is removed" if site not in sites else
               f"the backup of site {site} is removed or back to the installed line" if key != site else
               f"the access of site {site} is back to the installed line")
        out.append({"id": order_id, "site": key, "reason": why})
    return out
