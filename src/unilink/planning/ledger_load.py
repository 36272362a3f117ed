"""Adapter: the bandwidth the capacity ledger has booked on each arc, read from the store.

Enterprise services (Internet access, IP-VPNs, E-Lines) are admitted by the engine onto paths of
their own and booked as reservations (table `reservations`: link name, direction, bit/s, window,
hold expiry). For planning they are a *background* load: fixed on their arcs, whatever the routing
of the residential scenario. A reservation counts when its window covers the instant asked for and,
if it is a hold, the hold has not expired — the same rule admission control applies.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import or_, select

from unilink.inventory.model import Network


def reserved_arc_bps(store, network: Network, at: datetime | None = None) -> np.ndarray:
    """Booked bit/s per arc (arc 2·i = link i a→b, 2·i+1 = b→a) at instant `at` (default: now, UTC)."""
    from unilink.store.tables.services import ReservationRow

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
            booked[2 * i + (0 if direction == "ab" else 1)] += int(bps)
    return booked
