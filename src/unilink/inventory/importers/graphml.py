"""Topology Zoo GraphML → `Network`.

The Topology Zoo (topology-zoo.org) publishes real backbones as GraphML: nodes carry `label`,
`Latitude`, `Longitude`, `Country`, `Internal` (0 = a stub of another network) and sometimes
`hyperedge` (a junction drawn on the map, not a PoP); edges sometimes carry `LinkSpeedRaw` (bit/s).
A `City` attribute (written by our exporter) gives the PoP's city; otherwise the label is the city.
Real files are messy, and each oddity is handled explicitly and reported, in this order:

1. external stubs (`Internal` = 0) are skipped with their edges            → `skipped`
2. junction ("hyperedge") nodes are contracted: each pair of their
   neighbours is joined directly (capacity: the smaller known one)         → `merged`
3. nodes without coordinates are dropped with their edges (we do not
   guess positions: a wrong position would give a wrong latency)           → `skipped`
4. self-loops are skipped                                                   → `skipped`
5. parallel edges become one link; capacities add up when known           → `merged`
6. duplicate labels get " (2)", " (3)" in file order                        → `merged`

Capacity of an edge: `LinkSpeedRaw` (bit/s) when present, else `LinkSpeed` × `LinkSpeedUnits`
(k/M/G/T), else `default_capacity_bps` (10 Gbit/s unless told otherwise; noted in `notes`).
Length: the great-circle distance between the two PoPs; latency 0.005 ms/km (`model.make_link`).
Parsing uses lxml for the line numbers (`sourceline`) that every error names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from unilink.errors import ParseError
from unilink.inventory.importers._common import (
    ascii_name,
    at_line,
    country_code,
    link_name,
    routers_for_pops,
    unique_names,
    validate_network,
)
from unilink.inventory.model import ImportResult, Link, Network, Pop, make_link
from unilink.units import format_bandwidth

DEFAULT_CAPACITY_BPS = 10 * 10**9  # Topology Zoo carriers publish no capacities; 10G is a typical 2010 wave
_EXPECTED_TYPES = {"Latitude": "double", "Longitude": "double", "Internal": "int", "hyperedge": "int",
                   "LinkSpeedRaw": "double"}
_UNIT_FACTORS = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


@dataclass(slots=True)
class _Node:
    node_id: str
    line: int
    attrs: dict[str, object]

    @property
    def label(self) -> str:
        value = self.attrs.get("label")
        return str(value) if value not in (None, "") else f"node {self.node_id}"


@dataclass(slots=True)
class _Edge:
    u: str
    v: str
    capacity_bps: int | None
    lines: list[int] = field(default_factory=list)


def _typed(raw: str, attr_type: str, *, path: str, line: int, name: str) -> object:
    text = raw.strip()
    try:
        if attr_type in ("int", "long"):
            return int(float(text)) if text not in ("", "None") else None
        if attr_type in ("double", "float"):
            if text in ("", "None"):
                return None
            number = float(text)
            if not math.isfinite(number):
                raise ValueError(text)
            return number
        if attr_type == "boolean":
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text.lower() in ("true", "1")
    except (ValueError, OverflowError):
        raise ParseError(f"attribute {name} = {raw!r} is not of type {attr_type}", path=path, line=line,
                         field=name, value=raw, accepted=f"a {attr_type}") from None
    return raw


def _parse_xml(path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not well-formed XML: {exc.msg}", path=str(path), line=exc.lineno) from None
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc}", path=str(path)) from None


def _read_keys(root: etree._Element) -> dict[str, tuple[str, str]]:
    """GraphML <key id="d30" attr.name="Latitude" attr.type="double"/> → {"d30": ("Latitude", "double")}."""
    return {key.get("id", ""): (key.get("attr.name") or key.get("id", ""), key.get("attr.type") or "string")
            for key in root.iter("{*}key")}


def _attrs(element: etree._Element, keys: dict[str, tuple[str, str]], path: str) -> dict[str, object]:
    attrs: dict[str, object] = {}
    for data in element.iterchildren("{*}data"):
        key = data.get("key", "")
        if key not in keys:
            raise ParseError(f"<data key={key!r}> refers to no <key> declaration", path=path,
                             line=data.sourceline, field="key", value=key)
        name, attr_type = keys[key]
        attr_type = _EXPECTED_TYPES.get(name, attr_type)  # a file may declare Latitude a string: we need a number
        attrs[name] = _typed(data.text or "", attr_type, path=path, line=data.sourceline or 0, name=name)
    return attrs


def _edge_capacity(attrs: dict[str, object], *, path: str, line: int) -> int | None:
    raw = attrs.get("LinkSpeedRaw")
    if raw is not None:
        bps = float(raw)  # type: ignore[arg-type]
    elif attrs.get("LinkSpeed") not in (None, ""):
        unit = str(attrs.get("LinkSpeedUnits") or "").strip()
        if unit not in _UNIT_FACTORS:
            raise ParseError(f"unknown LinkSpeedUnits {unit!r}", path=path, line=line, field="LinkSpeedUnits",
                             value=unit, accepted="k, M, G or T (decimal prefixes of bit/s)")
        try:
            bps = float(str(attrs["LinkSpeed"])) * _UNIT_FACTORS[unit]
        except ValueError:
            raise ParseError(f"LinkSpeed {attrs['LinkSpeed']!r} is not a number", path=path, line=line,
                             field="LinkSpeed", value=attrs["LinkSpeed"], accepted="a number, e.g. 2.5") from None
    else:
        return None
    if not math.isfinite(bps) or bps <= 0 or bps != round(bps):
        raise ParseError(f"link capacity {bps!r} bit/s is not a positive whole number", path=path, line=line,
                         field="LinkSpeedRaw", value=bps, accepted="a whole number of bit/s > 0, e.g. 1e10")
    return int(bps)


def import_graphml(path: Path | str, *, default_capacity_bps: int = DEFAULT_CAPACITY_BPS) -> ImportResult:
    """Read a Topology Zoo GraphML file; all-or-nothing (a `ParseError` names file and line)."""
    path = Path(path)
    where = str(path)
    graph_attrs, nodes, edges = _read_graph(path)
    skipped: list[str] = []
    merged: list[str] = []
    notes: list[str] = []
    edges = _drop_external_stubs(nodes, edges, skipped)
    edges = _contract_junctions(nodes, edges, merged, skipped)
    edges = _drop_nodes_without_coordinates(nodes, edges, skipped)
    lines: dict[tuple[str, str], int] = {}
    pops = _make_pops(list(nodes.values()), where, lines, merged, notes)
    routers = routers_for_pops(list(pops.values()), path=where)
    router_of = {r.pop: r.name for r in routers}
    links = _build_links(edges, pops, router_of, default_capacity_bps, where, lines, skipped, merged, notes)
    label = graph_attrs.get("label") or graph_attrs.get("Network") or path.stem
    network = Network(name=str(label).strip() or path.stem, pops=list(pops.values()),
                      routers=routers, links=links)
    validate_network(network, where, lines)
    return ImportResult(network=network, skipped=tuple(skipped), merged=tuple(merged), notes=tuple(notes))


def _read_graph(path: Path) -> tuple[dict[str, object], dict[str, _Node], list[_Edge]]:
    """The graph's attributes, its nodes by id and its edges, typed and checked for references."""
    where = str(path)
    root = _parse_xml(path)
    keys = _read_keys(root)
    graph = next(root.iter("{*}graph"), None)
    if graph is None:
        raise ParseError("no <graph> element: truncated or not GraphML", path=where, line=root.sourceline)
    nodes: dict[str, _Node] = {}
    for element in graph.iterchildren("{*}node"):
        node_id = element.get("id")
        if node_id is None:
            raise ParseError("<node> without an id", path=where, line=element.sourceline, field="node.id")
        if node_id in nodes:
            raise ParseError(f"node id {node_id!r} is defined twice (first at line {nodes[node_id].line})",
                             path=where, line=element.sourceline, field="node.id", value=node_id)
        nodes[node_id] = _Node(node_id, element.sourceline or 0, _attrs(element, keys, where))
    edges: list[_Edge] = []
    for element in graph.iterchildren("{*}edge"):
        line = element.sourceline or 0
        ends = []
        for end in ("source", "target"):
            ref = element.get(end)
            if ref is None:
                raise ParseError(f"<edge> without a {end}", path=where, line=line, field=f"edge.{end}")
            if ref not in nodes:
                raise ParseError(f"dangling edge: {end} {ref!r} is not a node of this graph", path=where,
                                 line=line, field=f"edge.{end}", value=ref, accepted="the id of a <node>")
            ends.append(ref)
        attrs = _attrs(element, keys, where)
        edges.append(_Edge(ends[0], ends[1], _edge_capacity(attrs, path=where, line=line), [line]))
    return _attrs(graph, keys, where), nodes, edges


