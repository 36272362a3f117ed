"""unilink's own inventory YAML → `Network` (and demands).

```yaml
name: Connectis 78
pops:
  - {name: Versailles, city: Versailles, country: FR, lat: 48.8049, lon: 2.1204}
routers:            # optional: without this section, one edge router per PoP is generated
  - {name: versailles-pe1, pop: Versailles, role: edge, vendor: frr, loopback: 10.78.0.1}
links:
  - {a: Versailles, b: Poissy, capacity: 10G}   # name defaults to "Versailles--Poissy";
                                                 # length_km defaults to the great-circle distance,
                                                 # latency_ms to length × 0.005, igp_metric to latency/10 µs
interconnects:
  - {name: Paris transit, kind: transit, pop: Paris, partner: Cogent, capacity: 100G, area: [EU]}
demands:
  - {src: Versailles, dst: Poissy, bandwidth: 1G}
```

Capacities and bandwidths accept what `units.parse_bandwidth` accepts ("10G", "500M", 10000000000).
Unknown keys are refused (a typo must not silently drop a field); every error names the line.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from unilink.errors import ParseError, ValidationError
from unilink.inventory.importers._common import at_line, routers_for_pops, validate_network
from unilink.inventory.model import (
    Demand,
    ImportResult,
    Interconnect,
    InterconnectKind,
    Link,
    Network,
    Pop,
    Router,
    RouterRole,
    Vendor,
    make_link,
)
from unilink.units import parse_bandwidth, parse_positive_bandwidth


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers where it started and where each of its values is."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


# libyaml's parser is ~10× faster than the pure-Python one (the sample loads on every start); both
# give the node marks that carry our line numbers.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode):  # type: ignore[no-untyped-def]
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise ParseError(f"key {key!r} is not a string", path=loader.name, line=key_node.start_mark.line + 1)
        if key in data:
            raise ParseError(f"key {key!r} appears twice in the same mapping (first at line "
                             f"{data.key_lines[key]})", path=loader.name, line=key_node.start_mark.line + 1)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = value_node.start_mark.line + 1


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

_SECTIONS = {"name", "pops", "routers", "links", "interconnects", "demands"}
_POP_KEYS = {"name", "city", "country", "lat", "lon"}
_ROUTER_KEYS = {"name", "pop", "role", "vendor", "loopback", "driver"}
_LINK_KEYS = {"name", "a", "b", "capacity", "length_km", "latency_ms", "igp_metric", "srlgs", "a_router", "b_router"}
_INTERCONNECT_KEYS = {"name", "kind", "pop", "partner", "capacity", "area"}
_DEMAND_KEYS = {"src", "dst", "bandwidth"}


class _Reader:
    """Typed access to one mapping of the file, with errors naming the line of the field."""

    def __init__(self, path: str, data: object, what: str, allowed: set[str], line: int) -> None:
        if not isinstance(data, LineDict):
            raise ParseError(f"{what}: expected a mapping, got {type(data).__name__} {data!r}", path=path,
                             line=line, field=what, value=data, accepted="a mapping of key: value")
        self.path, self.data, self.what = path, data, what
        for key in data:
            if key not in allowed:
                raise ParseError(f"{what}: unknown key {key!r}", path=path, line=data.line_of(key),
                                 field=f"{what}.{key}", value=key, accepted=", ".join(sorted(allowed)))

    @property
    def line(self) -> int:
        return self.data.line

    def fail(self, key: str, message: str, accepted: str | None = None) -> ParseError:
        return ParseError(f"{self.what}.{key}: {message}", path=self.path, line=self.data.line_of(key),
                          field=f"{self.what}.{key}", value=self.data.get(key), accepted=accepted)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(key, "is missing", "a string")
        if not isinstance(value, str):
            raise self.fail(key, f"{value!r} is not a string", "a string")
        return value

    def number(self, key: str) -> float:
        value = self.data.get(key)
        if value is None:
            raise self.fail(key, "is missing", "a number")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(key, f"{value!r} is not a number", "a number, e.g. 48.8")
        return float(value)

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"{value!r} is not an integer", "an integer")
        return value

    def bandwidth(self, key: str, *, positive: bool = True) -> int:
        value = self.data.get(key)
        if value is None:
            raise self.fail(key, "is missing", "a bandwidth, e.g. 10G")
        try:
            if positive:
                return parse_positive_bandwidth(value, field=f"{self.what}.{key}")
            return parse_bandwidth(value, field=f"{self.what}.{key}")
        except ValidationError as exc:
            raise ParseError(str(exc), path=self.path, line=self.data.line_of(key), field=exc.field,
                             value=exc.value, accepted=exc.accepted) from None

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"{value!r} is not a list of strings", "a list of strings, e.g. [FR, DE]")
        return tuple(value)

    def choice(self, key: str, enum: type[Any], default: str | None = None) -> Any:
        value = self.text(key, default)
        try:
            return enum(value)
        except ValueError:
            raise self.fail(key, f"{value!r} is not accepted", " | ".join(e.value for e in enum)) from None


def _items(path: str, doc: LineDict, section: str) -> list[tuple[object, int]]:
    value = doc.get(section)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{section}: expected a list, got {type(value).__name__}", path=path,
                         line=doc.line_of(section), field=section, value=value, accepted="a YAML list")
    # The line of a scalar item is unknown to us: fall back to the section's line.
    return [(item, item.line if isinstance(item, LineDict) else doc.line_of(section)) for item in value]


def load_yaml_document(path: Path | str) -> LineDict:
    """Parse a YAML file whose top level is a mapping, keeping line numbers."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"cannot read the file: {exc}", path=where) from None
    try:
        loader = _Loader(text)  # the reader refuses control characters already here
    except yaml.reader.ReaderError as exc:
        raise ParseError(f"not valid YAML: {exc.reason} (character {exc.character!r})", path=where,
                         line=text[:exc.position].count("\n") + 1) from None
    loader.name = where
    try:
        doc = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ParseError(f"not valid YAML: {exc.problem or exc.context}", path=where,
                         line=mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        raise ParseError(f"not valid YAML: {exc.reason} (character {exc.character!r})", path=where,
                         line=text[:exc.position].count("\n") + 1) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"not valid YAML: {exc}", path=where) from None
    finally:
        loader.dispose()
    if not isinstance(doc, LineDict):
        raise ParseError("the file is empty or not a mapping at the top level", path=where, line=1,
                         accepted="a mapping with pops, links, ...")
    return doc


