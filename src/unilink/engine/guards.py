"""The engine's removal guard: a network save may not drop what live services use.

Registered with the store at start-up (engine.wiring → store.callbacks.register_removal_guard).
Services refer to the inventory by name (a site's PoP and PE router in the deployed intent, a
reservation's link), so no foreign key protects them: without this guard a `unilink network import`
that drops a router, a PoP or a link would silently orphan the services on it. Each use is described
so that the refusal names both the service and the element ("site acme/Plant on router lyon-pe1").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from unilink.services.intent import Intent
from unilink.store import deployed_repo, usage_repo
from unilink.store.network_repo import Removal


def services_in_use(session: Any, removal: Removal) -> list[str]:
    """Every deployed site and every live reservation the removal would orphan."""
    return _sites_on(session, removal) + _reservations_on(session, removal)


def _sites_on(session: Any, removal: Removal) -> list[str]:
    if not (removal.pops or removal.routers):
        return []
    edge = usage_repo.first_edge_routers(session)
    uses = []
    for tenant, document, _ in deployed_repo.deployments(session):
        for site in Intent.model_validate(document).sites:
            router = site.router or edge.get(site.pop)
            if site.pop in removal.pops:
                uses.append(f"site {tenant}/{site.name} at PoP {site.pop}")
            elif router in removal.routers:
                uses.append(f"site {tenant}/{site.name} on router {router}")
    return uses


def _reservations_on(session: Any, removal: Removal) -> list[str]:
    if not removal.links:
        return []
    now = datetime.now(UTC)
    return [f"service {tenant}/{service} reserves link {link}"
            for tenant, service, link in usage_repo.live_reservations_on(session, removal.links, now)]
