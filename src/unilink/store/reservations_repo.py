"""The engine's reservations as the tools outside the engine read them: `unilink path` / `whatif`
(every row, to rebuild a ledger) and `unilink capacity` (the bit/s booked on each arc at an instant).

Enterprise services (Internet access, IP-VPNs, E-Lines) are admitted by the engine onto paths of
their own and booked as reservations (table `reservations`: link name, direction, bit/s, window,
hold expiry). For planning they are a *background* load: fixed on their arcs, whatever the routing
of the residential scenario. A reservation counts when its window covers the instant asked for and,
if it is a hold, the hold has not expired — the same rule admission control applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from unilink.inventory.model import Network
from unilink.network.graph import arc_of
from unilink.store.db import Store
from unilink.store.tables.services import ReservationRow
from unilink.store.tables.tenancy import Tenant


@dataclass(frozen=True, slots=True)
class ReservationLine:
    """One row of the engine's reservations table: bit/s on one link direction over a window."""

    id: int
    service: str  # "<tenant>/<service>"
    link: str
    direction: str  # "ab" (link.a → link.b) or "ba"
    bps: int
    start: datetime
    end: datetime | None
    hold_until: datetime | None
    priority: int


def reservation_lines(session: Session) -> list[ReservationLine]:
    """Every reservation, by id."""
    rows = session.execute(select(ReservationRow, Tenant.name).join(Tenant, Tenant.id == ReservationRow.tenant_id)
                           .order_by(ReservationRow.id))
    return [ReservationLine(id=row.id, service=f"{tenant}/{row.service}", link=row.link, direction=row.direction,
                            bps=int(row.bps), start=row.start_at, end=row.end_at, hold_until=row.hold_expires_at,
                            priority=row.priority) for row, tenant in rows]


def reserved_arc_bps(store: Store, network: Network, at: datetime | None = None) -> np.ndarray:
    """Booked bit/s per arc (arc 2·i = link i a→b, 2·i+1 = b→a) at instant `at` (default: now, UTC)."""
    at = at or store.clock.now()
    link_index = {lk.name: i for i, lk in enumerate(network.links)}
    booked = np.zeros(2 * len(network.links))
    query = (select(ReservationRow.link, ReservationRow.direction, ReservationRow.bps)
             .where(ReservationRow.start_at <= at)
             .where(or_(ReservationRow.end_at.is_(None), ReservationRow.end_at > at))
             .where(or_(ReservationRow.hold_expires_at.is_(None), ReservationRow.hold_expires_at > at)))
    with store.session() as session:
        for link, direction, bps in session.execute(query):
            i = link_index.get(link)
            if i is None:  # a link since removed from the inventory: its reservation is void
                continue
            booked[arc_of(i, direction)] += int(bps)
    return booked