def import_yaml(path: Path | str) -> ImportResult:
    return import_yaml_document(load_yaml_document(path), str(path))


def import_yaml_document(doc: LineDict, where: str, *, base: Network | None = None) -> ImportResult:
    """Build a network from a parsed document; with `base`, the document extends that network.

    Extending lets a file refer to PoPs and routers it does not define (the sample's interconnects
    refer to Interoute's Paris and to Connectis 78's towns); the result holds base + document.
    """
    base = base or Network(name="")
    _Reader(where, doc, "file", _SECTIONS, 1)
    lines: dict[tuple[str, str], int] = {}

    def each(section: str) -> list[tuple[int, object, int]]:
        return [(i, item, line) for i, (item, line) in enumerate(_items(where, doc, section))]

    pops = list(base.pops) + [_pop(where, item, i, line, lines) for i, item, line in each("pops")]
    pop_index = {p.name: p for p in pops}
    routers = list(base.routers)
    if "routers" in doc:
        routers += [_router(where, item, i, line, lines) for i, item, line in each("routers")]
    else:
        routers += routers_for_pops(pops[len(base.pops):], path=where, start=len(base.pops),
                                    taken={r.name for r in base.routers})
    links = list(base.links) + [_link(where, item, i, line, pop_index, lines) for i, item, line in each("links")]
    interconnects = list(base.interconnects) + [_interconnect(where, item, i, line, lines)
                                                for i, item, line in each("interconnects")]
    demands = [_demand(where, item, i, line, pop_index) for i, item, line in each("demands")]
    name = doc.get("name", base.name or Path(where).stem)
    if not isinstance(name, str):
        raise ParseError(f"name: {name!r} is not a string", path=where, line=doc.line_of("name"), field="name",
                         value=name, accepted="a string")
    network = Network(name=name, pops=pops, routers=routers, links=links, interconnects=interconnects)
    validate_network(network, where, lines)
    return ImportResult(network=network, demands=tuple(demands))


