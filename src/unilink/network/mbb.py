"""Make-before-break: change a path reservation's bandwidth, moving it to a new path when it must.

1. If the current path has room for the new rate — counting the service's own current reservation as
   free, since it is the same traffic — the reservation is modified in place.
2. Otherwise a new path is computed with the old reservation counted as free on shared links (like
   RSVP-TE "shared explicit" style, where the new LSP shares bandwidth with the old one), booked —
   as a hold when `hold_until` is given, for the engine to confirm once the routers carry it — and the
   old booking is released. The reservation keeps its id.
3. Atomic: when no path fits, `InfeasibleError` (with the bottleneck and earliest fit) and the ledger
   is exactly as before. To undo a successful switch (say the routers refused it), run the call
   inside the caller's own `ledger.atomic()` block.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from unilink.errors import InfeasibleError, ValidationError
from unilink.network.cspf import Path, find_path, make_path
from unilink.network.graph import CompiledGraph
from unilink.network.ledger import CapacityLedger, Instant, PathRoute, Reservation, ReservationId


@dataclass(frozen=True, slots=True)
class MbbResult:
    reservation: Reservation
    old_path: Path
    new_path: Path
    rerouted: bool  # False: changed in place on the same path

    def to_dict(self) -> dict[str, Any]:
        return {"reservation": self.reservation.id, "rerouted": self.rerouted,
                "old_path": list(self.old_path.nodes), "new_path": list(self.new_path.nodes),
                "latency_ms": round(self.new_path.latency_ms, 6)}


def change_rate(graph: CompiledGraph, ledger: CapacityLedger, rid: ReservationId, new_bps: int, *,
                new_reverse_bps: int | None = None, hold_until: Instant = None) -> MbbResult:
    """Give reservation `rid` a new rate, in place or make-before-break on a new path (see the module doc)."""
    old = ledger.get(rid)
    route = old.route
    if not isinstance(route, PathRoute) or not route.arcs:
        raise ValidationError("only a path reservation with its route can change path", field="reservation",
                              value=rid, accepted="a reservation made with book_path() / route_of()")
    if isinstance(new_bps, bool) or not isinstance(new_bps, int) or new_bps <= 0:
        raise ValidationError("bandwidth must be a positive integer of bit/s", field="bandwidth", value=new_bps)
    if new_reverse_bps is None:  # a symmetric service stays symmetric; a one-way one keeps its return rate
        new_reverse_bps = new_bps if route.reverse_bps == route.bps else route.reverse_bps
    old_path = make_path(graph, route.arcs)
    new_route = replace(route, bps=new_bps, reverse_bps=new_reverse_bps)
    try:
        same = ledger.modify(rid, arc_bps=old_path.arc_bps(new_bps, new_reverse_bps), route=new_route)
        return MbbResult(reservation=same, old_path=old_path, new_path=old_path, rerouted=False)
    except InfeasibleError:
        pass  # the current path lacks room for the new rate: move
    with ledger.atomic():
        ledger.release(rid)  # from here on, the old booking counts as free for the new path
        new_path = find_path(graph, ledger, route.src, route.dst, new_bps, reverse_bps=new_reverse_bps,
                             start=old.start, end=old.end, metric=route.metric,
                             max_latency_ms=route.max_latency_ms, max_hops=route.max_hops)
        moved = ledger.reserve(new_path.arc_bps(new_bps, new_reverse_bps), service_id=old.service_id,
                               start=old.start, end=old.end, hold_until=hold_until, priority=old.priority,
                               route=replace(new_route, arcs=new_path.arcs), reservation_id=rid)
    return MbbResult(reservation=moved, old_path=old_path, new_path=new_path, rerouted=True)


increase = change_rate  # the name the package summary uses
