"""The engine's removal guard: a network save may not drop what live services use.

Registered in `unilink.store.network_repo.REMOVAL_GUARDS`. Services refer to the inventory by name
(a site's PoP and PE router in the deployed intent, a reservation's link), so no foreign key
protects them: without this guard a `unilink network import` that drops a router, a PoP or a link
would silently orphan the services on it. Each use is described so that the refusal names both the
service and the element ("site acme/Plant on router lyon-pe1").
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from unilink.services.intent import Intent
from unilink.store.network_repo import Removal
from unilink.store.tables.inventory import PopRow, RouterRow
from unilink.store.tables.services import DeploymentRow, ReservationRow
from unilink.store.tables.tenancy import Tenant


def services_in_use(session: Session, removal: Removal) -> list[str]:
    """Every deployed site and every live reservation the removal would orphan."""
    return _sites_on(session, removal) + _reservations_on(session, removal)


def _first_edge_routers(session: Session) -> dict[str, str]:
    """PoP → the router a site without an explicit router lands on (the first edge router by name)."""
    rows = session.execute(select(PopRow.name, RouterRow.name).join(RouterRow.pop)
                           .where(RouterRow.role == "edge").order_by(RouterRow.name))
    first: dict[str, str] = {}
    for pop, router in rows:
        first.setdefault(pop, router)
    return first


def _sites_on(session: Session, removal: Removal) -> list[str]:
    if not (removal.pops or removal.routers):
        return []
    edge = _first_edge_routers(session)
    uses = []
    rows = session.execute(select(Tenant.name, DeploymentRow.document)
                           .join(DeploymentRow, DeploymentRow.tenant_id == Tenant.id).order_by(Tenant.name))
    for tenant, document in rows:
        for site in Intent.model_validate(document).sites:
            router = site.router or edge.get(site.pop)
            if site.pop in removal.pops:
                uses.append(f"site {tenant}/{site.name} at PoP {site.pop}")
            elif router in removal.routers:
                uses.append(f"site {tenant}/{site.name} on router {router}")
    return uses


def _reservations_on(session: Session, removal: Removal) -> list[str]:
    if not removal.links:
        return []
    now = datetime.now(UTC)
    rows = session.execute(select(Tenant.name, ReservationRow.service, ReservationRow.link)
                           .join(ReservationRow, ReservationRow.tenant_id == Tenant.id)
                           .where(ReservationRow.link.in_(sorted(removal.links)),
                                  or_(ReservationRow.end_at.is_(None), ReservationRow.end_at > now))
                           .distinct().order_by(Tenant.name, ReservationRow.service, ReservationRow.link))
    return [f"service {tenant}/{service} reserves link {link}" for tenant, service, link in rows]
