"""Who may do what, and what they did: users, API tokens, the audit log; events and webhooks.

Tokens are stored as a clear `prefix` (to find the row) and the SHA-256 of their secret; the token
itself is shown once at creation. `tenant_id` is NULL for operator roles. The audit log keeps the
actor and tenant as text so that it outlives the rows it mentions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime

ROLE_CHECK = "role IN ('operator-admin', 'operator-viewer', 'tenant-admin', 'tenant-viewer', 'coop-manager')"
# Operator roles see every tenant and so belong to none; every other role belongs to exactly one.
TENANT_SCOPE_CHECK = ("(role IN ('operator-admin', 'operator-viewer') AND tenant_id IS NULL) OR "
                      "(role NOT IN ('operator-admin', 'operator-viewer') AND tenant_id IS NOT NULL)")


class UserRow(Base):
    """A user. Usernames are unique per tenant (each tenant its own namespace), and among operators."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"), CheckConstraint(TENANT_SCOPE_CHECK, name="scope"),
                      UniqueConstraint("tenant_id", "username"),
                      Index("uq_users_operator_username", "username", unique=True,
                            sqlite_where=text("tenant_id IS NULL"), postgresql_where=text("tenant_id IS NULL")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(256), nullable=True)  # argon2id; NULL: token only
    role: Mapped[str] = mapped_column(String(20))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True,
                                                  nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"), CheckConstraint(TENANT_SCOPE_CHECK, name="scope"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True,
                                                  nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class AuditRow(Base):
    """One write: who (subject and role), for which tenant, what (method, path, action), when, from where."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    subject: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    tenant: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(100))
    status: Mapped[int] = mapped_column(Integer)
    client: Mapped[str] = mapped_column(String(100))  # address the request came from
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class EventRow(Base):
    """Something that happened, in order: the source of the SSE stream and of webhook deliveries."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    type: Mapped[str] = mapped_column(String(64), index=True)
    tenant: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class WebhookRow(Base):
    """A receiver of events. `tenant` NULL: an operator hook that receives every tenant's events."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))  # the HMAC key; the receiver holds it too
    event_types: Mapped[list[str]] = mapped_column(JSON)  # empty: every type
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookDeliveryRow(Base):
    """One event owed to one webhook, and how delivering it went (attempts, last status, error)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="state"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookAttemptRow(Base):
    """The delivery log proper: one row per HTTP attempt, with its outcome."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # HTTP status; NULL: no answer
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[float] = mapped_column(Double)
