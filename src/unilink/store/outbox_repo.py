"""The outbox's rows (see `unilink.store.tables.outbox`): written in a change's transaction, read and
marked by the delivery (`unilink.events.outbox_delivery`).

`add` takes the caller's session, so that a message commits or rolls back with the change it tells
of. `claim` marks a row delivered only if nobody did meanwhile (an UPDATE … WHERE delivered_at IS
NULL): two processes draining at once never deliver a row twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from unilink.store.db import connection_of
from unilink.store.tables.outbox import OutboxRow

OutboxSession = Session  # what the engine hands to its after-apply hook and the orders to theirs

_INSERT = insert(OutboxRow)
_PENDING = (select(OutboxRow.id, OutboxRow.topic, OutboxRow.tenant, OutboxRow.payload, OutboxRow.attempts,
                   OutboxRow.created_at)
            .where(OutboxRow.delivered_at.is_(None), OutboxRow.attempts < bindparam("max_attempts"))
            .order_by(OutboxRow.id).limit(bindparam("limit")))
_CLAIM = (update(OutboxRow).where(OutboxRow.id == bindparam("b_id"), OutboxRow.delivered_at.is_(None))
          .values(delivered_at=bindparam("b_at"), event_id=bindparam("b_event")))
_FAILED = (update(OutboxRow).where(OutboxRow.id == bindparam("b_id"))
           .values(attempts=OutboxRow.attempts + 1, last_error=bindparam("b_error")))


@dataclass(frozen=True, slots=True)
class Message:
    """A pending outbox row."""

    id: int
    topic: str
    tenant: str | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime  # when the change it tells of was made (UTC)


def add(session: Session, *, topic: str, tenant: str | None, payload: dict[str, Any], at: datetime) -> None:
    """Record a message in the caller's transaction (it commits, or rolls back, with the change)."""
    connection_of(session).execute(_INSERT, {"created_at": at, "topic": topic, "tenant": tenant,
                                             "payload": payload, "attempts": 0})


def pending(session: Session, *, limit: int, max_attempts: int) -> list[Message]:
    """Undelivered rows in commit order (ids grow), skipping those given up after `max_attempts`."""
    rows = connection_of(session).execute(_PENDING, {"limit": limit, "max_attempts": max_attempts})
    return [Message(int(r.id), r.topic, r.tenant, dict(r.payload or {}), int(r.attempts), r.created_at)
            for r in rows]


def claim(session: Session, message_id: int, *, at: datetime, event_id: int) -> bool:
    """Mark a row delivered as `event_id`; False when another process delivered it first."""
    done = connection_of(session).execute(_CLAIM, {"b_id": message_id, "b_at": at, "b_event": event_id})
    return bool(done.rowcount)


def failed(session: Session, message_id: int, error: str) -> None:
    """Count a failed delivery of a row (it stays pending until `max_attempts`)."""
    connection_of(session).execute(_FAILED, {"b_id": message_id, "b_error": error[:2000]})


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """One message's delivery: undone alone when it fails, the others of the batch kept."""
    with session.begin_nested():
        yield


def counts(session: Session) -> dict[str, int]:
    """How many rows are delivered, pending, and given up (for tests and `unilink db` reports)."""
    delivered = func.count(OutboxRow.delivered_at)
    total = func.count(OutboxRow.id)
    found = session.execute(select(total, delivered)).one()
    return {"total": int(found[0]), "delivered": int(found[1]), "pending": int(found[0]) - int(found[1])}


def rows(session: Session, *, tenant: str | None = None) -> list[dict[str, Any]]:
    """Every row as a dict, oldest first (tests compare what entry points recorded)."""
    query = select(OutboxRow).order_by(OutboxRow.id)
    if tenant is not None:
        query = query.where(OutboxRow.tenant == tenant)
    return [{"id": r.id, "topic": r.topic, "tenant": r.tenant, "payload": r.payload,
             "delivered": r.delivered_at is not None, "event_id": r.event_id, "attempts": r.attempts}
            for r in session.scalars(query)]
