"""Services domain tables (ENGINE): intents, deployed state, plans, reservations, pools, orders, history.

- `intent_versions`: every desired-state document a tenant gave, numbered 1, 2, 3… (a revert copies an
  old one into a new version).
- `deployments`: per tenant, what is in place now (the effective intent and the physical accesses)
  and a `revision` that bumps on every apply; a plan's fingerprint includes it.
- `plans`: what `engine.plan` computed, kept until applied, cancelled or expired; `apply` runs this
  content. A tenant's newest `ready` plan holds what it books and allocates (engine.holds).
- `reservations`: bandwidth held per service, link and direction over [start_at, end_at) (end NULL =
  open-ended); the in-memory ledger is rebuilt from these rows.
- `pool_allocations`: VLANs (per router), PE–CE point-to-point subnets, RDs, RTs, VNIs; UNIQUE per
  pool and scope, both by value and by owner, so that two plans can never hand out the same one.
- `service_orders`: field work (TMF641 states) whose completion applies the logical part.
- `change_history`: who changed what, when, why.
- `engine_state`: one row; applies update it first, which serialises writers (row lock on
  PostgreSQL, the write lock on SQLite) and gives the ledger a sequence number to detect staleness.
- `device_configs`: the engine's device model until the device layer takes over: config per router.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime

PLAN_STATUSES = ("ready", "applied", "superseded", "failed", "cancelled")  # cancelled: 0007
_TZ = UtcDateTime()
_TENANT_FK = "tenants.id"


class IntentVersionRow(Base):
    __tablename__ = "intent_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey(_TENANT_FK, ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(_TZ)


class DeploymentRow(Base):
    __tablename__ = "deployments"

    tenant_id: Mapped[int] = mapped_column(ForeignKey(_TENANT_FK, ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    intent_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the effective intent in place
    physical: Mapped[dict[str, Any]] = mapped_column(JSON)  # site → {technology, provider, port}
    updated_at: Mapped[datetime] = mapped_column(_TZ)


class PlanRow(Base):
    __tablename__ = "plans"
    __table_args__ = (CheckConstraint("status IN ('ready', 'applied', 'superseded', 'failed', 'cancelled')",
                                      name="status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey(_TENANT_FK, ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(_TZ)
    expires_at: Mapped[datetime] = mapped_column(_TZ)
    applied_at: Mapped[datetime | None] = mapped_column(_TZ, nullable=True)
    # the tenant's newest ready plan: holds its bookings and pool values (engine.holds; 0007)
    holds: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)


class ReservationRow(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("direction IN ('ab', 'ba')", name="direction"),
        CheckConstraint("bps > 0", name="bps_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey(_TENANT_FK, ondelete="CASCADE"), index=True)
    service: Mapped[str] = mapped_column(String(200))  # "<service>" or "<service>@<site>" for a usage
    link: Mapped[str] = mapped_column(String(200))     # link name of the inventory
    direction: Mapped[str] = mapped_column(String(2))  # ab: from link.a to link.b
    bps: Mapped[int] = mapped_column(BigInteger)
    start_at: Mapped[datetime] = mapped_column(_TZ)
    end_at: Mapped[datetime | None] = mapped_column(_TZ, nullable=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(_TZ, nullable=True)
    priority: Mapped[int] = mapped_column(Integer)


class PoolAllocationRow(Base):
    __tablename__ = "pool_allocations"
    __table_args__ = (UniqueConstraint("pool", "scope", "value"), UniqueConstraint("pool", "scope", "owner"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey(_TENANT_FK, ondelete="CASCADE"), index=True)
    pool: Mapped[str] = mapped_column(String(16))    # vlan | p2p | rd | rt | vni
    scope: Mapped[str] = mapped_column(String(64))   # router name for VLANs, "" for global pools
    value: Mapped[int] = mapped_column(BigInteger)
    owner: Mapped[str] = mapped_column(String(200))  # "<tenant>/<site>" or "<tenant>/<vpn>"


class ServiceOrderRow(Base):
    __tablename__ = "service_orders"
    __table_args__ = (CheckConstraint("state IN ('acknowledged', 'inProgress', 'held', 'pending', 'completed', "
                                      "'failed', 'cancelled')", name="state"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey(_TENANT_FK, ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # engine.fieldwork.ORDER_KINDS
    site: Mapped[str] = mapped_column(String(80))  # the site, or "<site>:backup" for its backup line (0006)
    description: Mapped[str] = mapped_column(String(500))
    item: Mapped[dict[str, Any]] = mapped_column(JSON)  # the site as ordered (access spec)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(_TZ)
    due_at: Mapped[datetime] = mapped_column(_TZ)
    updated_at: Mapped[datetime] = mapped_column(_TZ)


class ChangeHistoryRow(Base):
    __tablename__ = "change_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey(_TENANT_FK, ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(_TZ)
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(32))  # apply | revert | scheduler | order-completed | order
    plan_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    intent_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class EngineStateRow(Base):
    __tablename__ = "engine_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ledger_seq: Mapped[int] = mapped_column(BigInteger)

