"""The sample network and demo customers shipped inside unilink (see ATTRIBUTION.md here).

- `interoute-2010.graphml`: Interoute's European network as published in 2010, from the Internet
  Topology Zoo (CC BY 4.0). It gives no capacities: `load_sample_network` assigns SYNTHETIC ones
  by the ring/spur rule of `inventory.capacity_rules` (100G on cycles, 10G on bridges).
- `connectis78.yaml`: a departmental public backbone in the Yvelines — real towns, synthetic
  network (10G rings, 1G spurs).
- `interconnects.yaml`: the two Paris ↔ Connectis 78 links, local-loop partners, Internet transit
  and peering.
- `tenants.yaml`: demo tenants (an enterprise, a wholesale operator, a village cooperative).

Nothing here reads outside the package: the project must run without ../shared.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from unilink.inventory.capacity_rules import assign_ring_capacities
from unilink.inventory.importers.graphml import import_graphml
from unilink.inventory.importers.yaml_format import import_yaml_document, load_yaml_document
from unilink.inventory.model import Network

SAMPLE_NAME = "unilink sample: Interoute 2010 + Connectis 78"


def sample_path(filename: str) -> Path:
    """Path of a file shipped in this package (the package is installed as plain files)."""
    return Path(str(resources.files(__package__).joinpath(filename)))


def load_interoute() -> Network:
    """Interoute 2010 as imported, with the synthetic ring/spur capacities."""
    return assign_ring_capacities(import_graphml(sample_path("interoute-2010.graphml")).network)


def load_sample_network() -> Network:
    """Interoute 2010 (synthetic capacities) + Connectis 78 + interconnects, as one validated Network.

    Each call returns a new `Network` (its lists are the caller's to change); the elements are
    frozen values shared with a cached copy, so that loading again costs microseconds.
    """
    cached = _sample_network()
    return Network(name=cached.name, pops=list(cached.pops), routers=list(cached.routers),
                   links=list(cached.links), interconnects=list(cached.interconnects))


@functools.cache
def _sample_network() -> Network:
    network = load_interoute()
    for filename in ("connectis78.yaml", "interconnects.yaml"):
        path = sample_path(filename)
        network = import_yaml_document(load_yaml_document(path), str(path), base=network).network
    network.name = SAMPLE_NAME
    network.validate()
    return network


def load_demo_tenants() -> list[dict[str, Any]]:
    """The demo tenants as plain data (see tenants.yaml for the shape)."""
    with sample_path("tenants.yaml").open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return list(data["tenants"])
