"""What live services use of the inventory, by name: read by the engine's removal guard (engine.guards)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from unilink.store.tables.inventory import PopRow, RouterRow
from unilink.store.tables.services import ReservationRow
from unilink.store.tables.tenancy import Tenant


def first_edge_routers(session: Session) -> dict[str, str]:
    """PoP → the router a site without an explicit router lands on (the first edge router by name)."""
    rows = session.execute(select(PopRow.name, RouterRow.name).join(RouterRow.pop)
                           .where(RouterRow.role == "edge").order_by(RouterRow.name))
    first: dict[str, str] = {}
    for pop, router in rows:
        first.setdefault(pop, router)
    return first


def live_reservations_on(session: Session, links: Iterable[str], now: datetime) -> list[tuple[str, str, str]]:
    """(tenant, booking key, link) of every reservation on `links` not ended at `now`."""
    rows = session.execute(select(Tenant.name, ReservationRow.service, ReservationRow.link)
                           .join(ReservationRow, ReservationRow.tenant_id == Tenant.id)
                           .where(ReservationRow.link.in_(sorted(links)),
                                  or_(ReservationRow.end_at.is_(None), ReservationRow.end_at > now))
                           .distinct().order_by(Tenant.name, ReservationRow.service, ReservationRow.link))
    return [(tenant, service, link) for tenant, service, link in rows]
