"""The `events` table and the webhook deliveries each event owes, as `unilink.events.publish` writes and
reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from unilink.store.tables.auth import EventRow, WebhookDeliveryRow, WebhookRow


def insert_event(session: Session, *, at: datetime, type: str, tenant: str | None, data: dict[str, Any]
                 ) -> EventRow:
    row = EventRow(at=at, type=type, tenant=tenant, data=data)
    session.add(row)
    session.flush()
    return row


def active_hooks(session: Session, tenant: str | None, only_hook: int | None = None) -> list[WebhookRow]:
    """The active webhooks an event of `tenant` goes to: operator hooks (tenant NULL) receive every
    event, a tenant's hooks only that tenant's; `only_hook`: that one alone."""
    return list(session.scalars(select(WebhookRow).where(
        WebhookRow.active.is_(True),
        or_(WebhookRow.tenant.is_(None), WebhookRow.tenant == tenant) if tenant else WebhookRow.tenant.is_(None),
        *([WebhookRow.id == only_hook] if only_hook is not None else []),
    )))


def queue_delivery(session: Session, *, webhook_id: int, event_id: int, at: datetime) -> None:
    session.add(WebhookDeliveryRow(webhook_id=webhook_id, event_id=event_id, state="pending", attempts=0,
                                   next_attempt_at=at, created_at=at))


def events_after(session: Session, after_id: int, *, tenant: str | None, every_tenant: bool, limit: int
                 ) -> list[EventRow]:
    """Events with id > after_id, oldest first: one tenant's (None: the operator-wide ones) unless
    `every_tenant`."""
    query = select(EventRow).where(EventRow.id > after_id)
    if not every_tenant:
        query = query.where(EventRow.tenant == tenant)
    return list(session.scalars(query.order_by(EventRow.id).limit(limit)))
