"""`Network` → text: unilink's YAML (exact round trip) and Topology-Zoo-style GraphML.

- `to_yaml(network)` writes every field, so `import_file` of the result gives back an equal
  `Network` (same PoPs, routers, links with their lengths, latencies and metrics, interconnects).
- `to_graphml(network)` writes what the GraphML importer reads: PoPs with label, coordinates,
  country and city; links with `LinkSpeedRaw` (bit/s). Re-importing it gives the same PoPs,
  coordinates and capacities; routers, lengths and latencies are derived again by the importer's
  rules (one edge router per PoP; great-circle length), and two links between the same PoPs
  come back as one (the importer merges parallel edges).
"""

from __future__ import annotations

from typing import Any

import yaml
from lxml import etree

from unilink.inventory.model import Network
from unilink.units import format_bandwidth

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


class _Dumper(yaml.SafeDumper):
    """Block style for sections, flow style for the small lists inside an item (srlgs, area)."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def to_yaml(network: Network) -> str:
    doc: dict[str, Any] = {
        "name": network.name,
        "pops": [{"name": p.name, "city": p.city, "country": p.country, "lat": p.lat, "lon": p.lon}
                 for p in network.pops],
        "routers": [{"name": r.name, "pop": r.pop, "role": r.role.value, "vendor": r.vendor.value,
                     "loopback": r.loopback, "driver": r.driver} for r in network.routers],
        "links": [],
        "interconnects": [{"name": i.name, "kind": i.kind.value, "pop": i.pop, "partner": i.partner,
                           "capacity": format_bandwidth(i.capacity_bps), "area": list(i.area)}
                          for i in network.interconnects],
    }
    for lk in network.links:
        item: dict[str, Any] = {"name": lk.name, "a": lk.a, "b": lk.b, "capacity": format_bandwidth(lk.capacity_bps),
                                "length_km": lk.length_km, "latency_ms": lk.latency_ms, "igp_metric": lk.igp_metric}
        if lk.srlgs:
            item["srlgs"] = list(lk.srlgs)
        if lk.a_router is not None:
            item["a_router"] = lk.a_router
        if lk.b_router is not None:
            item["b_router"] = lk.b_router
        doc["links"].append(item)
    header = f"# unilink inventory: {len(network.pops)} PoPs, {len(network.links)} links\n"
    return header + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def to_graphml(network: Network) -> str:
    root = etree.Element(f"{{{GRAPHML_NS}}}graphml", nsmap={None: GRAPHML_NS})
    keys = [("g0", "graph", "label", "string"), ("n0", "node", "label", "string"),
            ("n1", "node", "Latitude", "double"), ("n2", "node", "Longitude", "double"),
            ("n3", "node", "Country", "string"), ("n4", "node", "City", "string"),
            ("n5", "node", "Internal", "int"), ("e0", "edge", "LinkLabel", "string"),
            ("e1", "edge", "LinkSpeedRaw", "double")]
    for key_id, target, name, attr_type in keys:
        etree.SubElement(root, f"{{{GRAPHML_NS}}}key", {"id": key_id, "for": target, "attr.name": name,
                                                         "attr.type": attr_type})
    graph = etree.SubElement(root, f"{{{GRAPHML_NS}}}graph", {"edgedefault": "undirected"})
    _data(graph, "g0", network.name)
    node_id = {}
    for index, pop in enumerate(network.pops):
        node_id[pop.name] = str(index)
        node = etree.SubElement(graph, f"{{{GRAPHML_NS}}}node", {"id": str(index)})
        for key, value in (("n0", pop.name), ("n1", repr(float(pop.lat))), ("n2", repr(float(pop.lon))),
                           ("n3", pop.country), ("n4", pop.city), ("n5", "1")):
            if value != "":
                _data(node, key, value)
    for link in network.links:
        edge = etree.SubElement(graph, f"{{{GRAPHML_NS}}}edge", {"source": node_id[link.a],
                                                                  "target": node_id[link.b]})
        _data(edge, "e0", link.name)
        _data(edge, "e1", f"{link.capacity_bps}.0")
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="utf-8").decode("utf-8")


def _data(parent: etree._Element, key: str, text: str) -> None:
    etree.SubElement(parent, f"{{{GRAPHML_NS}}}data", {"key": key}).text = text
