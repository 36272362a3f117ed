"""Webhooks, their deliveries and the delivery log: the queries behind the API's webhook routes and
the dispatcher (`unilink.events.webhooks`).

Rules — who sees which hook, the per-tenant cap, retry and back-off — are not here: they are in the
callers. Rows are returned as the ORM objects of `store.tables.auth`, read inside the caller's session.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from unilink.store.tables.auth import EventRow, WebhookAttemptRow, WebhookDeliveryRow, WebhookRow
from unilink.store.tables.tenancy import Tenant

# -- hooks -----------------------------------------------------------------------------------------


def hooks(session: Session, tenant: str | None) -> list[WebhookRow]:
    """Hooks of one tenant, or every hook (None), by id."""
    query = select(WebhookRow).order_by(WebhookRow.id)
    if tenant is not None:
        query = query.where(WebhookRow.tenant == tenant)
    return list(session.scalars(query))


def hook(session: Session, hook_id: int) -> WebhookRow | None:
    return session.get(WebhookRow, hook_id)


def count_hooks_locked(session: Session, scope: str | None) -> int:
    """How many hooks `scope` (a tenant; None: the operator) has, counted under the tenant's row lock
    (PostgreSQL: two registrations of one tenant count one after the other)."""
    if scope is not None:
        session.execute(select(Tenant.id).where(Tenant.name == scope).with_for_update())
    owned = WebhookRow.tenant.is_(None) if scope is None else WebhookRow.tenant == scope
    return session.scalar(select(func.count()).select_from(WebhookRow).where(owned)) or 0


def add_hook(session: Session, *, tenant: str | None, url: str, secret: str, event_types: list[str],
             created_at: datetime) -> WebhookRow:
    row = WebhookRow(tenant=tenant, url=url, secret=secret, event_types=event_types, active=True,
                     created_at=created_at)
    session.add(row)
    session.flush()
    return row


def delete_hook(session: Session, row: WebhookRow) -> None:
    session.delete(row)


# -- deliveries, as the API lists them -------------------------------------------------------------

def deliveries(session: Session, hook_id: int, limit: int) -> list[tuple[WebhookDeliveryRow, str]]:
    """(delivery, event type) of the hook's newest `limit` deliveries, newest first."""
    rows = session.execute(
        select(WebhookDeliveryRow, EventRow.type).join(EventRow, EventRow.id == WebhookDeliveryRow.event_id)
        .where(WebhookDeliveryRow.webhook_id == hook_id).order_by(WebhookDeliveryRow.id.desc()).limit(limit))
    return [(delivery, event_type) for delivery, event_type in rows]


def attempts(session: Session, delivery_ids: list[int]) -> list[WebhookAttemptRow]:
    """The attempts of these deliveries, by delivery then attempt (one query for a whole page)."""
    return list(session.scalars(select(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(delivery_ids))
                                .order_by(WebhookAttemptRow.delivery_id, WebhookAttemptRow.attempt)))


# -- deliveries, as the dispatcher sends them ------------------------------------------------------

def due_hooks(session: Session, moment: datetime, busy: frozenset[int], limit: int) -> list[tuple[int, str | None]]:
    """(hook, tenant) of up to `limit` hooks with a delivery due at `moment`, none of `busy`, oldest
    due delivery first."""
    oldest = func.min(WebhookDeliveryRow.id)
    query = (select(WebhookDeliveryRow.webhook_id, WebhookRow.tenant)
             .join(WebhookRow, WebhookRow.id == WebhookDeliveryRow.webhook_id)
             .where(WebhookDeliveryRow.state == "pending", WebhookDeliveryRow.next_attempt_at <= moment)
             .group_by(WebhookDeliveryRow.webhook_id, WebhookRow.tenant).order_by(oldest).limit(limit))
    if busy:  # in SQL, so that a page of busy hooks cannot hide the others
        query = query.where(WebhookDeliveryRow.webhook_id.notin_(sorted(busy)))
    return [(hook_id, tenant) for hook_id, tenant in session.execute(query)]


def due_deliveries(session: Session, hook_id: int, moment: datetime, limit: int) -> list[tuple[int, datetime]]:
    """(delivery, planned attempt time) of the hook's first `limit` deliveries due at `moment`, by id."""
    query = (select(WebhookDeliveryRow.id, WebhookDeliveryRow.next_attempt_at)
             .where(WebhookDeliveryRow.webhook_id == hook_id, WebhookDeliveryRow.state == "pending",
                    WebhookDeliveryRow.next_attempt_at <= moment)
             .order_by(WebhookDeliveryRow.id).limit(limit))
    return [(delivery_id, planned) for delivery_id, planned in session.execute(query)]


def claim(session: Session, delivery_id: int, planned: datetime, lease_until: datetime) -> bool:
    """Move a pending delivery's next attempt to `lease_until` if it is still planned at `planned`:
    True for the one process whose UPDATE matched (it sends the delivery)."""
    result = session.execute(
        update(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.state == "pending",
               WebhookDeliveryRow.next_attempt_at == planned)
        .values(next_attempt_at=lease_until))
    return result.rowcount == 1


def delivery_parts(session: Session, delivery_id: int) -> tuple[WebhookRow, EventRow] | None:
    """The hook and the event of a delivery (None once any of the three is gone)."""
    delivery = session.get(WebhookDeliveryRow, delivery_id)
    row = session.get(WebhookRow, delivery.webhook_id) if delivery else None
    event_row = session.get(EventRow, delivery.event_id) if delivery else None
    if delivery is None or row is None or event_row is None:
        return None
    return row, event_row


def log_attempt(session: Session, delivery_id: int, *, at: datetime, status: int | None, error: str | None,
                duration_ms: float) -> WebhookDeliveryRow | None:
    """Count one more attempt of the delivery and log it; the delivery (its state is the caller's to
    set), or None if it is gone."""
    delivery = session.get(WebhookDeliveryRow, delivery_id)
    if delivery is None:
        return None
    delivery.attempts += 1
    session.add(WebhookAttemptRow(delivery_id=delivery_id, attempt=delivery.attempts, at=at, status=status,
                                  error=error, duration_ms=duration_ms))
    delivery.last_status, delivery.last_error = status, error
    return delivery
