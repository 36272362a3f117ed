"""`unilink.store.seed.seed`: first-start data, idempotent, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from unilink.errors import ValidationError
from unilink.inventory.model import Network, Pop
from unilink.store.db import Store
from unilink.store.seed import STEPS, seed
from unilink.store.tenancy import list_tenants


def tenants(store: Store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [(t.name, t.kind) for t in list_tenants(session)]


def test_seed_loads_the_sample_network_and_demo_tenants(any_store: Store) -> None:
    results = seed(any_store)
    assert [r.step for r in results] == [name for name, _ in STEPS]
    network = any_store.load_network()
    names = {p.name for p in network.pops}
    assert {"London", "Paris", "Frankfurt", "Versailles", "Villiers-le-Mahieu"} <= names  # Interoute + Connectis 78
    assert all(lk.capacity_bps > 0 and lk.length_km > 0 for lk in network.links)
    assert network.interconnects
    assert {kind for _, kind in tenants(any_store)} == {"enterprise", "operator", "cooperative"}


def test_seed_twice_changes_nothing(any_store: Store) -> None:
    seed(any_store)
    version, network, before = any_store.topology_version(), any_store.load_network(), tenants(any_store)
    seed(any_store)
    assert any_store.topology_version() == version
    assert any_store.load_network() == network
    assert tenants(any_store) == before


def test_seed_keeps_an_existing_network_unless_forced(store: Store) -> None:
    own = Network(name="own", pops=[Pop("Atlantis", "Atlantis", "", 31.0, -24.0)])
    store.replace_network(own)
    results = {r.step: r.outcome for r in seed(store)}
    assert store.load_network() == own
    assert results["inventory"] == "kept the existing network"
    seed(store, force=True)
    assert "Atlantis" not in {p.name for p in store.load_network().pops}


def test_a_step_that_refuses_is_reported_and_the_others_still_run(store: Store,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("unilink.store.seed.STEPS", [("refuses", f"{__name__}:_refusing_step"),
                                                     ("tenants", "unilink.store.seed:seed_tenants")])
    results = seed(store)
    assert results[0].outcome.startswith("skipped: ") and "demo data needs the sample" in results[0].outcome
    assert tenants(store)  # the next step ran


def _refusing_step(store: Store, force: bool) -> str:
    raise ValidationError("demo data needs the sample network", field="network")
