"""Saving and loading a `Network` (the pure model) in the inventory tables.

`sync` makes the tables equal to a network by name: new elements are inserted, changed ones updated
in place (keeping their ids), missing ones deleted. It writes nothing when nothing changed, and bumps
the topology version when something did. The caller owns the transaction: all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from unilink.errors import ConflictError
from unilink.inventory.model import (
    Interconnect,
    InterconnectKind,
    Link,
    Network,
    Pop,
    Router,
    RouterRole,
    Vendor,
)
from unilink.store import callbacks, capacity_audit
from unilink.store.tables.inventory import (
    InterconnectAreaRow,
    InterconnectRow,
    LinkRow,
    LinkSrlgRow,
    PopRow,
    RouterRow,
    TopologyRow,
)
from unilink.units import format_bandwidth


@dataclass(slots=True)
class NetworkChange:
    """What a save did, per kind of element ("pops", "routers", "links", "interconnects")."""

    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    version: int = 0

    @property
    def changed(self) -> bool:
        return any(self.added.values()) or any(self.updated.values()) or any(self.removed.values())


# -- loading ------------------------------------------------------------------------------------

def load(session: Session) -> Network:
    """Read the whole network with five plain SELECTs (no ORM objects: loading is on the engine's hot path)."""
    name = session.execute(select(TopologyRow.name).where(TopologyRow.id == 1)).scalar_one()
    pop_name: dict[int, str] = {}
    pops = []
    for pid, pname, city, country, lat, lon in session.execute(
            select(PopRow.id, PopRow.name, PopRow.city, PopRow.country, PopRow.lat, PopRow.lon)
            .order_by(PopRow.position, PopRow.id)):
        pop_name[pid] = pname
        pops.append(Pop(name=pname, city=city, country=country, lat=lat, lon=lon))
    router_name: dict[int, str] = {}
    routers = []
    for rid, rname, pop_id, role, vendor, loopback, driver in session.execute(
            select(RouterRow.id, RouterRow.name, RouterRow.pop_id, RouterRow.role, RouterRow.vendor,
                   RouterRow.loopback, RouterRow.driver).order_by(RouterRow.position, RouterRow.id)):
        router_name[rid] = rname
        routers.append(Router(name=rname, pop=pop_name[pop_id], role=RouterRole(role), vendor=Vendor(vendor),
                              loopback=loopback, driver=driver))
    srlgs = _grouped(session, LinkSrlgRow.link_id, LinkSrlgRow.srlg, LinkSrlgRow.position)
    links = [Link(name=r.name, a=pop_name[r.a_pop_id], b=pop_name[r.b_pop_id], capacity_bps=r.capacity_bps,
                  length_km=r.length_km, latency_ms=r.latency_ms, igp_metric=r.igp_metric,
                  srlgs=tuple(srlgs.get(r.id, ())),
                  a_router=router_name[r.a_router_id] if r.a_router_id is not None else None,
                  b_router=router_name[r.b_router_id] if r.b_router_id is not None else None)
             for r in session.execute(select(*LinkRow.__table__.columns).order_by(LinkRow.position, LinkRow.id))]
    areas = _grouped(session, InterconnectAreaRow.interconnect_id, InterconnectAreaRow.area,
                     InterconnectAreaRow.position)
    interconnects = [Interconnect(name=r.name, kind=InterconnectKind(r.kind), pop=pop_name[r.pop_id],
                                  partner=r.partner, capacity_bps=r.capacity_bps, area=tuple(areas.get(r.id, ())))
                     for r in session.execute(select(*InterconnectRow.__table__.columns)
                                              .order_by(InterconnectRow.position, InterconnectRow.id))]
    return Network(name=name, pops=pops, routers=routers, links=links, interconnects=interconnects)


def _grouped(session: Session, key: Any, value: Any, position: Any) -> dict[int, list[str]]:
    """Child values (SRLGs, areas) per parent id, in their saved order."""
    groups: dict[int, list[str]] = {}
    for parent_id, item in session.execute(select(key, value).order_by(key, position)):
        groups.setdefault(parent_id, []).append(item)
    return groups


def merged(current: Network, incoming: Network) -> Network:
    """`current` with `incoming`'s elements: same name replaces in place, new ones are appended."""

    def merge_list(old: list[Any], new: list[Any]) -> list[Any]:
        by_name = {item.name: item for item in new}
        kept = [by_name.pop(item.name, item) for item in old]
        return kept + [item for item in new if item.name in by_name]

    name = current.name if current.pops else incoming.name
    return Network(name=name, pops=merge_list(current.pops, incoming.pops),
                   routers=merge_list(current.routers, incoming.routers),
                   links=merge_list(current.links, incoming.links),
                   interconnects=merge_list(current.interconnects, incoming.interconnects))


# -- saving -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Removal:
    """The names a save would delete, per kind (what a removal guard checks)."""

    pops: frozenset[str]
    routers: frozenset[str]
    links: frozenset[str]
    interconnects: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.pops or self.routers or self.links or self.interconnects)


