"""A cooperative's members: households, the coop's plans, its lines, subscriptions, address pools and
what each subscription was given from them (migration 0012_members).

What the database itself guarantees, whatever the code above it does:
- one OPEN subscription (requested, active or suspended) per line: a partial unique index, so two
  requests racing for a line end with one subscription;
- an address (a pool's slot) is held by one LIVE allocation at a time: a partial unique index on
  (pool, slot) WHERE released_at IS NULL, so two activations racing for the lowest free slot end
  with one of them retrying (usecases.memberships) — never one address for two members;
- a line's port is used once per access router.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime

OPEN = text("state IN ('requested', 'active', 'suspended')")
LIVE = text("released_at IS NULL")


def _bps() -> BigInteger:
    return BigInteger().with_variant(Integer(), "sqlite")  # type: ignore[return-value]


class MemberRow(Base):
    __tablename__ = "coop_members"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MemberPlanRow(Base):
    __tablename__ = "coop_member_plans"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),
                      CheckConstraint("down_bps > 0 AND up_bps > 0 AND monthly_cents >= 0", name="values"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    down_bps: Mapped[int] = mapped_column(_bps())
    up_bps: Mapped[int] = mapped_column(_bps())
    monthly_cents: Mapped[int] = mapped_column(Integer)


class MemberLineRow(Base):
    __tablename__ = "coop_member_lines"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), UniqueConstraint("router", "port"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    router: Mapped[str] = mapped_column(String(64))
    port: Mapped[str] = mapped_column(String(48))
    ceiling_down_bps: Mapped[int] = mapped_column(_bps())
    ceiling_up_bps: Mapped[int] = mapped_column(_bps())


class AddressPoolRow(Base):
    __tablename__ = "coop_address_pools"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),
                      CheckConstraint("kind IN ('ipv4', 'cgnat', 'ipv6')", name="kind"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    prefix: Mapped[str] = mapped_column(String(64))
    port_block: Mapped[int | None] = mapped_column(Integer, nullable=True)
    delegated_length: Mapped[int | None] = mapped_column(Integer, nullable=True)


class MemberSettingsRow(Base):
    """Per coop: the trickle rate a suspended member is held at."""

    __tablename__ = "coop_member_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    trickle_bps: Mapped[int] = mapped_column(_bps())


class SubscriptionRow(Base):
    __tablename__ = "coop_subscriptions"
    __table_args__ = (
        CheckConstraint("state IN ('requested', 'active', 'suspended', 'ended')", name="state"),
        Index("uq_coop_subscriptions_open_line", "line_id", unique=True, sqlite_where=OPEN, postgresql_where=OPEN),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("coop_members.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("coop_member_plans.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("coop_member_lines.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    plan_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class AddressAllocationRow(Base):
    __tablename__ = "coop_address_allocations"
    __table_args__ = (
        Index("uq_coop_address_allocations_live_slot", "pool_id", "slot", unique=True,
              sqlite_where=LIVE, postgresql_where=LIVE),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("coop_address_pools.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("coop_subscriptions.id", ondelete="CASCADE"),
                                                 index=True)
    slot: Mapped[int] = mapped_column(_bps())
    value: Mapped[str] = mapped_column(String(80))  # "100.64.0.2:1024-2047", "2001:db8:10:100::/56"
    allocated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
