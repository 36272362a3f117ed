"""What a plan takes away from a live network, and what looks like a typo rather than a removal (pure).

A site, a service or a VPN member that is deployed and absent from the desired intent is removed by
the plan: its traffic stops. Such a plan is shown with what each removal carries (the site's
access and services, the service's rate and sites, the member's rate) and is applied only with an
explicit confirmation (`confirm_removals`). A removed name next to an added name that is close to
it (a renamed site is a removed site plus a new one, with a new line to order) is most often a typo:
the plan says which name it probably meant. The intent has no rename: a name is an identity.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from unilink.errors import ValidationError
from unilink.services.intent import ELineService, Intent, InternetService, IpVpnService, service_sites
from unilink.units import format_bandwidth

CLOSE_NAME_RATIO = 0.8  # difflib's ratio from which two names read as one mistyped: "lyon-warehouse"/"lyon-warehous"
CONFIRM_FIELD = "confirm_removals"


@dataclass(frozen=True, slots=True)
class Removal:
    kind: str      # site | internet | ipvpn | eline | vpn-member
    name: str      # the site or service; for a vpn-member, "<vpn> member <site>"
    carries: str   # what stops with it, in the customer's words

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "carries": self.carries}


def _service_text(svc: InternetService | IpVpnService | ELineService) -> str:
    if isinstance(svc, InternetService):
        return f"internet {svc.name} {format_bandwidth(svc.rate)} at {svc.site}"
    if isinstance(svc, IpVpnService):
        members = ", ".join(f"{m.site} {format_bandwidth(m.rate)}" for m in svc.members)
        return f"ipvpn {svc.name} ({members})"
    return f"eline {svc.name} {format_bandwidth(svc.rate)} {svc.a} ↔ {svc.b}"


def _carried_at(svc: InternetService | IpVpnService | ELineService, site: str) -> str:
    """What `svc` carries at `site` (a VPN: only that site's membership, not the whole VPN)."""
    if isinstance(svc, IpVpnService):
        member = next(m for m in svc.members if m.site == site)
        return f"ipvpn {svc.name} member at {format_bandwidth(member.rate)}"
    return _service_text(svc)


def live_removals(deployed: Intent | None, desired: Intent) -> list[Removal]:
    """Every deployed site, service and VPN member that `desired` no longer has."""
    if deployed is None:
        return []
    out: list[Removal] = []
    kept_sites = {s.name for s in desired.sites}
    for site in deployed.sites:
        if site.name in kept_sites:
            continue
        carried = [_carried_at(svc, site.name) for svc in deployed.services if site.name in service_sites(svc)]
        access = f"{site.access.technology.value} {format_bandwidth(site.access.port)} line at {site.pop}"
        out.append(Removal("site", site.name, "; ".join([access, *carried])))
    kept_services = {s.name: s for s in desired.services}
    for svc in deployed.services:
        new = kept_services.get(svc.name)
        if new is None or new.kind != svc.kind:
            out.append(Removal(svc.kind, svc.name, _service_text(svc)))
        elif isinstance(svc, IpVpnService) and isinstance(new, IpVpnService):
            staying = {m.site for m in new.members}
            out += [Removal("vpn-member", f"{svc.name} member {m.site}",
                            f"site {m.site} in ipvpn {svc.name} at {format_bandwidth(m.rate)}")
                    for m in svc.members if m.site not in staying and m.site in kept_sites]
    return out


def rename_hints(deployed: Intent | None, desired: Intent) -> list[str]:
    """For each removed site or service, the added one whose name is closest (if close enough)."""
    if deployed is None:
        return []
    hints = []
    for what, old_names, new_names in (
            ("site", [s.name for s in deployed.sites], [s.name for s in desired.sites]),
            ("service", [s.name for s in deployed.services], [s.name for s in desired.services])):
        removed = [n for n in old_names if n not in set(new_names)]
        added = [n for n in new_names if n not in set(old_names)]
        for name in removed:
            close = difflib.get_close_matches(name, added, n=1, cutoff=CLOSE_NAME_RATIO)
            if close:
                hints.append(f"did you mean to rename {what} {name} to {close[0]}? A name is what identifies a "
                             f"{what}: a new name removes {name} and adds {close[0]} (a new {what}"
                             f"{', with a new line to order' if what == 'site' else ''}); to keep {name}, "
                             f"write its name as it was")
    return hints


def check_confirmed(plan_id: str, removals: list[dict[str, Any]], hints: list[str], confirmed: bool) -> None:
    """Refuse to apply a plan that removes live things without `confirm_removals` (nothing changes)."""
    if not removals or confirmed:
        return
    what = "; ".join(f"{r['kind']} {r['name']} ({r['carries']})" for r in removals)
    hint = f" — {' — '.join(hints)}" if hints else ""
    raise ValidationError(f"plan {plan_id} removes what is live: {what}{hint}; to go ahead, apply it with the "
                          f"confirmation (CLI --confirm-removals, API \"confirm_removals\": true, portal: tick "
                          f"\"Yes, remove\")", field=CONFIRM_FIELD, value=False, accepted="true")
