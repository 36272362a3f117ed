"""tmf: the TM Forum façade's service orders, their links to field-work orders, cancellation requests
and event hub registrations.

A branch of its own off the root: it needs only `tenants` (0001). The links name native orders and
the hubs name webhooks by id (those tables are on other branches). Upgrades go to every head (see
store.db).

Revision ID: 0014_tmf
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_tmf"
down_revision = "0001"
branch_labels = ("tmf",)
depends_on = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tmf_service_orders",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("plan_id", sa.String(40), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE",
                                name="fk_tmf_service_orders_tenant_id_tenants"),
        sa.PrimaryKeyConstraint("seq", name="pk_tmf_service_orders"),
        sa.UniqueConstraint("id", name="uq_tmf_service_orders_id"),
    )
    op.create_index("ix_tmf_service_orders_tenant_id_seq", "tmf_service_orders", ["tenant_id", "seq"])
    op.create_table(
        "tmf_order_links",
        sa.Column("service_order_id", sa.String(40), nullable=False),
        sa.Column("native_order_id", sa.String(200), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["service_order_id"], ["tmf_service_orders.id"], ondelete="CASCADE",
                                name="fk_tmf_order_links_service_order_id_tmf_service_orders"),
        sa.PrimaryKeyConstraint("service_order_id", "native_order_id", name="pk_tmf_order_links"),
    )
    op.create_index("ix_tmf_order_links_native_order_id", "tmf_order_links", ["native_order_id"])
    op.create_table(
        "tmf_cancel_orders",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("service_order_id", sa.String(40), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE",
                                name="fk_tmf_cancel_orders_tenant_id_tenants"),
        sa.ForeignKeyConstraint(["service_order_id"], ["tmf_service_orders.id"], ondelete="CASCADE",
                                name="fk_tmf_cancel_orders_service_order_id_tmf_service_orders"),
        sa.PrimaryKeyConstraint("seq", name="pk_tmf_cancel_orders"),
        sa.UniqueConstraint("id", name="uq_tmf_cancel_orders_id"),
    )
    op.create_index("ix_tmf_cancel_orders_tenant_id", "tmf_cancel_orders", ["tenant_id"])
    op.create_table(
        "tmf_hubs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("api", sa.String(32), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=True),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("callback", sa.String(2000), nullable=False),
        sa.Column("query", sa.String(500), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tmf_hubs"),
    )
    op.create_index("ix_tmf_hubs_tenant", "tmf_hubs", ["tenant"])


def downgrade() -> None:
    op.drop_table("tmf_hubs")
    op.drop_table("tmf_cancel_orders")
    op.drop_table("tmf_order_links")
    op.drop_table("tmf_service_orders")
