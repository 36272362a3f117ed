"""Every real network of ../shared/data/topology-zoo survives the store, one after the other in one database.

Replacing one real backbone by another exercises the sync (insert, update, delete by name) far
beyond hand-made cases: shared city names, odd characters, hundreds of links.
"""

from __future__ import annotations

from pathlib import Path

from unilink.inventory.importers import import_file
from unilink.store.db import Store


def test_every_zoo_network_round_trips_through_one_store(store: Store, topology_zoo: Path) -> None:
    files = sorted(topology_zoo.glob("*.graphml"))
    assert files
    version = store.topology_version()
    for path in files:
        network = import_file(path).network
        store.replace_network(network)
        assert store.topology_version() > version, path.name
        version = store.topology_version()
        assert store.load_network() == network, path.name
    # and back to the first one: ids of PoPs present in both survive, the rest is replaced
    first = import_file(files[0]).network
    store.replace_network(first)
    assert store.load_network() == first
