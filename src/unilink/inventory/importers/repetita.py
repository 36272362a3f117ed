"""REPETITA topology (.graph) and demands (.demands) → `Network` + demands.

REPETITA (Gay, Schaus, Vissicchio, "REPETITA: Repeatable Experiments for Performance Evaluation of
Traffic-Engineering Algorithms", arXiv:1710.08665, 2017; github.com/svissicchio/Repetita) writes:

    NODES 3                           EDGES 4
    label x y                         label src dest weight bw delay
    0_Paris 2.35 48.86                edge_0 0 1 10 10000000 1700
    1_London -0.13 51.51              edge_1 1 0 10 10000000 1700
    2_Brussels 4.35 50.85             ...

    DEMANDS 2
    label src dest bw
    demand_0 0 1 250000

Units, as the REPETITA data format page states for its dataset: bandwidths in **kbit/s**, delays in
**microseconds**; x is the longitude and y the latitude. Node indices are 0-based positions in the
NODES list. Choices (docs/inventory.md):
- Edges are directed; the two directions of a pair become one (full-duplex) link. Parallel edges
  in one direction add up; when the two directions differ, the link gets the smaller capacity,
  so that admission never promises what one direction cannot carry (noted).
- IGP metric: the edge weight. Latency: the edge delay when > 0 (the larger of the two directions),
  else length × 0.005 ms. Length: the great-circle distance between the nodes.
- Labels lose the "<index>_" prefix the dataset adds and "_" becomes a space: "0_New_York" → "New York".
- Demands: given `X.graph`, read `X.demands`, else `X.0000.demands` when present; given a
  `.demands` file, read it and the `.graph` beside it (same name up to the first dot).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from unilink.errors import ParseError
from unilink.inventory.importers._common import (
    ascii_name,
    at_line,
    collector_paused,
    link_name,
    routers_for_pops,
    unique_names,
    validate_network,
)
from unilink.inventory.model import Demand, ImportResult, Link, Network, Pop, fibre_length_km
from unilink.units import format_bandwidth, latency_ms_for_length

KBPS = 1000  # REPETITA bandwidths are kbit/s
_INDEX_PREFIX = re.compile(r"^\d+_")


@dataclass(frozen=True, slots=True)
class _Edge:
    src: int
    dst: int
    weight: int
    bps: int
    delay_ms: float
    line: int


class _Lines:
    """The file's lines without blanks and # comments, each with its number."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ParseError(f"cannot read the file: {exc}", path=self.path) from None
        self.items = [(n, line.split()) for n, line in enumerate(text.splitlines(), start=1)
                      if line.strip() and not line.lstrip().startswith("#")]
        self.pos = 0
        self.last = len(text.splitlines()) or 1

    def next(self, what: str) -> tuple[int, list[str]]:
        if self.pos >= len(self.items):
            raise ParseError(f"the file ends where {what} was expected (truncated?)", path=self.path, line=self.last)
        self.pos += 1
        return self.items[self.pos - 1]

    def header(self, keyword: str) -> int:
        line, fields = self.next(f"the {keyword} header")
        if len(fields) != 2 or fields[0] != keyword or not fields[1].isdigit():
            raise ParseError(f"expected '{keyword} <count>', found {' '.join(fields)!r}", path=self.path, line=line,
                             accepted=f"{keyword} followed by a whole number")
        memo_line, memo = self.next(f"the memo line after {keyword}")
        if memo[:1] != ["label"]:
            raise ParseError(f"expected the memo line 'label ...' after {keyword}, found {' '.join(memo)!r}",
                             path=self.path, line=memo_line, accepted="label ...")
        return int(fields[1])

    def rows(self, count: int, width: int, what: str) -> list[tuple[int, list[str]]]:
        rows = []
        for i in range(count):
            line, fields = self.next(f"{what} {i + 1} of {count}")
            if len(fields) != width:
                raise ParseError(f"{what} line has {len(fields)} fields, expected {width}", path=self.path, line=line,
                                 value=" ".join(fields))
            rows.append((line, fields))
        return rows

    def number(self, text: str, line: int, what: str, *, minimum: float | None = 0.0) -> float:
        try:
            value = float(text)
        except ValueError:
            hint = " (REPETITA numbers carry no unit: bandwidth in kbit/s, delay in µs)" if re.match(
                r"^-?\d+(\.\d+)?[A-Za-zµ/]+$", text) else ""
            raise ParseError(f"{what}: {text!r} is not a number{hint}", path=self.path, line=line, field=what,
                             value=text, accepted="a plain number") from None
        if not math.isfinite(value) or (minimum is not None and value < minimum):
            accepted = "a finite number" if minimum is None else f"a finite number >= {minimum:g}"
            raise ParseError(f"{what}: {text} is negative or not finite", path=self.path, line=line, field=what,
                             value=text, accepted=accepted)
        return value

    def node_index(self, text: str, line: int, what: str, count: int) -> int:
        if not text.isdigit() or int(text) >= count:
            raise ParseError(f"dangling {what}: node {text!r} does not exist", path=self.path, line=line,
                             field=what, value=text, accepted=f"a node index 0..{count - 1}")
        return int(text)

    def end(self) -> None:
        if self.pos < len(self.items):
            line, fields = self.items[self.pos]
            raise ParseError(f"unexpected line after the announced items: {' '.join(fields)!r}", path=self.path,
                             line=line)