def _make_pops(kept: list[_Node], where: str, lines: dict[tuple[str, str], int], merged: list[str],
               notes: list[str]) -> dict[str, Pop]:
    """PoPs by node id: names made valid (ASCII) and unique ("Paris (2)"), the city kept as written."""
    names = [ascii_name(n.label, fallback=f"node {n.node_id}") for n in kept]
    for node, name in zip(kept, names, strict=True):
        if name != node.label:
            notes.append(f"node {node.node_id} (line {node.line}): label {node.label!r} written as {name!r}")
    names, renamed = unique_names(names)
    merged.extend(renamed)
    pops: dict[str, Pop] = {}
    for node, name in zip(kept, names, strict=True):
        attrs = node.attrs
        pops[node.node_id] = at_line(where, node.line, lambda n=node, nm=name, a=attrs: Pop(
            name=nm, city=str(a.get("City") or n.label), country=country_code(str(a.get("Country") or "")),
            lat=float(a["Latitude"]), lon=float(a["Longitude"])))  # type: ignore[arg-type]
        lines[("pop", name)] = node.line
    return pops


def _describe(node: _Node) -> str:
    return f"node {node.node_id} {node.label!r} (line {node.line})"


def _drop_external_stubs(nodes: dict[str, _Node], edges: list[_Edge], skipped: list[str]) -> list[_Edge]:
    external = {nid for nid, n in nodes.items() if n.attrs.get("Internal") == 0}
    for nid in [n for n in nodes if n in external]:  # file order, for deterministic reports
        count = sum(1 for e in edges if nid in (e.u, e.v))
        skipped.append(f"{_describe(nodes[nid])}: external stub (Internal=0), skipped with {count} edge(s)")
        del nodes[nid]
    return [e for e in edges if e.u not in external and e.v not in external]