def _pop(where: str, item: object, i: int, line: int, lines: dict[tuple[str, str], int]) -> Pop:
    r = _Reader(where, item, f"pops[{i}]", _POP_KEYS, line)
    name = r.text("name")
    lines[("pop", name)] = r.line
    return at_line(where, r.line, lambda: Pop(name=name, city=r.text("city", name), country=r.text("country", ""),
                                              lat=r.number("lat"), lon=r.number("lon")))


def _interconnect(where: str, item: object, i: int, line: int, lines: dict[tuple[str, str], int]) -> Interconnect:
    r = _Reader(where, item, f"interconnects[{i}]", _INTERCONNECT_KEYS, line)
    name = r.text("name")
    lines[("interconnect", name)] = r.line
    return at_line(where, r.line, lambda: Interconnect(
        name=name, kind=r.choice("kind", InterconnectKind), pop=r.text("pop"), partner=r.text("partner"),
        capacity_bps=r.bandwidth("capacity"), area=r.strings("area")))


def _demand(where: str, item: object, i: int, line: int, pop_index: dict[str, Pop]) -> Demand:
    r = _Reader(where, item, f"demands[{i}]", _DEMAND_KEYS, line)
    for key in ("src", "dst"):
        if r.text(key) not in pop_index:
            raise r.fail(key, f"unknown PoP {r.text(key)!r}", "the name of a PoP of this file")
    return Demand(src=r.text("src"), dst=r.text("dst"), bps=r.bandwidth("bandwidth", positive=False))


def _router(where: str, item: object, i: int, line: int, lines: dict[tuple[str, str], int]) -> Router:
    r = _Reader(where, item, f"routers[{i}]", _ROUTER_KEYS, line)
    name = r.text("name")
    lines[("router", name)] = r.line
    return at_line(where, r.line, lambda: Router(
        name=name, pop=r.text("pop"), role=r.choice("role", RouterRole), vendor=r.choice("vendor", Vendor),
        loopback=r.text("loopback"), driver=r.text("driver", "sim")))


def _link(where: str, item: object, i: int, line: int, pop_index: dict[str, Pop],
          lines: dict[tuple[str, str], int]) -> Link:
    r = _Reader(where, item, f"links[{i}]", _LINK_KEYS, line)
    ends = []
    for key in ("a", "b"):
        pop = pop_index.get(r.text(key))
        if pop is None:
            raise r.fail(key, f"dangling link: unknown PoP {r.text(key)!r}", "the name of a PoP of this file")
        ends.append(pop)
    a, b = ends
    name = r.text("name", f"{a.name}--{b.name}")
    capacity = r.bandwidth("capacity")
    length = r.number("length_km") if r.has("length_km") else None
    metric = r.integer("igp_metric") if r.has("igp_metric") else None
    a_router = r.text("a_router") if r.has("a_router") else None
    b_router = r.text("b_router") if r.has("b_router") else None
    link = at_line(where, r.line, lambda: make_link(name, a, b, capacity, length_km=length, igp_metric=metric,
                                                    srlgs=r.strings("srlgs"), a_router=a_router, b_router=b_router))
    if r.has("latency_ms"):
        latency = r.number("latency_ms")
        if latency < 0:
            raise r.fail("latency_ms", "must be >= 0 ms", "a number of ms >= 0")
        # An explicit latency (a measured one) wins over the fibre rule; the metric follows it unless given.
        derived_metric = metric if metric is not None else max(1, round(latency * 100))
        link = at_line(where, r.line, lambda: Link(
            name=link.name, a=link.a, b=link.b, capacity_bps=link.capacity_bps, length_km=link.length_km,
            latency_ms=latency, igp_metric=derived_metric, srlgs=link.srlgs, a_router=a_router,
            b_router=b_router))
    lines[("link", link.name)] = r.line
    return link
