"""What a tenant has and did, as the API and the portal read it: sites, services, orders, history, a plan
or an order when the caller may see it. `scope` is the one tenant the caller reads (None: every
tenant, for operators); the adapters work it out from the caller (`visible_tenant`), and
`caller_tenant` is the tenant of a tenant's caller (None: an operator, who sees every tenant's).

Each tenant's deployed document is cached per process by deployment revision (`DeployedCache`).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from unilink.engine import core as engine_core
from unilink.engine import orders as engine_orders
from unilink.errors import NotFoundError
from unilink.store import deployed_repo, orders_repo
from unilink.store.db import Store
from unilink.store.tables.services import PlanRow
from unilink.usecases.change_listeners import on_tenant_changed

REVALIDATE_S = 0.25  # how stale a read may be after *another process* changed the tenant


class DeployedCache:
    """Each tenant's deployed document, parsed once per deployment revision.

    The revision (bumped by every apply) is checked with one small query at most every REVALIDATE_S per
    tenant; the document (a JSON column, possibly large) is reloaded only when it moved. Changes made
    through this process drop the entry at once (`forget`), so its own clients read their writes; a
    change made by another process (a second worker, a local CLI) shows within REVALIDATE_S.
    """

    def __init__(self) -> None:
        # (database engine, tenant) → (revision, document, monotonic time of the last revision check)
        self._by_tenant: dict[tuple[Any, str], tuple[int, dict[str, Any], float]] = {}
        self._lock = threading.Lock()

    def fresh(self, store: Store, tenant: str) -> dict[str, Any] | None:
        """The cached document if it was checked less than REVALIDATE_S ago (no I/O), else None."""
        cached = self._by_tenant.get((store.engine, tenant))
        if cached is not None and time.monotonic() - cached[2] < REVALIDATE_S:
            return cached[1]
        return None

    def forget(self, store: Store, tenant: str) -> None:
        with self._lock:
            self._by_tenant.pop((store.engine, tenant), None)

    def document(self, store: Store, tenant: str) -> dict[str, Any]:
        checked = time.monotonic()
        with store.engine.connect() as conn:
            found = deployed_repo.revision(conn, tenant)
            if found is None:
                raise NotFoundError("no such tenant", field="tenant", value=tenant,
                                    accepted="the name of an existing tenant")
            tenant_id, revision = found
            key = (store.engine, tenant)
            cached = self._by_tenant.get(key)
            if cached is not None and cached[0] == revision:
                self._by_tenant[key] = (revision, cached[1], checked)
                return cached[1]
            deployed, physical = deployed_repo.document(conn, tenant_id)
        document = dict(deployed or {})
        document["_physical"] = physical or {}
        with self._lock:
            if len(self._by_tenant) > 10_000:
                self._by_tenant.clear()
            self._by_tenant[key] = (revision, document, checked)
        return document


deployed = DeployedCache()
on_tenant_changed(deployed.forget)  # a change made in this process by any entry point (API, portal, scheduler)


def deployed_document(store: Store, tenant: str) -> dict[str, Any]:
    """The effective intent in place for `tenant` (empty when nothing was ever applied)."""
    return deployed.document(store, tenant)


def tenants_in_scope(store: Store, scope: str | None) -> list[str]:
    if scope is not None:
        return [scope]
    with store.session() as session:
        return deployed_repo.tenant_names(session)


def site_rows(tenant: str, document: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"tenant": tenant, **site, "installed": document["_physical"].get(site["name"])}
            for site in document.get("sites", [])]


def sites(store: Store, scope: str | None) -> list[dict[str, Any]]:
    return [row for name in tenants_in_scope(store, scope) for row in site_rows(name, deployed_document(store, name))]


def services(store: Store, scope: str | None) -> list[dict[str, Any]]:
    return [{"tenant": name, **svc} for name in tenants_in_scope(store, scope)
            for svc in deployed_document(store, name).get("services", [])]


def orders(store: Store, scope: str | None, *, open_only: bool = False) -> list[dict[str, Any]]:
    return engine_orders.list_orders(store, scope, open_only=open_only)


def history(store: Store, scope: str | None, limit: int = 100) -> list[dict[str, Any]]:
    return engine_core.history(store, scope, limit)


def visible_plan(store: Store, plan_id: str, caller_tenant: str | None) -> PlanRow:
    """The plan, when the caller may see it (NotFoundError otherwise: another tenant's plan is a 404)."""
    with store.session() as session:
        found = deployed_repo.plan(session, plan_id)
    if found is None or (caller_tenant is not None and found[1] != caller_tenant):
        raise NotFoundError("no such plan", field="plan_id", value=plan_id, accepted="the id returned by POST /plans")
    return found[0]


def visible_order(store: Store, order_id: str, caller_tenant: str | None) -> dict[str, Any]:
    """The order, when the caller may see it (NotFoundError otherwise)."""
    with store.session() as session:
        found = orders_repo.order(session, order_id)
        if found is None or (caller_tenant is not None and found[1] != caller_tenant):
            raise NotFoundError("no such order", field="order_id", value=order_id,
                                accepted="the id of one of your orders")
        return engine_orders.order_dict(*found)
