"""Publishing an event: one row in `events`, plus one pending delivery per webhook that wants it.

Both in the same transaction: an event is never recorded without its deliveries, nor the reverse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from unilink.errors import ValidationError
from unilink.events.model import EVENT_TYPES, Event
from unilink.store import events_repo

if TYPE_CHECKING:
    from unilink.store.db import Store
    from unilink.store.outbox_repo import OutboxSession as Session
    from unilink.store.tables.auth import EventRow


def publish(store: Store, type: str, *, tenant: str | None, data: dict[str, Any] | None = None,
            only_hook: int | None = None) -> Event:
    """Record an event for `tenant` (None: operator-wide) and queue it for every matching webhook.

    `only_hook`: queue it for that webhook alone, whatever its event types (a test of that hook)."""
    with store.session() as session:
        return publish_in(session, type, tenant=tenant, data=data, only_hook=only_hook)


def publish_in(session: Session, type: str, *, tenant: str | None, data: dict[str, Any] | None = None,
               only_hook: int | None = None, at: datetime | None = None) -> Event:
    """Like `publish`, inside the caller's transaction (the event commits or rolls back with the change).

    `at`: when it happened (an outbox row's change time: delivered later, an event keeps that time)."""
    if type not in EVENT_TYPES:
        raise ValidationError("unknown event type", field="type", value=type, accepted=", ".join(EVENT_TYPES))
    now = at or datetime.now(UTC)
    row = events_repo.insert_event(session, at=now, type=type, tenant=tenant, data=dict(data or {}))
    # Operator hooks (tenant NULL) receive every event; a tenant's hooks only that tenant's.
    for hook in events_repo.active_hooks(session, tenant, only_hook):
        if only_hook is None and hook.event_types and type not in hook.event_types:
            continue
        events_repo.queue_delivery(session, webhook_id=hook.id, event_id=row.id, at=now)
    return Event(id=row.id, type=type, tenant=tenant, at=now, data=row.data)


def row_to_event(row: EventRow) -> Event:
    return Event(id=row.id, type=row.type, tenant=row.tenant, at=row.at, data=row.data or {})


def events_after(session: Session, after_id: int, *, tenant: str | None, operator: bool,
                 limit: int = 100) -> list[Event]:
    """Events with id > after_id that the caller may see: a tenant its own; an operator all (or one tenant)."""
    rows = events_repo.events_after(session, after_id, tenant=tenant, every_tenant=operator and tenant is None,
                                    limit=limit)
    return [row_to_event(r) for r in rows]
