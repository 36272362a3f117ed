"""`lab up --register`: while the lab runs, its routers are FRR routers driven by the lab in the
store (so the engine renders FRR and pushes through the lab); `lab down` gives them back."""

from __future__ import annotations

import json
from pathlib import Path

from unilink.inventory.sample import load_demo_tenants, load_sample_network
from unilink.lab.builder import Lab
from unilink.lab.topology import build_topology


def test_register_then_unregister_round_trips_the_inventory(store: object, tmp_path: Path) -> None:
    network = load_sample_network()
    store.replace_network(network)  # type: ignore[attr-defined]
    topo = build_topology(network, load_demo_tenants(), 4)
    lab = Lab.at(tmp_path / "lab")
    lab.directory.mkdir()
    lab.state_path.write_text(json.dumps({"topology": topo.to_dict()}))  # as `up` leaves it

    names = lab.register(store)
    assert names == sorted(r.inventory_name for r in topo.routers)
    after = {r.name: r for r in store.load_network().routers}  # type: ignore[attr-defined]
    for name in names:
        assert (str(after[name].vendor), after[name].driver) == ("frr", "lab")
    untouched = next(r for r in network.routers if r.name not in names)
    assert after[untouched.name] == untouched
    assert lab.registered()
    assert lab.registered_store_url() == store.engine.url.render_as_string()  # type: ignore[attr-defined]

    lab.unregister(store)
    assert not lab.registered()
    restored = {r.name: r for r in store.load_network().routers}  # type: ignore[attr-defined]
    original = {r.name: r for r in network.routers}
    for name in names:
        assert restored[name] == original[name]
