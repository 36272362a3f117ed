"""SNDlib native network format → `Network` + demands.

SNDlib (sndlib.zib.de, Orlowski et al., "SNDlib 1.0 — Survivable Network Design Library", Networks
55(3), 2010) writes a network file as sections of parenthesised lines:

    ?SNDlib native format; type: network; version: 1.0
    META ( unit = MBITPERSEC )                                          # optional
    NODES ( Berlin ( 13.4 52.5 ) ... )                                   # id ( lon lat )
    LINKS ( L1 ( Berlin Hamburg ) 40.0 0.0 0.0 0.0 ( 40.0 1.0 ) ... )    # id ( a b ) pre_cap pre_cost routing_cost
                                                                         #   setup_cost ( module_cap cost ... )
    DEMANDS ( D1 ( Berlin Hamburg ) 1 12.5 UNLIMITED ... )               # id ( src dst ) routing_unit value max_path
    ADMISSIBLE_PATHS ( ... )                                             # optional, ignored

Choices (documented in docs/inventory.md):
- Units: SNDlib files carry no unit for capacities; their instances use Mbit/s. We read every
  capacity and demand in Mbit/s unless a META `unit` says otherwise (BITPERSEC, KBITPERSEC,
  MBITPERSEC, GBITPERSEC); any other unit is refused.
- Capacity of a link: the pre-installed capacity when > 0; else one module of the largest
  installable type (the network as it would be built); else `default_capacity_bps` (noted).
- Demand: value × routing_unit, in the unit above.
- Links are undirected (SNDlib's usual link model); parallel links merge into one, capacities added.
- Node ids become PoP names as they are ("Frankfurt_Main"); ids our names refuse are folded to ASCII.
- Length: great-circle distance between the nodes; latency 0.005 ms/km.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from unilink.errors import ParseError
from unilink.inventory.importers._common import (
    ascii_name,
    at_line,
    link_name,
    routers_for_pops,
    unique_names,
    validate_network,
)
from unilink.inventory.model import Demand, ImportResult, Link, Network, Pop, make_link
from unilink.units import format_bandwidth

DEFAULT_CAPACITY_BPS = 10 * 10**9
UNITS = {"BITPERSEC": 1, "KBITPERSEC": 10**3, "MBITPERSEC": 10**6, "GBITPERSEC": 10**9}
_TOKEN = re.compile(r"\(|\)|[^\s()]+")


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    line: int


@dataclass(slots=True)
class _Stream:
    path: str
    tokens: list[_Token]
    pos: int = 0
    last_line: int = 1

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self, what: str) -> _Token:
        token = self.peek()
        if token is None:
            raise ParseError(f"the file ends where {what} was expected (truncated?)", path=self.path,
                             line=self.last_line)
        self.pos += 1
        return token

    def expect(self, text: str, what: str) -> _Token:
        token = self.next(what)
        if token.text != text:
            raise ParseError(f"expected {text!r} ({what}), found {token.text!r}", path=self.path, line=token.line,
                             value=token.text, accepted=text)
        return token

    def number(self, what: str, *, minimum: float | None = 0.0) -> tuple[float, int]:
        token = self.next(what)
        try:
            value = float(token.text)
        except ValueError:
            raise ParseError(f"{what}: {token.text!r} is not a number", path=self.path, line=token.line,
                             field=what, value=token.text, accepted="a plain number, e.g. 40.0 (no unit)") from None
        if not math.isfinite(value) or (minimum is not None and value < minimum):
            accepted = "a finite number" if minimum is None else f"a finite number >= {minimum:g}"
            raise ParseError(f"{what}: {token.text} is negative or not finite", path=self.path, line=token.line,
                             field=what, value=token.text, accepted=accepted)
        return value, token.line


@dataclass(slots=True)
class _RawLink:
    ident: str
    a: str
    b: str
    capacity_units: float | None
    line: int
    lines: list[int] = field(default_factory=list)


def _tokenize(text: str, path: str) -> _Stream:
    tokens: list[_Token] = []
    last = 1
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0]
        if number == 1 and line.startswith("?"):
            continue  # "?SNDlib native format; type: network; version: 1.0"
        for match in _TOKEN.finditer(line):
            tokens.append(_Token(match.group(), number))
            last = number
    return _Stream(path, tokens, last_line=last)


def _skip_group(stream: _Stream, opened: _Token, section: str) -> None:
    depth = 1
    while depth:
        token = stream.peek()
        if token is None:
            raise ParseError(f"the file ends inside {section} opened at line {opened.line} (truncated?)",
                             path=stream.path, line=stream.last_line)
        stream.pos += 1
        depth += {"(": 1, ")": -1}.get(token.text, 0)


@dataclass(slots=True)
class _Parsed:
    nodes: dict[str, tuple[float, float, int]]
    raw_links: list[_RawLink]
    raw_demands: list[tuple[str, str, float, int]]
    unit: int
    sections: set[str]
    last_line: int


def import_sndlib(path: Path | str, *, default_capacity_bps: int = DEFAULT_CAPACITY_BPS) -> ImportResult:
    path = Path(path)
    parsed = _parse(path)
    if "NODES" not in parsed.sections:
        hint = (" (a demands-only file: read it with unilink.inventory.importers.read_demands)"
                if "DEMANDS" in parsed.sections else "")
        raise ParseError(f"no NODES section: truncated or not an SNDlib network file{hint}", path=str(path),
                         line=parsed.last_line)
    for src, dst, _, line in parsed.raw_demands:
        for end, node in (("source", src), ("target", dst)):
            if node not in parsed.nodes:
                raise ParseError(f"dangling demand: {end} {node!r} is not a node", path=str(path), line=line,
                                 field=f"demand.{end}", value=node, accepted="a node of the NODES section")
    return _build(str(path), path.stem, parsed.nodes, parsed.raw_links, parsed.raw_demands, parsed.unit,
                  default_capacity_bps)


def read_sndlib_demands(path: Path | str) -> tuple[Demand, ...]:
    """The demands of an SNDlib file, which may hold DEMANDS only (SNDlib's traffic-matrix files).

    Node ids are kept as they are; when the file has a NODES section, demands must refer to it.
    """
    parsed = _parse(Path(path))
    if "DEMANDS" not in parsed.sections:
        raise ParseError("no DEMANDS section", path=str(path), line=parsed.last_line,
                         accepted="an SNDlib file with DEMANDS ( id ( src dst ) routing_unit value max_path ... )")
    return tuple(Demand(src=s, dst=d, bps=round(v * parsed.unit)) for s, d, v, _ in parsed.raw_demands)


def _parse(path: Path) -> _Parsed:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"cannot read the file: {exc}", path=where) from None
    stream = _tokenize(text, where)
    unit = UNITS["MBITPERSEC"]
    nodes: dict[str, tuple[float, float, int]] = {}
    raw_links: list[_RawLink] = []
    raw_demands: list[tuple[str, str, float, int]] = []
    seen: set[str] = set()
    while (token := stream.peek()) is not None:
        stream.pos += 1
        section = token.text
        if section in seen and section in ("NODES", "LINKS", "DEMANDS", "META"):
            raise ParseError(f"section {section} appears twice", path=where, line=token.line)
        seen.add(section)
        opened = stream.expect("(", f"the opening of section {section}")
        if section == "META":
            unit = _meta(stream, opened)
        elif section == "NODES":
            _nodes(stream, opened, nodes)
        elif section == "LINKS":
            _links(stream, opened, nodes, raw_links)
        elif section == "DEMANDS":  # a demands-only file names nodes it does not define
            _demands(stream, opened, nodes if "NODES" in seen else None, raw_demands)
        elif section == "ADMISSIBLE_PATHS":
            _skip_group(stream, opened, section)
        else:
            raise ParseError(f"unknown section {section!r}", path=where, line=token.line, value=section,
                             accepted="META, NODES, LINKS, DEMANDS, ADMISSIBLE_PATHS")
    return _Parsed(nodes, raw_links, raw_demands, unit, seen, stream.last_line)


def _meta(stream: _Stream, opened: _Token) -> int:
    unit = UNITS["MBITPERSEC"]
    while True:
        token = stream.next(f"a META entry or ')' closing META (opened at line {opened.line})")
        if token.text == ")":
            return unit
        stream.expect("=", f"'=' after META key {token.text}")
        value = stream.next(f"the value of META {token.text}")
        if token.text == "unit":
            if value.text.upper() not in UNITS:
                raise ParseError(f"unknown units {value.text!r}", path=stream.path, line=value.line, field="unit",
                                 value=value.text, accepted=", ".join(UNITS))
            unit = UNITS[value.text.upper()]


def _nodes(stream: _Stream, opened: _Token, nodes: dict[str, tuple[float, float, int]]) -> None:
    while True:
        token = stream.next(f"a node or ')' closing NODES (opened at line {opened.line})")
        if token.text == ")":
            return
        if token.text == "(":
            raise ParseError("expected a node id, found '('", path=stream.path, line=token.line)
        if token.text in nodes:
            raise ParseError(f"node {token.text!r} is defined twice (first at line {nodes[token.text][2]})",
                             path=stream.path, line=token.line, field="node", value=token.text)
        stream.expect("(", f"'(' before the coordinates of node {token.text}")
        lon, _ = stream.number(f"longitude of node {token.text}", minimum=None)
        lat, _ = stream.number(f"latitude of node {token.text}", minimum=None)
        stream.expect(")", f"')' after the coordinates of node {token.text}")
        nodes[token.text] = (lon, lat, token.line)
        while (nxt := stream.peek()) is not None and nxt.text == "(":  # optional ( design ) ( options )
            stream.pos += 1
            _skip_group(stream, nxt, f"the options of node {token.text}")


def _ends(stream: _Stream, what: str, ident: _Token,
          nodes: dict[str, tuple[float, float, int]] | None) -> tuple[str, str]:
    stream.expect("(", f"'(' before the end nodes of {what} {ident.text}")
    ends = []
    for end in ("source", "target"):
        token = stream.next(f"the {end} of {what} {ident.text}")
        if token.text in ("(", ")"):
            raise ParseError(f"expected the {end} node of {what} {ident.text}, found {token.text!r}",
                             path=stream.path, line=token.line)
        if nodes is not None and token.text not in nodes:
            raise ParseError(f"dangling {what} {ident.text}: {end} {token.text!r} is not a node", path=stream.path,
                             line=token.line, field=f"{what}.{end}", value=token.text,
                             accepted="a node of the NODES section (which must come first)")
        ends.append(token.text)
    stream.expect(")", f"')' after the end nodes of {what} {ident.text}")
    return ends[0], ends[1]


def _links(stream: _Stream, opened: _Token, nodes: dict[str, tuple[float, float, int]],
           raw_links: list[_RawLink]) -> None:
    while True:
        ident = stream.next(f"a link or ')' closing LINKS (opened at line {opened.line})")
        if ident.text == ")":
            return
        a, b = _ends(stream, "link", ident, nodes)
        pre_capacity, _ = stream.number(f"pre-installed capacity of link {ident.text}")
        for what in ("pre-installed capacity cost", "routing cost", "setup cost"):
            stream.number(f"{what} of link {ident.text}", minimum=None)
        modules: list[float] = []
        if (nxt := stream.peek()) is not None and nxt.text == "(":
            stream.pos += 1
            while (token := stream.peek()) is not None and token.text != ")":
                capacity, _ = stream.number(f"module capacity of link {ident.text}")
                stream.number(f"module cost of link {ident.text}", minimum=None)
                modules.append(capacity)
            stream.expect(")", f"')' closing the modules of link {ident.text}")
        capacity = pre_capacity if pre_capacity > 0 else (max(modules) if modules else None)
        raw_links.append(_RawLink(ident.text, a, b, capacity, ident.line, [ident.line]))


def _demands(stream: _Stream, opened: _Token, nodes: dict[str, tuple[float, float, int]] | None,
             raw_demands: list[tuple[str, str, float, int]]) -> None:
    while True:
        ident = stream.next(f"a demand or ')' closing DEMANDS (opened at line {opened.line})")
        if ident.text == ")":
            return
        src, dst = _ends(stream, "demand", ident, nodes)
        routing_unit, _ = stream.number(f"routing unit of demand {ident.text}")
        value, _ = stream.number(f"value of demand {ident.text}")
        stream.next(f"max path length of demand {ident.text}")  # UNLIMITED or a hop count: not used here
        raw_demands.append((src, dst, value * routing_unit, ident.line))


def _build(where: str, stem: str, nodes: dict[str, tuple[float, float, int]], raw_links: list[_RawLink],
           raw_demands: list[tuple[str, str, float, int]], unit: int, default_capacity_bps: int) -> ImportResult:
    merged: list[str] = []
    notes: list[str] = []
    idents = list(nodes)
    names, renamed = unique_names([ascii_name(i, fallback=f"node {n}") for n, i in enumerate(idents, 1)])
    merged.extend(renamed)
    name_of = dict(zip(idents, names, strict=True))
    lines: dict[tuple[str, str], int] = {}
    pops: dict[str, Pop] = {}
    for ident in idents:
        lon, lat, line = nodes[ident]
        if name_of[ident] != ident:
            notes.append(f"node {ident!r} (line {line}) written as {name_of[ident]!r}")
        pops[ident] = at_line(where, line, lambda i=ident, la=lat, lo=lon: Pop(
            name=name_of[i], city=name_of[i], country="", lat=la, lon=lo))
        lines[("pop", name_of[ident])] = line
    routers = routers_for_pops(list(pops.values()), path=where)
    router_of = {r.pop: r.name for r in routers}

    groups: dict[frozenset[str], list[_RawLink]] = {}
    skipped: list[str] = []
    for raw in raw_links:
        if raw.a == raw.b:
            skipped.append(f"link {raw.ident} (line {raw.line}): self-loop at {raw.a} skipped")
            continue
        groups.setdefault(frozenset((raw.a, raw.b)), []).append(raw)
    links: list[Link] = []
    taken: set[str] = set()
    for group in groups.values():
        head = group[0]
        known = [round(r.capacity_units * unit) for r in group if r.capacity_units is not None]
        capacity = sum(known) if known else default_capacity_bps
        if not known:
            notes.append(f"link {head.ident} (line {head.line}): no capacity, set to the default "
                         f"{format_bandwidth(default_capacity_bps)}")
        if len(group) > 1:
            merged.append(f"{len(group)} parallel links {', '.join(r.ident for r in group)} between "
                          f"{name_of[head.a]} and {name_of[head.b]} merged into one of {format_bandwidth(capacity)}")
        name = link_name(name_of[head.a], name_of[head.b], taken)
        a, b = pops[head.a], pops[head.b]
        links.append(at_line(where, head.line, lambda n=name, a=a, b=b, c=capacity: make_link(
            n, a, b, c, a_router=router_of[a.name], b_router=router_of[b.name])))
        lines[("link", name)] = head.line
    demands = tuple(Demand(src=name_of[s], dst=name_of[d], bps=round(v * unit)) for s, d, v, _ in raw_demands)
    network = Network(name=stem, pops=list(pops.values()), routers=routers, links=links)
    validate_network(network, where, lines)
    return ImportResult(network=network, demands=demands, skipped=tuple(skipped), merged=tuple(merged),
                        notes=tuple(notes))
