"""Billing tables: issued invoices and credit notes, their lines, and each issuer's number sequence.

- `invoice_sequences`: per issuer, the last number it gave. The issue takes the next one in its own
  transaction (`UPDATE … SET last_number = last_number + 1`, a row lock on PostgreSQL, the write lock
  on SQLite), so two issues never share a number and a refused or rolled-back issue leaves no gap.
- `invoices`: one row per issued document (an invoice, or a credit note that `corrects` one). Never
  updated: a correction is a credit note. UNIQUE per issuer and sequence number, and one invoice per
  tenant and month (a partial unique index: credit notes are not limited).
- `invoice_lines`: the lines as issued, in order; with the figures they came from (`detail`).

Tenants are not deleted from under their invoices (no ON DELETE CASCADE: the law keeps invoices ten
years).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime

Cents = BigInteger().with_variant(Integer, "sqlite")
INVOICES_ONLY = text("kind = 'invoice'")


class InvoiceSequenceRow(Base):
    __tablename__ = "invoice_sequences"

    issuer: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class InvoiceRow(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("issuer", "seq"),
        UniqueConstraint("number"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        CheckConstraint("total_cents = net_cents + vat_cents", name="total_adds_up"),
        Index("uq_invoices_tenant_period", "tenant_id", "period", unique=True,
              sqlite_where=INVOICES_ONLY, postgresql_where=INVOICES_ONLY),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(8))
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))    # the month billed, "2026-11"
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    currency: Mapped[str] = mapped_column(String(3))
    net_cents: Mapped[int] = mapped_column(Cents)
    vat_percent: Mapped[int] = mapped_column(Integer)
    vat_cents: Mapped[int] = mapped_column(Cents)
    total_cents: Mapped[int] = mapped_column(Cents)
    buyer: Mapped[dict[str, Any]] = mapped_column(JSON)   # the buyer's details as invoiced
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True, index=True)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(100))


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, 2, 3… as printed
    kind: Mapped[str] = mapped_column(String(16))    # billing.lines.LINE_KINDS
    key: Mapped[str] = mapped_column(String(300))
    item: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)   # hours, or 1
    cents: Mapped[int] = mapped_column(Cents)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
