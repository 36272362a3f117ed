"""Small hand-made networks for the planning tests (imported by name: the test directory is on sys.path)."""

from __future__ import annotations

from collections.abc import Sequence

from unilink.inventory.model import Link, Network, Pop

Edge = tuple[str, str] | tuple[str, str, int] | tuple[str, str, int, int]  # a, b, [metric, [capacity_bps]]


def make_network(edges: Sequence[Edge], *, pops: Sequence[str] | None = None, capacity_bps: int = 100) -> Network:
    """A network whose PoPs sit on a line of latitudes; each edge is (a, b[, metric[, capacity]])."""
    names = list(pops) if pops is not None else sorted({e[0] for e in edges} | {e[1] for e in edges})
    pop_list = [Pop(name, name, "FR", 40.0 + i * 0.5, 2.0 + (i % 3)) for i, name in enumerate(names)]
    links = []
    for k, edge in enumerate(edges):
        a, b = edge[0], edge[1]
        metric = edge[2] if len(edge) > 2 else 10
        capacity = edge[3] if len(edge) > 3 else capacity_bps
        links.append(Link(name=f"{a}-{b}#{k}", a=a, b=b, capacity_bps=capacity, length_km=100.0,
                          latency_ms=0.5, igp_metric=metric))
    return Network(name="test", pops=pop_list, links=links)