RemovalGuard = Callable[[Session, Removal], list[str]]

# Domains that refer to inventory elements BY NAME (no foreign key can protect those rows) register a
# guard at start-up (store.callbacks.register_removal_guard): `(session, removal) -> list[str]`, a
# description of each use the removal would break ("site acme/paris-hq on router par-pe1"). A
# non-empty answer refuses the save with ConflictError (exit 4), and nothing is changed. The
# engine's guard (engine.guards.services_in_use) is registered when `unilink.engine` is imported.


def check_removal(session: Session, removal: Removal) -> None:
    if not removal:
        return
    uses = [use for guard in callbacks.removal_guards() for use in guard(session, removal)]
    if uses:
        shown = "; ".join(uses[:5]) + (f"; and {len(uses) - 5} more" if len(uses) > 5 else "")
        raise ConflictError(f"the network cannot be saved: it removes elements still in use: {shown}",
                            accepted="keep the elements in use (or move what uses them first), or use --merge")


def check_capacity(session: Session, network: Network) -> None:
    """Refuse a save that lowers a link's capacity below what is booked on it (at any instant, either
    direction), naming the services that hold it and the booked and free bit/s: the ledger would
    otherwise hold more than the link carries, and sell the difference again."""
    current = dict(session.execute(select(LinkRow.name, LinkRow.capacity_bps)).all())
    lowered = {link.name: link.capacity_bps for link in network.links
               if link.name in current and link.capacity_bps < current[link.name]}
    if not lowered:
        return
    loads = capacity_audit.booked_on(session, lowered).values()
    for name, capacity in sorted(lowered.items()):
        short = capacity_audit.describe_shortfall(name, capacity, loads)
        if short is None:
            continue
        booked, free = format_bandwidth(short["booked_bps"]), short["free_bps"]
        raise ConflictError(
            f"link {name}: capacity {format_bandwidth(capacity)} is below the {booked} booked on it "
            f"({short['direction']}; free would be -{format_bandwidth(-free)}) by {short['text']}; nothing was changed",
            field="capacity_bps", value=capacity,
            accepted=f"at least {booked} (what is booked), or move or shrink those services first")


def _removal(session: Session, network: Network) -> Removal:
    def gone(model: type, keep: list[Any]) -> frozenset[str]:
        return frozenset(set(session.scalars(select(model.name))) - {item.name for item in keep})  # type: ignore[attr-defined]

    return Removal(pops=gone(PopRow, network.pops), routers=gone(RouterRow, network.routers),
                   links=gone(LinkRow, network.links), interconnects=gone(InterconnectRow, network.interconnects))


def lock_topology(session: Session) -> TopologyRow:
    """Take the network's write lock for this transaction (PostgreSQL row lock; SQLite holds the
    database lock already in a write session). Lock before reading what you will write from."""
    return session.scalars(select(TopologyRow).where(TopologyRow.id == 1).with_for_update()).one()


def sync(session: Session, network: Network) -> NetworkChange:
    """Make the inventory tables equal to `network` (already validated). Raises ConflictError when an
    element to delete is still used by another domain (a site on a router, a reservation on a link)."""
    topology = lock_topology(session)
    check_removal(session, _removal(session, network))
    check_capacity(session, network)
    change = NetworkChange()
    try:
        pop_ids = _sync_pops(session, network.pops, change)
        router_ids = _sync_routers(session, network.routers, pop_ids, change)
        _sync_links(session, network.links, pop_ids, router_ids, change)
        _sync_interconnects(session, network.interconnects, pop_ids, change)
        _delete_missing(session, RouterRow, {r.name for r in network.routers}, "routers", change)
        _delete_missing(session, PopRow, {p.name for p in network.pops}, "pops", change)
        session.flush()
    except IntegrityError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        raise ConflictError(f"the network cannot be saved: a PoP, router or link it removes is still used by "
                            f"another part of unilink ({reason}); nothing was changed",
                            accepted="keep the elements in use, or use --merge") from exc
    if change.changed or topology.name != network.name:
        from unilink.store import holds_repo  # local: holds_repo imports the store's db module

        holds_repo.release_all(session)  # every plan is stale now: nothing it held is held any more
        topology.version += 1
        topology.name = network.name
        topology.updated_at = datetime.now(UTC)
    change.version = topology.version
    return change


