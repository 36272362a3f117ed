"""Cooperative campaigns: campaigns, their zones, residents' pledges, the pledges' link tokens, refunds
owed, and the mail outbox (migration 0009_campaigns).

What the database itself guarantees, whatever the code above it does:
- one ACTIVE pledge (unconfirmed or confirmed) per normalised e-mail and per normalised address in a
  campaign: two partial unique indexes, so two requests racing end with one pledge;
- a token is stored only as its SHA-256, unique;
- a zone's `reached_at` is set once (the confirm transaction updates it WHERE reached_at IS NULL, under
  the zone's row lock), and its `design_state` moves by conditional UPDATEs only, so one process designs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
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

ACTIVE = text("status IN ('unconfirmed', 'confirmed')")
UNSENT = text("sent_at IS NULL")
PLEDGE_STATUSES = ("unconfirmed", "confirmed", "withdrawn", "lapsed")
# pending: reached, nobody designs yet · claimed: one process designs · designed | infeasible |
# order_failed | ordered: done (by that one process)
DESIGN_STATES = ("none", "pending", "claimed", "designed", "infeasible", "order_failed", "ordered")


class CampaignRow(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    max_extensions: Mapped[int] = mapped_column(Integer)
    extensions_used: Mapped[int] = mapped_column(Integer, default=0)
    share_price_cents: Mapped[int] = mapped_column(Integer)
    refund_rule: Mapped[str] = mapped_column(Text)
    plans: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(200))


class ZoneRow(Base):
    __tablename__ = "campaign_zones"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),
                      CheckConstraint("design_state IN ('none', 'pending', 'claimed', 'designed', 'infeasible', "
                                      "'order_failed', 'ordered')", name="design_state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # the zones' order in the spec
    name: Mapped[str] = mapped_column(String(64))
    commune: Mapped[str | None] = mapped_column(String(100), nullable=True)
    polygon: Mapped[list[list[float]]] = mapped_column(JSON)
    homes_passed: Mapped[int] = mapped_column(Integer)
    homes_source: Mapped[str] = mapped_column(String(300))
    target_subscribers: Mapped[int] = mapped_column(Integer)
    target_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    build_cost_cents: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime())
    extensions_used: Mapped[int] = mapped_column(Integer, default=0)
    reached_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    design_state: Mapped[str] = mapped_column(String(16), default="none")
    design: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    design_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    order_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class PledgeRow(Base):
    __tablename__ = "pledges"
    __table_args__ = (
        CheckConstraint("status IN ('unconfirmed', 'confirmed', 'withdrawn', 'lapsed')", name="status"),
        CheckConstraint("deposit_cents >= 0 AND shares >= 0 AND voucher_cents >= 0", name="money"),
        Index("uq_pledges_active_email", "campaign_id", "email_key", unique=True,
              sqlite_where=ACTIVE, postgresql_where=ACTIVE),
        Index("uq_pledges_active_address", "campaign_id", "address_key", unique=True,
              sqlite_where=ACTIVE, postgresql_where=ACTIVE),
        Index("ix_pledges_zone_id_status", "zone_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # random: ids never count pledges
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("campaign_zones.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(300))
    address_key: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    plan: Mapped[str] = mapped_column(String(64))
    deposit_cents: Mapped[int] = mapped_column(BigInteger)
    shares: Mapped[int] = mapped_column(Integer)
    voucher_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class PledgeTokenRow(Base):
    """A confirmation or withdrawal link's token, as its SHA-256 only; `used_at` makes it single-use."""

    __tablename__ = "pledge_tokens"
    __table_args__ = (CheckConstraint("purpose IN ('confirm', 'withdraw')", name="purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class RefundRow(Base):
    """What a pledge is owed back (a zone expired, or a confirmed pledge was withdrawn): one per pledge."""

    __tablename__ = "campaign_refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("campaign_zones.id", ondelete="CASCADE"))
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(String(16))  # expired | withdrawn
    deposit_cents: Mapped[int] = mapped_column(BigInteger)
    shares_cents: Mapped[int] = mapped_column(BigInteger)
    voucher_cents: Mapped[int] = mapped_column(BigInteger)  # back to the voucher's funder, not the resident
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MailRow(Base):
    """One e-mail owed to a resident: written in the transaction that needs it, sent after the commit."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_unsent", "id", sqlite_where=UNSENT, postgresql_where=UNSENT),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)  # a sender's lease
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
