"""billing: issued invoices and credit notes, their lines, each issuer's gap-free number sequence.

A domain of its own, so a branch of its own off the root (like coop): it needs only `tenants` (0001).
Upgrades go to every head (see store.db).

Revision ID: 0011_billing
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_billing"
down_revision = "0001"
branch_labels = ("billing",)
depends_on = None

INVOICES_ONLY = sa.text("kind = 'invoice'")


def _cents() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "invoice_sequences",
        sa.Column("issuer", sa.String(8), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", name="pk_invoice_sequences"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(8), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("net_cents", _cents(), nullable=False),
        sa.Column("vat_percent", sa.Integer(), nullable=False),
        sa.Column("vat_cents", _cents(), nullable=False),
        sa.Column("total_cents", _cents(), nullable=False),
        sa.Column("buyer", sa.JSON(), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name="ck_invoices_kind"),
        sa.CheckConstraint("total_cents = net_cents + vat_cents", name="ck_invoices_total_adds_up"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_invoices_tenant_id_tenants"),
        sa.ForeignKeyConstraint(["corrects_id"], ["invoices.id"], name="fk_invoices_corrects_id_invoices"),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint("issuer", "seq", name="uq_invoices_issuer_seq"),
        sa.UniqueConstraint("number", name="uq_invoices_number"),
    )
    op.create_index("ix_invoices_tenant_id", "invoices", ["tenant_id"])
    op.create_index("ix_invoices_corrects_id", "invoices", ["corrects_id"])
    op.create_index("uq_invoices_tenant_period", "invoices", ["tenant_id", "period"], unique=True,
                    sqlite_where=INVOICES_ONLY, postgresql_where=INVOICES_ONLY)
    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("item", sa.String(500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("cents", _cents(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name="fk_invoice_lines_invoice_id_invoices"),
        sa.PrimaryKeyConstraint("invoice_id", "position", name="pk_invoice_lines"),
    )


def downgrade() -> None:
    op.drop_table("invoice_lines")
    op.drop_index("uq_invoices_tenant_period", table_name="invoices")
    op.drop_index("ix_invoices_corrects_id", table_name="invoices")
    op.drop_index("ix_invoices_tenant_id", table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("invoice_sequences")
