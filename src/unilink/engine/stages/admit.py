"""Stage 3, admit: the bandwidth the change books on the backbone and the pool values it takes (pure).

Every changed service is routed again (CSPF paths, protection, VPN hose trees: engine.admission) and
every boost and schedule re-booked (their windows move with time), all tried at once on the ledger
inside `trial()`: the whole change fits or InfeasibleError names the bottleneck (link, free bit/s,
when it frees up); the ledger is left as it was. Pool values (VLANs, ports, /31s, RDs, RTs, VNIs) are
the lowest free ones (engine.resources), so the same state and change give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from unilink.engine.admission import (
    Booking,
    arcs_as_tuple,
    item_sites,
    service_arcs,
    temporary_key,
    temporary_windows,
)
from unilink.engine.keys import ServiceKey, is_temporary
from unilink.engine.resources import Allocation, allocate, wanted_owners
from unilink.engine.stages.diffing import IntentDiff
from unilink.engine.stages.snapshot import PlanSnapshot
from unilink.errors import InfeasibleError
from unilink.network.ledger import CapacityLedger
from unilink.services.intent import Boost, Intent, Schedule, service_sites, site_usages
from unilink.services.intent_diff import Action, ChangeSet

Rates = dict[tuple[str, str], tuple[int, int]]  # (service, site) → (down, up) bit/s


@dataclass(frozen=True, slots=True)
class Admission:
    bookings: tuple[Booking, ...]                 # what the apply books
    releases: tuple[int, ...]                     # the tenant's reservation ids it releases
    new_allocations: tuple[Allocation, ...]
    released_allocations: tuple[Allocation, ...]
    allocations: Mapping[tuple[str, str, str], int]  # the tenant's pool values after the change
    router_of_site: Mapping[str, str]

    @property
    def books_services(self) -> bool:
        """Whether a service is routed anew (temporaries are re-booked on every plan: that alone is no change)."""
        return any(isinstance(b.key, ServiceKey) for b in self.bookings)


def admit(snapshot: PlanSnapshot, diff: IntentDiff) -> Admission:
    bookings, releases = _bookings(snapshot, diff)
    effective = diff.effective
    router_of_site = snapshot.router_of_site(effective)
    new, released = allocate(snapshot.pools, snapshot.tenant_pools,
                             wanted_owners(snapshot.tenant, effective, router_of_site))
    alloc = dict(snapshot.tenant_pools)
    for a in released:
        alloc.pop((a.pool, a.scope, a.owner), None)
    alloc.update({(a.pool, a.scope, a.owner): a.value for a in new})
    return Admission(tuple(bookings), tuple(releases), tuple(new), tuple(released), alloc, router_of_site)


def changed_services(deployed: Intent | None, effective: Intent, changes: ChangeSet) -> set[str]:
    """Services whose reservations must be recomputed: changed ones, and those on changed sites."""
    names = {c.name for c in changes.services if c.action is not Action.NO_CHANGE}
    moved_sites = {c.name for c in changes.sites if c.action is not Action.NO_CHANGE}
    for intent in (deployed, effective):
        for svc in intent.services if intent is not None else ():
            if set(service_sites(svc)) & moved_sites:
                names.add(svc.name)
    return names


def _bookings(snapshot: PlanSnapshot, diff: IntentDiff) -> tuple[list[Booking], list[int]]:
    """Bookings for the changed services and every temporary, tried on the ledger (then undone)."""
    effective = diff.effective
    changed = changed_services(snapshot.deployed.intent, effective, diff.changes)
    keys = snapshot.booked
    release_keys = [k for k in keys if is_temporary(k) or k in {ServiceKey(n).stored() for n in changed}]
    releases = sorted(rid for k in release_keys for rid in keys[k])
    present = {s.name for s in effective.services}
    ledger = snapshot.ledger
    bookings: list[Booking] = []
    with ledger.trial():
        for rid in releases:
            ledger.release(rid)
        base_rates: Rates = dict(site_usages(effective))
        site_pop = {s.name: s.pop for s in effective.sites}
        base_arcs: dict[str, dict[int, int]] = {}
        for name in sorted(changed & present):
            arcs = service_arcs(snapshot.graph, ledger, list(snapshot.gateways), effective, site_pop, base_rates,
                                name, snapshot.now, None)
            base_arcs[name] = arcs
            if arcs:
                booking = Booking(ServiceKey(name), arcs_as_tuple(arcs), snapshot.now, None)
                _reserve(ledger, snapshot.tenant_id, booking)
                bookings.append(booking)
        items: list[Boost | Schedule] = [*effective.boosts, *effective.schedules]
        for item in items:
            base = base_arcs.get(item.service)
            if base is None:  # unchanged service: its base route is what it is booked on now
                base = _current_arcs(snapshot, item.service)
            bookings.extend(_temporary_bookings(snapshot, effective, site_pop, base_rates, base, item))
    return bookings, releases


def _reserve(ledger: CapacityLedger, tenant_id: int, booking: Booking) -> None:
    try:
        ledger.reserve(booking.arc_bps, service_id=f"{tenant_id}/{booking.key.stored()}", start=booking.start,
                       end=booking.end)
    except InfeasibleError as exc:
        what = booking.key.label
        raise InfeasibleError(f"{what}: {exc.message}", details={"service": what, **exc.details}) from None


def _temporary_bookings(snapshot: PlanSnapshot, intent: Intent, site_pop: dict[str, str], base_rates: Rates,
                        base: dict[int, int], item: Boost | Schedule) -> list[Booking]:
    """The extra bit/s of a boost or schedule over its service's base route, in each of its windows."""
    out = []
    for site in item_sites(intent, item):
        down, up = base_rates[(item.service, site)]
        if item.rate <= down:
            continue  # a lower temporary rate needs nothing more than the base booking
        raised = dict(base_rates)
        raised[(item.service, site)] = (item.rate, min(item.rate, intent.site(site).access.port) if down == up
                                        else up)
        for start, end in temporary_windows(item, snapshot.now):
            arcs = service_arcs(snapshot.graph, snapshot.ledger, list(snapshot.gateways), intent, site_pop, raised,
                                item.service, start, end)
            extra = {arc: bps - base.get(arc, 0) for arc, bps in arcs.items() if bps > base.get(arc, 0)}
            if extra:
                booking = Booking(temporary_key(item, site, start), arcs_as_tuple(extra), start, end)
                _reserve(snapshot.ledger, snapshot.tenant_id, booking)
                out.append(booking)
    return out


def _current_arcs(snapshot: PlanSnapshot, service: str) -> dict[int, int]:
    arcs: dict[int, int] = {}
    for rid in snapshot.booked.get(ServiceKey(service).stored(), []):
        for arc, bps in snapshot.ledger.get(rid).arc_bps:
            arcs[arc] = arcs.get(arc, 0) + bps
    return arcs
