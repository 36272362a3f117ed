"""Capacity alarms: a backbone link whose reserved share crosses a threshold upwards.

`utilisation(graph, ledger, links, now)` reads the ledger (the peak load from `now` on, per direction,
as a share of capacity); `crossings(before, after, threshold)` keeps the link directions that were
below the threshold and are now at or above it, so a change raises an alarm once, not on every later
change of an already loaded link. Pure: the caller reads the ledger and publishes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from unilink.network.graph import CompiledGraph
from unilink.network.ledger import CapacityLedger

DEFAULT_THRESHOLD = 0.8


def utilisation(graph: CompiledGraph, ledger: CapacityLedger, links: Iterable[str], now: datetime
                ) -> dict[tuple[str, str], float]:
    """(link, "ab"|"ba") → peak reserved share from `now` on (0.0 .. 1.0)."""
    shares: dict[tuple[str, str], float] = {}
    for name in sorted(set(links)):
        first_arc = 2 * graph.link_id(name)
        for arc, direction in ((first_arc, "ab"), (first_arc + 1, "ba")):
            capacity = int(graph.arc_capacity_bps[arc])
            shares[(name, direction)] = 1.0 - ledger.free_bps(arc, now, None) / capacity if capacity else 1.0
    return shares


def crossings(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float],
              threshold: float = DEFAULT_THRESHOLD) -> list[dict[str, Any]]:
    """Alarm payloads for the directions that rose from below `threshold` to at least it."""
    return [{"link": link, "direction": direction, "utilisation": round(share, 4),
             "before": round(before.get((link, direction), 0.0), 4), "threshold": threshold}
            for (link, direction), share in sorted(after.items())
            if share >= threshold > before.get((link, direction), 0.0)]
