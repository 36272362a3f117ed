"""The outbox: what a change records for the world (events, capacity alarms), written in the change's own
transaction and delivered from there after the commit (see `unilink.events.outbox_delivery`).

A row is pending while `delivered_at` is NULL. Delivery turns it into an `events` row (and that event's
webhook deliveries) and marks it delivered in one transaction; rows left pending by a process that
died after its commit are delivered by the next one. A change that rolled back left no row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime

PENDING = text("delivered_at IS NULL")


class OutboxRow(Base):
    """One message owed to the event publishers, in the order the changes committed (ids grow)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "id", sqlite_where=PENDING, postgresql_where=PENDING),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    topic: Mapped[str] = mapped_column(String(64))  # an event type (unilink.events.model.EVENT_TYPES)
    tenant: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: operator-wide
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    event_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the event it became
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed deliveries so far
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