def _contract_junctions(nodes: dict[str, _Node], edges: list[_Edge], merged: list[str],
                        skipped: list[str]) -> list[_Edge]:
    """A junction drawn on the map is where a cable branches: join its neighbours pairwise."""
    junctions = [nid for nid, n in nodes.items() if n.attrs.get("hyperedge") == 1]
    for nid in junctions:
        touching = [e for e in edges if nid in (e.u, e.v)]
        edges = [e for e in edges if nid not in (e.u, e.v)]
        neighbours: list[str] = []
        capacity_of: dict[str, int | None] = {}
        for e in touching:
            other = e.v if e.u == nid else e.u
            if other == nid:
                continue  # a self-loop on a junction carries nothing
            if other not in capacity_of:
                neighbours.append(other)
                capacity_of[other] = e.capacity_bps
            elif e.capacity_bps is not None:
                capacity_of[other] = (capacity_of[other] or 0) + e.capacity_bps
        node = nodes.pop(nid)
        if len(neighbours) < 2:
            skipped.append(f"{_describe(node)}: junction with {len(neighbours)} neighbour(s), nothing to join")
            continue
        for i, x in enumerate(neighbours):
            for y in neighbours[i + 1:]:
                known = [c for c in (capacity_of[x], capacity_of[y]) if c is not None]
                edges.append(_Edge(x, y, min(known) if known else None, [node.line]))
        labels = ", ".join(nodes[n].label for n in neighbours)
        merged.append(f"{_describe(node)}: junction (hyperedge) contracted, joining {labels} pairwise")
    return edges


def _drop_nodes_without_coordinates(nodes: dict[str, _Node], edges: list[_Edge],
                                    skipped: list[str]) -> list[_Edge]:
    missing = {nid for nid, n in nodes.items()
               if n.attrs.get("Latitude") is None or n.attrs.get("Longitude") is None}
    for nid in [n for n in nodes if n in missing]:
        count = sum(1 for e in edges if nid in (e.u, e.v))
        skipped.append(f"{_describe(nodes[nid])}: no coordinates, dropped with {count} edge(s)")
        del nodes[nid]
    return [e for e in edges if e.u not in missing and e.v not in missing]


def _build_links(edges: list[_Edge], pops: dict[str, Pop], router_of: dict[str, str], default_capacity_bps: int,
                 where: str, lines: dict[tuple[str, str], int], skipped: list[str], merged: list[str],
                 notes: list[str]) -> list[Link]:
    groups: dict[frozenset[str], list[_Edge]] = {}
    for e in edges:
        if e.u == e.v:
            skipped.append(f"edge {pops[e.u].name}--{pops[e.u].name} (line {e.lines[0]}): self-loop skipped")
            continue
        groups.setdefault(frozenset((e.u, e.v)), []).append(e)
    links: list[Link] = []
    taken: set[str] = set()
    defaulted = 0
    for group in groups.values():
        first = group[0]
        a, b = pops[first.u], pops[first.v]
        known = [e.capacity_bps for e in group if e.capacity_bps is not None]
        capacity = sum(known) if known else default_capacity_bps
        defaulted += not known
        all_lines = [ln for e in group for ln in e.lines]
        if len(group) > 1:
            how = f"capacities summed to {format_bandwidth(capacity)}" if known else "capacity unknown"
            merged.append(f"{len(group)} parallel edges {a.name}--{b.name} (lines "
                          f"{', '.join(map(str, all_lines))}) merged into one link, {how}")
        name = link_name(a.name, b.name, taken)
        links.append(at_line(where, all_lines[0], lambda n=name, a=a, b=b, c=capacity: make_link(
            n, a, b, c, a_router=router_of[a.name], b_router=router_of[b.name])))
        lines[("link", name)] = all_lines[0]
    if defaulted:
        notes.append(f"{defaulted} of {len(links)} links give no LinkSpeedRaw: capacity set to the default "
                     f"{format_bandwidth(default_capacity_bps)}")
    return links
