"""Failure what-if: fail links, nodes or SRLGs and see which services move, where, and which cannot.

The reservations that use a failed arc are released together, then re-routed one by one in priority
order (larger `priority` first, ties by reservation id) on the surviving topology, each taking the
capacity it finds left by those before it — the order a real restoration would follow. Path
reservations are re-routed with CSPF under their original constraints; VPN trees are re-grown for
their sites that survive. Those that cannot be restored are reported with the reason and the
bottleneck.

Pure: the caller's ledger is left exactly as it was (the trial runs under an undo log) unless
`apply=True`, in which case the re-routed reservations replace the old ones and the unrestorable
ones are released.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from unilink.errors import InfeasibleError, ValidationError
from unilink.network.cspf import find_path, make_path, resolve_exclusions
from unilink.network.graph import CompiledGraph
from unilink.network.hose import hose_tree
from unilink.network.ledger import CapacityLedger, PathRoute, Reservation, ReservationId, TreeRoute, id_order


@dataclass(frozen=True, slots=True)
class Restored:
    reservation: ReservationId
    service_id: str
    priority: int
    old_links: tuple[str, ...]
    new_links: tuple[str, ...]
    old_latency_ms: float | None  # paths only
    new_latency_ms: float | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Unrestorable:
    reservation: ReservationId
    service_id: str
    priority: int
    reason: str
    bottleneck: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class WhatIfReport:
    failed_links: tuple[str, ...]
    failed_nodes: tuple[str, ...]
    failed_srlgs: tuple[str, ...]
    affected: tuple[ReservationId, ...]
    restored: tuple[Restored, ...]
    unrestorable: tuple[Unrestorable, ...]
    applied: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "failed": {"links": list(self.failed_links), "nodes": list(self.failed_nodes),
                       "srlgs": list(self.failed_srlgs)},
            "affected": len(self.affected),
            "restored": [{"reservation": r.reservation, "service": r.service_id, "priority": r.priority,
                          "old_links": list(r.old_links), "new_links": list(r.new_links),
                          "old_latency_ms": r.old_latency_ms, "new_latency_ms": r.new_latency_ms,
                          **({"note": r.note} if r.note else {})} for r in self.restored],
            "unrestorable": [{"reservation": u.reservation, "service": u.service_id, "priority": u.priority,
                              "reason": u.reason, "bottleneck": u.bottleneck} for u in self.unrestorable],
            "applied": self.applied,
        }


def fail(graph: CompiledGraph, ledger: CapacityLedger, *, links: Iterable[str | int] = (),
         nodes: Iterable[str | int] = (), srlgs: Iterable[str] = (), apply: bool = False) -> WhatIfReport:
    """Fail the given links, nodes and SRLGs; re-route what they carried; report (see the module doc)."""
    links, nodes, srlgs = list(links), list(nodes), list(srlgs)
    allowed = resolve_exclusions(graph, nodes, links, srlgs)
    if allowed is None:
        raise ValidationError("nothing to fail", field="target", value="",
                              accepted="at least one link, node or SRLG of the backbone")
    dead_nodes = {graph.node_id(n, field="node") if isinstance(n, str) else int(n) for n in nodes}
    failed_link_ids = sorted({int(graph.arc_link[a]) for a in np.flatnonzero(~allowed)})
    affected = sorted((ledger.get(rid) for rid in ledger.on_arcs(np.flatnonzero(~allowed).tolist())),
                      key=lambda r: (-r.priority, id_order(r.id)))
    restored: list[Restored] = []
    unrestorable: list[Unrestorable] = []
    session = ledger.atomic() if apply else ledger.trial()
    with session:
        for reservation in affected:
            ledger.release(reservation.id)
        for reservation in affected:
            try:
                restored.append(_reroute(graph, ledger, reservation, allowed, dead_nodes))
            except InfeasibleError as exc:
                unrestorable.append(Unrestorable(reservation=reservation.id, service_id=reservation.service_id,
                                                 priority=reservation.priority, reason=exc.message,
                                                 bottleneck=list(exc.details.get("bottleneck", []))))
    return WhatIfReport(
        failed_links=tuple(graph.links[i].name for i in failed_link_ids),
        failed_nodes=tuple(graph.nodes[n] for n in sorted(dead_nodes)),
        failed_srlgs=tuple(sorted(srlgs)),
        affected=tuple(r.id for r in affected), restored=tuple(restored), unrestorable=tuple(unrestorable),
        applied=apply)


def _reroute(graph: CompiledGraph, ledger: CapacityLedger, old: Reservation, allowed: np.ndarray,
             dead_nodes: set[int]) -> Restored:
    """Book `old` again on the surviving topology, or raise InfeasibleError saying why not."""
    old_links = tuple(sorted({graph.links[int(graph.arc_link[a])].name for a in old.arcs}))
    route = old.route
    if isinstance(route, PathRoute):
        if route.src in dead_nodes or route.dst in dead_nodes:
            raise InfeasibleError("an end of the path is on a failed PoP", details={"bottleneck": []})
        path = find_path(graph, ledger, route.src, route.dst, route.bps, reverse_bps=route.reverse_bps,
                         start=old.start, end=old.end, metric=route.metric, max_latency_ms=route.max_latency_ms,
                         max_hops=route.max_hops, allowed=allowed, look_ahead=False)
        ledger.reserve(path.arc_bps(route.bps, route.reverse_bps), service_id=old.service_id, start=old.start,
                       end=old.end, hold_until=old.hold_until, priority=old.priority,
                       route=replace(route, arcs=path.arcs), reservation_id=old.id)
        before = make_path(graph, route.arcs).latency_ms if route.arcs else None
        return Restored(reservation=old.id, service_id=old.service_id, priority=old.priority, old_links=old_links,
                        new_links=path.links, old_latency_ms=before, new_latency_ms=path.latency_ms)
    if isinstance(route, TreeRoute):
        alive = [(node, bps) for node, bps in route.sites if node not in dead_nodes]
        dropped = sorted({graph.nodes[node] for node, _ in route.sites if node in dead_nodes})
        if not alive:
            raise InfeasibleError("every site of the VPN is on a failed PoP", details={"bottleneck": []})
        tree = hose_tree(graph, ledger, alive, start=old.start, end=old.end, allowed=allowed)
        ledger.reserve(tree.arc_bps, service_id=old.service_id, start=old.start, end=old.end,
                       hold_until=old.hold_until, priority=old.priority, route=route, reservation_id=old.id)
        return Restored(reservation=old.id, service_id=old.service_id, priority=old.priority, old_links=old_links,
                        new_links=tuple(e.link for e in tree.edges), old_latency_ms=None, new_latency_ms=None,
                        note=f"sites on failed PoPs left out: {', '.join(dropped)}" if dropped else "")
    raise InfeasibleError("the reservation has no route to recompute (booked by arcs only)",
                          details={"bottleneck": []})
