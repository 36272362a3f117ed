"""Failure what-if: fail links, nodes or SRLGs and see which services move, where, and which cannot.

The reservations that use a failed arc are released together, then re-routed one by one in priority
order (larger `priority` first, ties by reservation id) on the surviving topology, each taking the
capacity it finds left by those before it — the order a real restoration would follow.
- Path reservations booked with a `PathRoute` are re-routed end to end with CSPF under their original
  constraints; VPN trees booked with a `TreeRoute` are re-grown for their sites that survive.
- Reservations booked by arcs only (the engine stores one row per link direction) are restored by
  **local detour**, like link protection: grouped per (service, window), each failed link is replaced
  by a CSPF path between its two ends carrying what the link carried each way; a failed PoP that a
  service crosses (exactly two neighbours in its reservation) is bypassed between those neighbours.
  A service that ends or branches at a failed PoP cannot be restored that way, and says so.
Those that cannot be restored are reported with the reason and the bottleneck.

Pure: the caller's ledger is left exactly as it was (the trial runs on a copy) unless `apply=True`,
in which case the re-routed reservations replace the old ones and the unrestorable ones are released.
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
    units = _restoration_units(affected)
    restored: list[Restored] = []
    unrestorable: list[Unrestorable] = []
    if not apply:
        ledger = ledger.copy()  # cheaper than undoing thousands of changes, and the caller's is untouched
    with ledger.atomic():
        ledger.release_many(r.id for r in affected)
        for unit in units:
            first = unit[0]
            try:
                with ledger.atomic():  # a unit is restored whole or not at all
                    if first.route is not None:
                        restored.append(_reroute(graph, ledger, first, allowed, dead_nodes))
                    else:
                        restored.append(_detour(graph, ledger, unit, allowed, dead_nodes))
            except InfeasibleError as exc:
                unrestorable.append(Unrestorable(reservation=first.id, service_id=first.service_id,
                                                 priority=max(r.priority for r in unit), reason=exc.message,
                                                 bottleneck=list(exc.details.get("bottleneck", []))))
    return WhatIfReport(
        failed_links=tuple(graph.links[i].name for i in failed_link_ids),
        failed_nodes=tuple(graph.nodes[n] for n in sorted(dead_nodes)),
        failed_srlgs=tuple(sorted(srlgs)),
        affected=tuple(r.id for r in affected), restored=tuple(restored), unrestorable=tuple(unrestorable),
        applied=apply)


def _restoration_units(affected: list[Reservation]) -> list[list[Reservation]]:
    """Routed reservations one by one; arc-only ones grouped per (service, window); in priority order."""
    units: list[list[Reservation]] = []
    groups: dict[tuple[str, float, float], list[Reservation]] = {}
    for reservation in affected:
        if reservation.route is not None:
            units.append([reservation])
        else:
            key = (reservation.service_id, reservation.start, reservation.end)
            if key not in groups:
                groups[key] = []
                units.append(groups[key])
            groups[key].append(reservation)
    units.sort(key=lambda unit: (-max(r.priority for r in unit), id_order(unit[0].id)))
    return units


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
        alive = [(node, rate) for node, rate in route.sites if node not in dead_nodes]  # rate: int or (down, up)
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


def _detour(graph: CompiledGraph, ledger: CapacityLedger, group: list[Reservation], allowed: np.ndarray,
            dead_nodes: set[int]) -> Restored:
    """Local detour for arc-only reservations of one service and window (see the module doc)."""
    first = group[0]
    priority = max(r.priority for r in group)
    failed: dict[int, int] = {}
    kept_links: set[str] = set()
    for reservation in group:
        survivors = [(arc, bps) for arc, bps in reservation.arc_bps if allowed[arc]]
        for arc, bps in reservation.arc_bps:
            if not allowed[arc]:
                failed[arc] = failed.get(arc, 0) + bps
        if survivors:  # what the failure did not touch stays where it was
            ledger.reserve(survivors, service_id=reservation.service_id, start=reservation.start,
                           end=reservation.end, hold_until=reservation.hold_until, priority=reservation.priority,
                           route=None, reservation_id=reservation.id)
            kept_links.update(graph.links[int(graph.arc_link[a])].name for a, _ in survivors)
    detour_links: list[str] = []
    for number, (u, w, forward, backward) in enumerate(_detour_demands(graph, failed, dead_nodes), start=1):
        path = find_path(graph, ledger, u, w, forward, reverse_bps=backward, start=first.start, end=first.end,
                         allowed=allowed, look_ahead=False)
        rid: ReservationId = f"{first.id}~{number}"
        while rid in ledger:
            rid = f"{rid}~"
        ledger.reserve(path.arc_bps(forward, backward), service_id=first.service_id, start=first.start,
                       end=first.end, hold_until=first.hold_until, priority=priority, route=None, reservation_id=rid)
        detour_links.extend(path.links)
    old_links = tuple(sorted({graph.links[int(graph.arc_link[a])].name for r in group for a in r.arcs}))
    return Restored(reservation=first.id, service_id=first.service_id, priority=priority, old_links=old_links,
                    new_links=tuple(sorted(kept_links | set(detour_links))), old_latency_ms=None,
                    new_latency_ms=None, note=f"local detour via {', '.join(detour_links)}")


def _detour_demands(graph: CompiledGraph, failed: dict[int, int], dead_nodes: set[int]
                    ) -> list[tuple[int, int, int, int]]:
    """(u, w, bit/s u→w, bit/s w→u) to carry round the failure: per failed link, and per crossed dead PoP."""
    demands: list[tuple[int, int, int, int]] = []
    inbound: dict[int, dict[int, int]] = {}
    outbound: dict[int, dict[int, int]] = {}
    for arc in sorted(failed):
        u, v = int(graph.arc_src[arc]), int(graph.arc_dst[arc])
        if u in dead_nodes or v in dead_nodes:
            if v in dead_nodes:
                inbound.setdefault(v, {})[u] = inbound.setdefault(v, {}).get(u, 0) + failed[arc]
            if u in dead_nodes:
                outbound.setdefault(u, {})[v] = outbound.setdefault(u, {}).get(v, 0) + failed[arc]
            continue
        if arc & 1 and arc ^ 1 in failed:
            continue  # the a → b arc of this link already made the demand for both directions
        forward, backward = failed[arc], failed.get(arc ^ 1, 0) if not arc & 1 else 0
        demands.append((u, v, forward, backward))
    for node in sorted(set(inbound) | set(outbound)):
        ins, outs = inbound.get(node, {}), outbound.get(node, {})
        neighbours = sorted(set(ins) | set(outs))
        if len(neighbours) != 2 or any(n in dead_nodes for n in neighbours):
            raise InfeasibleError(f"the service ends or branches at the failed PoP {graph.nodes[node]}",
                                  details={"bottleneck": []})
        u, w = neighbours
        forward, backward = ins.get(u, 0), ins.get(w, 0)  # u → node → w, and w → node → u
        if forward == 0:
            u, w, forward, backward = w, u, backward, forward
        if forward:
            demands.append((u, w, forward, backward))
    return demands
