"""What is booked on each link and direction, read from the database: peaks over time, and who holds them.

The in-memory ledger is rebuilt from the `reservations` table; this module reads the table itself,
so that an inventory change can be checked against what is booked before it is saved (lowering a
link's capacity below its bookings is refused, naming them), and so that the test suite can check
after every write that the database never sells more than a link carries (`oversold`).

Bookings have windows (boosts, calendars): the peak is the highest load at any instant, with windows
half-open [start, end). Every row counts, whatever its window: this module reads no clock, so a
boost that has ended but is not yet released still counts until the tenant's next plan releases it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from unilink.store.tables.inventory import LinkRow
from unilink.store.tables.services import ReservationRow
from unilink.store.tables.tenancy import Tenant
from unilink.units import format_bandwidth

# (link, direction, bit/s, start or None, end or None, holder "tenant/service")
Booked = tuple[str, str, int, datetime | None, datetime | None, str]


@dataclass(frozen=True, slots=True)
class ArcLoad:
    link: str
    direction: str  # "ab": from the link's a end to its b end
    peak_bps: int  # the highest load at any instant
    holders: dict[str, int]  # "tenant/service" → its largest booking on this arc (bit/s)

    def holders_text(self, limit: int = 8) -> str:
        ranked = sorted(self.holders.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{who} ({format_bandwidth(bps)})" for who, bps in ranked[:limit])
        return shown + (f" and {len(ranked) - limit} more" if len(ranked) > limit else "")


def _seconds(value: datetime | None, default: float) -> float:
    if value is None:
        return default
    return value.timestamp()


def reservations(session: Session, links: Iterable[str] | None = None) -> list[Booked]:
    """Every reservation row (of `links` only, when given) as a `Booked` tuple."""
    query = (select(ReservationRow.link, ReservationRow.direction, ReservationRow.bps, ReservationRow.start_at,
                    ReservationRow.end_at, Tenant.name, ReservationRow.service)
             .join(Tenant, Tenant.id == ReservationRow.tenant_id))
    if links is not None:
        query = query.where(ReservationRow.link.in_(sorted(set(links))))
    return [(link, d, int(bps), start, end, f"{tenant}/{service}")
            for link, d, bps, start, end, tenant, service in session.execute(query)]


def peak_loads(booked: Iterable[Booked]) -> dict[tuple[str, str], ArcLoad]:
    """(link, direction) → its peak load over time and who books it."""
    events: dict[tuple[str, str], list[tuple[float, int]]] = {}
    holders: dict[tuple[str, str], dict[str, int]] = {}
    for link, direction, bps, start, end, who in booked:
        key = (link, direction)
        arc_events = events.setdefault(key, [])
        arc_events.append((_seconds(start, -math.inf), bps))
        arc_events.append((_seconds(end, math.inf), -bps))
        mine = holders.setdefault(key, {})
        mine[who] = max(mine.get(who, 0), bps)
    out = {}
    for key, arc_events in events.items():
        arc_events.sort()  # at one instant the ends (negative) come first: windows are [start, end)
        load = peak = 0
        for _, delta in arc_events:
            load += delta
            peak = max(peak, load)
        out[key] = ArcLoad(key[0], key[1], peak, holders[key])
    return out


def booked_on(session: Session, links: Iterable[str]) -> dict[tuple[str, str], ArcLoad]:
    """The peak loads of `links` from their reservations. Plan holds do not count: an inventory change
    makes every plan stale, and releases their holds."""
    return peak_loads(reservations(session, links))


def oversold(session: Session) -> list[str]:
    """Every link direction whose bookings and plan holds exceed its capacity at some instant (empty: all
    is well)."""
    capacity = dict(session.execute(select(LinkRow.name, LinkRow.capacity_bps)).all())
    from unilink.store.holds_repo import held_bookings  # local: holds_repo imports the store's db module

    rows = reservations(session) + held_bookings(session)  # what plans hold counts against capacity too
    problems = []
    for (link, direction), load in sorted(peak_loads(rows).items()):
        cap = capacity.get(link)
        if cap is None:
            problems.append(f"{link} ({direction}): {format_bandwidth(load.peak_bps)} booked on a link that does "
                            f"not exist, by {load.holders_text()}")
        elif load.peak_bps > cap:
            problems.append(f"{link} ({direction}): {format_bandwidth(load.peak_bps)} booked on "
                            f"{format_bandwidth(cap)}, by {load.holders_text()}")
    return problems


def describe_shortfall(link: str, capacity_bps: int, loads: Iterable[ArcLoad]) -> dict[str, Any] | None:
    """The refusal of a new capacity below what is booked on `link` (None when it fits)."""
    over = [load for load in loads if load.link == link and load.peak_bps > capacity_bps]
    if not over:
        return None
    worst = max(over, key=lambda load: load.peak_bps)
    holders: dict[str, int] = {}
    for load in over:
        for who, bps in load.holders.items():
            holders[who] = max(holders.get(who, 0), bps)
    return {"link": link, "capacity_bps": capacity_bps, "booked_bps": worst.peak_bps,
            "free_bps": capacity_bps - worst.peak_bps, "direction": worst.direction,
            "services": sorted(holders), "text": worst.holders_text() if len(over) == 1 else
            ArcLoad(link, "both", worst.peak_bps, holders).holders_text()}


def assert_not_oversold(store: Any) -> None:
    """AssertionError naming every oversold link direction of `store` (the test suite's invariant,
    registered in `store.db.AFTER_WRITE` after each write)."""
    from sqlalchemy.exc import DBAPIError

    try:
        with store.session() as session:
            problems = oversold(session)
    except DBAPIError:  # a database without its tables yet (before its migrations ran)
        return
    if problems:
        raise AssertionError("capacity invariant broken: more booked than a link carries: " + "; ".join(problems))
