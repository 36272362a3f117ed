"""Stage 7, record: what the change was — intent version, deployed state, orders, history, the plan applied.

Written in the apply's database transaction after the commit stage; the engine's in-memory state
(deployed state, reservation index) follows once the rows are written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unilink.catalog.prices import Quote
from unilink.engine import runtime as rt
from unilink.engine.change_plan import Plan
from unilink.engine.ports import ChangeStore
from unilink.engine.stages.commit import Committed
from unilink.engine.stages.snapshot import Deployed
from unilink.errors import ConflictError
from unilink.services.intent import Intent


@dataclass(frozen=True, slots=True)
class ApplyResult:
    plan_id: str
    tenant: str
    revision: int
    intent_version: int | None
    routers: tuple[str, ...]
    orders: tuple[str, ...]
    reservations: int
    cancelled_orders: tuple[str, ...] = ()  # open orders the change made pointless (their site is gone)

    def to_dict(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "tenant": self.tenant, "revision": self.revision,
                "intent_version": self.intent_version, "routers": list(self.routers), "orders": list(self.orders),
                "reservations": self.reservations, "cancelled_orders": list(self.cancelled_orders)}


@dataclass(frozen=True, slots=True)
class ApplyContext:
    """Who applies, why, when, and the tenant's latest intent version (read with the plan's head)."""

    tenant_id: int
    latest_intent_version: int
    actor: str
    reason: str
    action: str  # apply | revert | order | schedule …
    now: datetime


def record(session: Any, runtime: rt.Runtime, plan: Plan, committed: Committed, effective: Intent,
           quote: Quote | None, context: ApplyContext, changes: ChangeStore) -> ApplyResult:
    tenant_id, now = context.tenant_id, context.now
    intent_version = _record_intent(session, plan, context, changes)
    revision = plan.base.revision + 1  # the fingerprint proved the base is current
    changes.save_deployment(session, first=revision == 1, tenant_id=tenant_id, revision=revision,
                            intent_version=intent_version, document=plan.deployed_document,
                            physical=plan.physical, updated_at=now)
    orders = _create_orders(session, tenant_id, plan, now, changes)
    cancelled = changes.cancel_orders(session, tenant_id, [dict(o) for o in plan.cancel_orders], now,
                                      context.actor, plan.id)
    changes.insert_history(session, tenant_id=tenant_id, at=now, actor=context.actor, reason=context.reason,
                           action=context.action, plan_id=plan.id, intent_version=intent_version,
                           summary={"changes": list(plan.summary), "orders": orders, "cancelled_orders": cancelled,
                                    "price": plan.price})
    changes.mark_applied(session, plan.id, now)
    runtime.deployed[tenant_id] = Deployed(revision, intent_version, effective, dict(plan.physical), plan.desired,
                                           plan.deployed_document, quote)
    reservations = _index_reservations(runtime, tenant_id, plan, committed)
    return ApplyResult(plan.id, plan.tenant, revision, intent_version, committed.routers, tuple(orders),
                       reservations, tuple(cancelled))


def _record_intent(session: Any, plan: Plan, context: ApplyContext, changes: ChangeStore) -> int | None:
    """The intent version the apply deploys: a new one after the latest when the document changed
    (two applies racing for the same number meet the UNIQUE constraint: reported as stale)."""
    if not plan.new_intent_version:
        return plan.base.intent_version
    version = context.latest_intent_version + 1
    try:
        changes.insert_intent_version(session, tenant_id=context.tenant_id, version=version, document=plan.desired,
                                      actor=context.actor, reason=context.reason or context.action,
                                      created_at=context.now)
    except changes.RowClash as exc:
        raise ConflictError(f"plan {plan.id} is stale: the tenant's intent changed; make a new plan",
                            field="plan_id", value=plan.id) from exc
    return version


def _create_orders(session: Any, tenant_id: int, plan: Plan, now: datetime, changes: ChangeStore) -> list[str]:
    ids = []
    for work in plan.new_orders:
        order_id = f"o-{now.strftime('%Y%m%d')}-{secrets.token_hex(4)}"
        changes.add_order(session, order_id=order_id, tenant_id=tenant_id, plan_id=plan.id, work=dict(work), now=now)
        ids.append(order_id)
    return ids


def _index_reservations(runtime: rt.Runtime, tenant_id: int, plan: Plan, committed: Committed) -> int:
    """The in-memory index follows the table: released ids out, booked ones in; the tenant's count."""
    keys = runtime.keys.setdefault(tenant_id, {})
    released = set(plan.release)
    for key in list(keys):
        keys[key] = [rid for rid in keys[key] if rid not in released]
        if not keys[key]:
            del keys[key]
    for key, rid in committed.new_reservations:
        keys.setdefault(key, []).append(rid)
    return sum(len(v) for v in keys.values())