def _paths(path: Path) -> tuple[Path, Path | None]:
    if path.suffix == ".demands":
        graph = path.with_name(path.name.split(".", 1)[0] + ".graph")
        if not graph.is_file():
            raise ParseError(f"no topology {graph.name} beside this demands file", path=str(path),
                             accepted="X.graph next to X.demands or X.<n>.demands")
        return graph, path
    for candidate in (path.with_suffix(".demands"), path.with_name(path.stem + ".0000.demands")):
        if candidate.is_file():
            return path, candidate
    return path, None


def import_repetita(path: Path | str) -> ImportResult:
    graph_path, demands_path = _paths(Path(path))
    reader = _Lines(graph_path)
    node_count = reader.header("NODES")
    pops: list[Pop] = []
    labels = []
    for line, (label, x, y) in reader.rows(node_count, 3, "node"):
        labels.append((label, line, reader.number(x, line, f"x (longitude) of node {label}", minimum=None),
                       reader.number(y, line, f"y (latitude) of node {label}", minimum=None)))
    names, renamed = unique_names([ascii_name(_INDEX_PREFIX.sub("", lb).replace("_", " "), fallback=f"node {i}")
                                   for i, (lb, _, _, _) in enumerate(labels)])
    lines: dict[tuple[str, str], int] = {}
    for (_label, line, lon, lat), name in zip(labels, names, strict=True):
        pops.append(at_line(reader.path, line, lambda n=name, la=lat, lo=lon: Pop(
            name=n, city=n, country="", lat=la, lon=lo)))
        lines[("pop", name)] = line
    edge_count = reader.header("EDGES")
    edges = []
    for line, (label, src, dst, weight, bw, delay) in reader.rows(edge_count, 6, "edge"):
        w = reader.number(weight, line, f"weight of edge {label}", minimum=1)
        if w != int(w) or w > 16_777_215:
            raise ParseError(f"weight of edge {label}: {weight} is not an IGP metric", path=reader.path, line=line,
                             field="weight", value=weight, accepted="a whole number 1..16777215")
        edges.append(_Edge(reader.node_index(src, line, f"edge {label} src", node_count),
                           reader.node_index(dst, line, f"edge {label} dest", node_count), int(w),
                           round(reader.number(bw, line, f"bw of edge {label}") * KBPS),
                           reader.number(delay, line, f"delay of edge {label}") / 1000, line))
    reader.end()

    skipped: list[str] = []
    merged: list[str] = list(renamed)
    notes: list[str] = []
    links = _links(edges, pops, reader.path, lines, skipped, merged, notes)
    routers = routers_for_pops(pops, path=reader.path)
    router_of = {r.pop: r.name for r in routers}
    links = [Link(name=lk.name, a=lk.a, b=lk.b, capacity_bps=lk.capacity_bps, length_km=lk.length_km,
                  latency_ms=lk.latency_ms, igp_metric=lk.igp_metric, a_router=router_of[lk.a],
                  b_router=router_of[lk.b]) for lk in links]
    demands: tuple[Demand, ...] = ()
    if demands_path is not None:
        demands = _demands(demands_path, [p.name for p in pops])
        notes.append(f"demands read from {demands_path.name}")
    network = Network(name=graph_path.stem, pops=pops, routers=routers, links=links)
    validate_network(network, reader.path, lines)
    return ImportResult(network=network, demands=demands, skipped=tuple(skipped), merged=tuple(merged),
                        notes=tuple(notes))