def _apply(row: Any, values: dict[str, Any]) -> bool:
    """Set `values` on `row`; True when anything differed."""
    differs = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            differs = True
    return differs


def _upsert(session: Session, existing: dict[str, Any], model: type, name: str,
            values: dict[str, Any]) -> tuple[Any, str]:
    """Insert or update the row called `name`; returns it and "added", "updated" or "same"."""
    row = existing.get(name)
    if row is None:
        row = model(name=name, **values)
        session.add(row)
        return row, "added"
    return row, "updated" if _apply(row, values) else "same"


def _count(change: NetworkChange, kind: str, status: str) -> None:
    if status == "added":
        change.added[kind] = change.added.get(kind, 0) + 1
    elif status == "updated":
        change.updated[kind] = change.updated.get(kind, 0) + 1


def _by_name(session: Session, model: type, *children: Any) -> dict[str, Any]:
    query = select(model).options(*(selectinload(child) for child in children))
    return {row.name: row for row in session.scalars(query)}


def _sync_pops(session: Session, pops: list[Pop], change: NetworkChange) -> dict[str, int]:
    existing = _by_name(session, PopRow)
    rows = []
    for position, pop in enumerate(pops):
        values = {"position": position, "city": pop.city, "country": pop.country, "lat": float(pop.lat),
                  "lon": float(pop.lon)}
        row, status = _upsert(session, existing, PopRow, pop.name, values)
        _count(change, "pops", status)
        rows.append(row)
    session.flush()
    return {row.name: row.id for row in rows}


def _sync_routers(session: Session, routers: list[Router], pop_ids: dict[str, int],
                  change: NetworkChange) -> dict[str, int]:
    existing = _by_name(session, RouterRow)
    rows = []
    for position, router in enumerate(routers):
        values = {"position": position, "pop_id": pop_ids[router.pop], "role": str(router.role),
                  "vendor": str(router.vendor), "loopback": router.loopback, "driver": router.driver}
        row, status = _upsert(session, existing, RouterRow, router.name, values)
        _count(change, "routers", status)
        rows.append(row)
    session.flush()
    return {row.name: row.id for row in rows}


def _sync_links(session: Session, links: list[Link], pop_ids: dict[str, int], router_ids: dict[str, int],
                change: NetworkChange) -> None:
    _delete_missing(session, LinkRow, {lk.name for lk in links}, "links", change)
    existing = _by_name(session, LinkRow, LinkRow.srlgs)
    for position, link in enumerate(links):
        values = {"position": position, "a_pop_id": pop_ids[link.a], "b_pop_id": pop_ids[link.b],
                  "a_router_id": router_ids[link.a_router] if link.a_router else None,
                  "b_router_id": router_ids[link.b_router] if link.b_router else None,
                  "capacity_bps": link.capacity_bps, "length_km": float(link.length_km),
                  "latency_ms": float(link.latency_ms), "igp_metric": link.igp_metric}
        row, status = _upsert(session, existing, LinkRow, link.name, values)
        if tuple(s.srlg for s in row.srlgs) != tuple(link.srlgs):
            row.srlgs = [LinkSrlgRow(position=i, srlg=srlg) for i, srlg in enumerate(link.srlgs)]
            status = "updated" if status == "same" else status
        _count(change, "links", status)
    session.flush()


def _sync_interconnects(session: Session, interconnects: list[Interconnect], pop_ids: dict[str, int],
                        change: NetworkChange) -> None:
    _delete_missing(session, InterconnectRow, {ic.name for ic in interconnects}, "interconnects", change)
    existing = _by_name(session, InterconnectRow, InterconnectRow.areas)
    for position, ic in enumerate(interconnects):
        values = {"position": position, "kind": str(ic.kind), "pop_id": pop_ids[ic.pop], "partner": ic.partner,
                  "capacity_bps": ic.capacity_bps}
        row, status = _upsert(session, existing, InterconnectRow, ic.name, values)
        if tuple(a.area for a in row.areas) != tuple(ic.area):
            row.areas = [InterconnectAreaRow(position=i, area=area) for i, area in enumerate(ic.area)]
            status = "updated" if status == "same" else status
        _count(change, "interconnects", status)
    session.flush()


def _delete_missing(session: Session, model: type, keep: set[str], kind: str, change: NetworkChange) -> None:
    gone = [row for row in session.scalars(select(model)) if row.name not in keep]
    for row in gone:
        session.delete(row)
    if gone:
        change.removed[kind] = len(gone)
        session.flush()
