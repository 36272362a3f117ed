"""The events of a tenant's changes, published the same way whoever made them: an API request or a
local CLI command (which has no server to publish for it, and must reach the servers' streams and
webhooks all the same: events are rows, the servers tail them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from unilink.events.publish import publish

if TYPE_CHECKING:
    from unilink.store.db import Store


def applied(store: Store, result: dict[str, Any]) -> None:
    """A plan was applied (`ApplyResult.to_dict()`): the change, then each order it raised."""
    tenant = result["tenant"]
    publish(store, "change.applied", tenant=tenant, data=result)
    for order in result.get("orders", []):
        publish(store, "order.stateChanged", tenant=tenant, data={"order": order, "state": "acknowledged"})


def apply_failed(store: Store, tenant: str, plan_id: str, reason: str) -> None:
    publish(store, "change.failed", tenant=tenant, data={"plan_id": plan_id, "reason": reason})


def order_moved(store: Store, tenant: str, order_id: str, state: str) -> None:
    publish(store, "order.stateChanged", tenant=tenant, data={"order": order_id, "state": state})
