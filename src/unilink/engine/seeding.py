"""Seed step "service intents": each demo tenant's first intent, applied through the engine.

Going through plan → apply (not writing rows directly) means the ledger holds the demo services'
reservations, the pools their VLANs/subnets/RDs, and the device model their configs, exactly as for
any customer change. The accesses are taken as installed (the demo customers are already connected).
"""

from __future__ import annotations

from typing import Any

from unilink.engine.core import apply, plan
from unilink.services.demo import demo_intent
from unilink.store import deployed_repo

ACTOR = "seed"


def seed_service_intents(store: Any, force: bool) -> str:
    from unilink.inventory.sample import load_demo_tenants

    with store.session() as session:
        deployed = {name for name, _, _ in deployed_repo.deployments(session)}
        known = set(deployed_repo.tenant_names(session))
    applied = []
    for raw in load_demo_tenants():
        if raw["name"] not in known or (raw["name"] in deployed and not force):
            continue
        change = plan(store, raw["name"], demo_intent(raw), actor=ACTOR, accesses_installed=True)
        if not change.is_empty:
            apply(store, change.id, ACTOR, "demo intent")
            applied.append(raw["name"])
    return f"applied the demo intents of {', '.join(applied)}" if applied else "kept the existing intents"
