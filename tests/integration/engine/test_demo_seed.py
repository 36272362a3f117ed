"""The demo tenants' intents, seeded through the engine on the real sample network."""

from __future__ import annotations

from sqlalchemy import func, select

from unilink.engine.core import status
from unilink.inventory.sample import load_demo_tenants
from unilink.services.demo import demo_intent
from unilink.services.intent import check_intent, parse_intent
from unilink.store.db import Store
from unilink.store.seed import seed
from unilink.store.tables.services import PoolAllocationRow


def test_demo_intents_are_valid_on_the_sample_network(store: Store) -> None:
    from unilink.inventory.sample import load_sample_network

    network = load_sample_network()
    for raw in load_demo_tenants():
        check_intent(parse_intent(demo_intent(raw)), network)


def test_seed_applies_the_demo_intents_through_the_engine(store: Store) -> None:
    outcomes = {r.step: r.outcome for r in seed(store)}
    assert "acme-logistics" in outcomes["service intents"]
    acme = status(store, "acme-logistics")
    assert len(acme["deployed"]["sites"]) == 13 and acme["reservations"] > 0 and acme["intent_version"] == 1
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(PoolAllocationRow)) > 13
    backed_up = {s["name"]: s["backup"]["technology"] for s in acme["deployed"]["sites"] if "backup" in s}
    assert backed_up == {"paris-hq": "4g", "marseille-warehouse": "4g", "munich-office": "4g"}
    assert acme["physical"]["munich-office"]["backup"]["provider"] == "Deutsche Telekom Wholesale"  # installed
    assert acme["open_orders"] == []
    again = {r.step: r.outcome for r in seed(store)}
    assert again["service intents"] == "kept the existing intents"
