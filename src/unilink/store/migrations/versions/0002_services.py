"""services: intent versions, deployments, plans, reservations, pools, orders, history, engine state.

Hand-written; mirrors `unilink.store.tables.services`. Constraint names follow
`unilink.store.base.NAMING_CONVENTION`.

Revision ID: 0002_services
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_services"
down_revision = "0001"
branch_labels = ("services",)
depends_on = None


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _tenant(table: str) -> list[sa.SchemaItem]:
    return [sa.Column("tenant_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants",
                                    ondelete="CASCADE")]


def upgrade() -> None:
    op.create_table(
        "intent_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant("intent_versions"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intent_versions"),
        sa.UniqueConstraint("tenant_id", "version", name="uq_intent_versions_tenant_id_version"),
    )
    op.create_index("ix_intent_versions_tenant_id", "intent_versions", ["tenant_id"])

    op.create_table(
        "deployments",
        *_tenant("deployments"),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("intent_version", sa.Integer(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("physical", sa.JSON(), nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_deployments"),
    )

    op.create_table(
        "plans",
        sa.Column("id", sa.String(40), nullable=False),
        *_tenant("plans"),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("expires_at", _tz(), nullable=False),
        sa.Column("applied_at", _tz(), nullable=True),
        sa.CheckConstraint("status IN ('ready', 'applied', 'superseded', 'failed')", name="ck_plans_status"),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
    )
    op.create_index("ix_plans_tenant_id", "plans", ["tenant_id"])

    op.create_table(
        "reservations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        *_tenant("reservations"),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("direction", sa.String(2), nullable=False),
        sa.Column("bps", sa.BigInteger(), nullable=False),
        sa.Column("start_at", _tz(), nullable=False),
        sa.Column("end_at", _tz(), nullable=True),
        sa.Column("hold_expires_at", _tz(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.CheckConstraint("direction IN ('ab', 'ba')", name="ck_reservations_direction"),
        sa.CheckConstraint("bps > 0", name="ck_reservations_bps_positive"),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
    )
    op.create_index("ix_reservations_tenant_id", "reservations", ["tenant_id"])

    op.create_table(
        "pool_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant("pool_allocations"),
        sa.Column("pool", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pool_allocations"),
        sa.UniqueConstraint("pool", "scope", "value", name="uq_pool_allocations_pool_scope_value"),
        sa.UniqueConstraint("pool", "scope", "owner", name="uq_pool_allocations_pool_scope_owner"),
    )
    op.create_index("ix_pool_allocations_tenant_id", "pool_allocations", ["tenant_id"])

    op.create_table(
        "service_orders",
        sa.Column("id", sa.String(40), nullable=False),
        *_tenant("service_orders"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(40), nullable=True),
        sa.Column("requested_at", _tz(), nullable=False),
        sa.Column("due_at", _tz(), nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
        sa.CheckConstraint("state IN ('acknowledged', 'inProgress', 'held', 'pending', 'completed', 'failed', "
                           "'cancelled')", name="ck_service_orders_state"),
        sa.PrimaryKeyConstraint("id", name="pk_service_orders"),
    )
    op.create_index("ix_service_orders_tenant_id", "service_orders", ["tenant_id"])

    op.create_table(
        "change_history",
        sa.Column("id", sa.Integer(), nullable=False),
        *_tenant("change_history"),
        sa.Column("at", _tz(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("plan_id", sa.String(40), nullable=True),
        sa.Column("intent_version", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_history"),
    )
    op.create_index("ix_change_history_tenant_id", "change_history", ["tenant_id"])

    op.create_table(
        "engine_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_engine_state"),
    )
    op.bulk_insert(sa.table("engine_state", sa.column("id", sa.Integer()), sa.column("ledger_seq", sa.BigInteger())),
                   [{"id": 1, "ledger_seq": 0}])

    op.create_table(
        "device_configs",
        sa.Column("router", sa.String(64), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
        sa.PrimaryKeyConstraint("router", name="pk_device_configs"),
    )


def downgrade() -> None:
    for table in ("device_configs", "engine_state", "change_history", "service_orders", "pool_allocations",
                  "reservations", "plans", "deployments", "intent_versions"):
        op.drop_table(table)