def _links(edges: list[_Edge], pops: list[Pop], where: str, lines: dict[tuple[str, str], int],
           skipped: list[str], merged: list[str], notes: list[str]) -> list[Link]:
    pairs: dict[frozenset[int], dict[tuple[int, int], list[_Edge]]] = {}
    for e in edges:
        if e.src == e.dst:
            skipped.append(f"edge at line {e.line}: self-loop at {pops[e.src].name} skipped")
            continue
        pairs.setdefault(frozenset((e.src, e.dst)), {}).setdefault((e.src, e.dst), []).append(e)
    links: list[Link] = []
    taken: set[str] = set()
    for directions in pairs.values():
        (u, v), head = next(iter(directions.items()))
        a, b = pops[u], pops[v]
        per_direction = {d: sum(e.bps for e in es) for d, es in directions.items()}
        capacity = min(per_direction.values())
        all_edges = [e for es in directions.values() for e in es]
        if any(len(es) > 1 for es in directions.values()):
            line_list = ", ".join(str(ln) for ln in sorted(e.line for e in all_edges))
            merged.append(f"parallel edges {a.name}--{b.name} (lines {line_list}) "
                          f"merged, capacities added per direction")
        if len(set(per_direction.values())) > 1:
            notes.append(f"{a.name}--{b.name}: directions carry "
                         f"{' and '.join(format_bandwidth(c) for c in per_direction.values())}; "
                         f"the link gets the smaller, {format_bandwidth(capacity)}")
        length = fibre_length_km(a, b)
        delay = max(e.delay_ms for e in all_edges)
        latency = round(delay, 6) if delay > 0 else latency_ms_for_length(length)
        name = link_name(a.name, b.name, taken)
        links.append(at_line(where, head[0].line, lambda n=name, a=a, b=b, c=capacity, ln=length, lt=latency,
                             w=min(e.weight for e in all_edges): Link(
            name=n, a=a.name, b=b.name, capacity_bps=c, length_km=ln, latency_ms=lt, igp_metric=w)))
        lines[("link", name)] = head[0].line
    return links


def _demands(path: Path, names: list[str]) -> tuple[Demand, ...]:
    with collector_paused():
        return _read_demands(path, names)


def _read_demands(path: Path, names: list[str]) -> tuple[Demand, ...]:
    reader = _Lines(path)
    count = reader.header("DEMANDS")
    rows = reader.rows(count, 4, "demand")
    reader.end()
    fast = _well_formed_demands(rows, names)
    if fast is not None:
        return fast
    demands = []
    for line, (label, src, dst, bw) in rows:  # some row is wrong (or empty input): check each, name the first
        s = reader.node_index(src, line, f"demand {label} src", len(names))
        d = reader.node_index(dst, line, f"demand {label} dest", len(names))
        demands.append(Demand(src=names[s], dst=names[d], bps=round(reader.number(bw, line, f"bw of demand {label}")
                                                                    * KBPS)))
    return tuple(demands)


def _well_formed_demands(rows: list[tuple[int, list[str]]], names: list[str]) -> tuple[Demand, ...] | None:
    """All the demands at once when every row is valid; None sends the caller to the row-by-row check.

    A full-mesh matrix has tens of thousands of rows; preparing an error message for each of them
    (as the checking loop does) cost more than the parsing. The result is exactly the loop's: the
    same digit test for node indices, the same float parsing, the same rounding.
    """
    srcs = [fields[1] for _, fields in rows]
    dsts = [fields[2] for _, fields in rows]
    if not (all(map(str.isdigit, srcs)) and all(map(str.isdigit, dsts))):
        return None
    try:
        bws = [float(fields[3]) for _, fields in rows]
    except ValueError:
        return None
    src_ids, dst_ids = list(map(int, srcs)), list(map(int, dsts))
    count = len(names)
    if (src_ids and max(src_ids) >= count) or (dst_ids and max(dst_ids) >= count):
        return None
    if not all(math.isfinite(bw) and bw >= 0.0 for bw in bws):
        return None
    return tuple(Demand(src=names[s], dst=names[d], bps=round(bw * KBPS))
                 for s, d, bw in zip(src_ids, dst_ids, bws, strict=True))
