"""The events of a tenant's changes, as outbox messages: written in the change's own transaction
(`session`), whoever made it — an API request, the portal, a local CLI command or the scheduler — and
delivered from the outbox after the commit (`unilink.events.outbox_delivery`). A change that rolls
back leaves no message; a process killed after its commit leaves them to the next one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from unilink.errors import ValidationError
from unilink.events.model import EVENT_TYPES
from unilink.store import outbox_repo

if TYPE_CHECKING:
    from unilink.store.outbox_repo import OutboxSession


def record(session: OutboxSession, topic: str, *, tenant: str | None, data: dict[str, Any], at: datetime) -> None:
    """One message for the publishers; an unknown topic is refused now, not at delivery."""
    if topic not in EVENT_TYPES:
        raise ValidationError("unknown event type", field="type", value=topic, accepted=", ".join(EVENT_TYPES))
    outbox_repo.add(session, topic=topic, tenant=tenant, payload=data, at=at)


def applied(session: OutboxSession, result: dict[str, Any], *, at: datetime) -> None:
    """A plan was applied (`ApplyResult.to_dict()`): the change, each order it raised, each it cancelled."""
    tenant = result["tenant"]
    record(session, "change.applied", tenant=tenant, data=result, at=at)
    for order in result.get("orders", []):
        order_moved(session, tenant, order, "acknowledged", at=at)
    for order in result.get("cancelled_orders", []):
        order_moved(session, tenant, order, "cancelled", at=at)


def apply_failed(session: OutboxSession, tenant: str, plan_id: str, reason: str, *, at: datetime) -> None:
    record(session, "change.failed", tenant=tenant, data={"plan_id": plan_id, "reason": reason}, at=at)


def order_moved(session: OutboxSession, tenant: str, order_id: str, state: str, *, at: datetime) -> None:
    record(session, "order.stateChanged", tenant=tenant, data={"order": order_id, "state": state}, at=at)


def capacity_alarms(session: OutboxSession, alarms: Iterable[dict[str, Any]], plan_id: str, *, at: datetime) -> None:
    """Link directions a change pushed over the threshold (`events.alarms.crossings`). Backbone load is
    the operator's business: the alarm is operator-wide, it names no tenant."""
    for alarm in alarms:
        record(session, "capacity.alarm", tenant=None, data={**alarm, "plan_id": plan_id}, at=at)
