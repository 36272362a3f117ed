"""Move an order along its lifecycle (TMF641 states), or cancel it; completing one applies the logical
part of the tenant's intent, as an apply like any other (`plan_applying.apply_plan`).

Each transition records `order.stateChanged` in the orders' own transaction; a completion's apply
records its own events in its transaction. Delivered from the outbox once committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from unilink.engine import orders as engine_orders
from unilink.engine.core import ApplyResult
from unilink.events import change_events
from unilink.events.outbox_delivery import deliver_pending
from unilink.usecases.change_listeners import tenant_changed
from unilink.usecases.plan_applying import apply_plan


def move_order(store: Any, order_id: str, state: str, *, actor: str, now: datetime | None = None
               ) -> tuple[dict[str, Any], ApplyResult | None]:
    """Move order `order_id` to `state`: (the order as it is now, the apply a completion made or None)."""
    now = now or store.clock.now()

    def record(session: Any, order: dict[str, Any]) -> None:
        change_events.order_moved(session, order["tenant"], order_id, state, at=now)
        # a TMF641 service order waiting for this field work moves with it, in the same transaction
        from unilink.usecases.tmf_orders import native_order_moved

        native_order_moved(session, order_id, state, now=now)

    if state != "completed":
        moved = engine_orders.set_order_state(store, order_id, state, actor, now=now, on_moved=record)
        deliver_pending(store)
        return moved, None

    def apply_follow_up(plan_id: str, reason: str) -> ApplyResult:
        # the latest intent's removals were confirmed when it was applied: the rest of it lands now
        return apply_plan(store, plan_id, actor=actor, reason=reason, now=now, action="order-completed",
                          confirm_removals=True)

    try:
        result = engine_orders.complete_order(store, order_id, actor, now=now, on_moved=record,
                                              apply_follow_up=apply_follow_up)
    finally:  # the completion committed (the line is installed) even when its follow-up apply was refused
        deliver_pending(store)
    order = engine_orders.get_order(store, order_id)
    tenant_changed(store, order["tenant"])
    return order, result


def cancel_order(store: Any, order_id: str, *, actor: str, now: datetime | None = None) -> dict[str, Any]:
    """Cancel an order that is not finished."""
    moved, _ = move_order(store, order_id, "cancelled", actor=actor, now=now)
    return moved
