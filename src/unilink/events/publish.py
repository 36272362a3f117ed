"""Publishing an event: one row in `events`, plus one pending delivery per webhook that wants it.

Both in the same transaction: an event is never recorded without its deliveries, nor the reverse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from unilink.errors import ValidationError
from unilink.events.model import EVENT_TYPES, Event
from unilink.store.tables.auth import EventRow, WebhookDeliveryRow, WebhookRow

if TYPE_CHECKING:
    from unilink.store.db import Store


def publish(store: Store, type: str, *, tenant: str | None, data: dict[str, Any] | None = None,
            only_hook: int | None = None) -> Event:
    """Record an event for `tenant` (None: operator-wide) and queue it for every matching webhook.

    `only_hook`: queue it for that webhook alone, whatever its event types (a test of that hook)."""
    with store.session() as session:
        return publish_in(session, type, tenant=tenant, data=data, only_hook=only_hook)


def publish_in(session: Session, type: str, *, tenant: str | None, data: dict[str, Any] | None = None,
               only_hook: int | None = None) -> Event:
    """Like `publish`, inside the caller's transaction (the event commits or rolls back with the change)."""
    if type not in EVENT_TYPES:
        raise ValidationError("unknown event type", field="type", value=type, accepted=", ".join(EVENT_TYPES))
    now = datetime.now(UTC)
    row = EventRow(at=now, type=type, tenant=tenant, data=dict(data or {}))
    session.add(row)
    session.flush()
    # Operator hooks (tenant NULL) receive every event; a tenant's hooks only that tenant's.
    hooks = session.scalars(select(WebhookRow).where(
        WebhookRow.active.is_(True),
        or_(WebhookRow.tenant.is_(None), WebhookRow.tenant == tenant) if tenant else WebhookRow.tenant.is_(None),
        *([WebhookRow.id == only_hook] if only_hook is not None else []),
    ))
    for hook in hooks:
        if only_hook is None and hook.event_types and type not in hook.event_types:
            continue
        session.add(WebhookDeliveryRow(webhook_id=hook.id, event_id=row.id, state="pending", attempts=0,
                                       next_attempt_at=now, created_at=now))
    return Event(id=row.id, type=type, tenant=tenant, at=now, data=row.data)


def row_to_event(row: EventRow) -> Event:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    return Event(id=row.id, type=row.type, tenant=row.tenant, at=at, data=row.data or {})


def events_after(session: Session, after_id: int, *, tenant: str | None, operator: bool,
                 limit: int = 100) -> list[Event]:
    """Events with id > after_id that the caller may see: a tenant its own; an operator all (or one tenant)."""
    query = select(EventRow).where(EventRow.id > after_id)
    if not operator or tenant is not None:
        query = query.where(EventRow.tenant == tenant)
    return [row_to_event(r) for r in session.scalars(query.order_by(EventRow.id).limit(limit))]
