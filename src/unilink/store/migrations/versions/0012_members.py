"""members: a cooperative's households, its plans, lines, subscriptions, address pools and what each
subscription was given from them (docs/members.md).

A domain of its own, so a branch of its own off the root: it needs only `tenants` (0001). Upgrades
go to every head (see store.db). Two partial unique indexes hold what races must not break: one open
subscription per line, one live allocation per pool slot.

Revision ID: 0012_members
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_members"
down_revision = "0001"
branch_labels = ("members",)
depends_on = None

OPEN = sa.text("state IN ('requested', 'active', 'suspended')")
LIVE = sa.text("released_at IS NULL")


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _bps() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "coop_address_pools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("prefix", sa.String(length=64), nullable=False),
        sa.Column("port_block", sa.Integer(), nullable=True),
        sa.Column("delegated_length", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('ipv4', 'cgnat', 'ipv6')", name=op.f("ck_coop_address_pools_kind")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_coop_address_pools_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_address_pools")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_coop_address_pools_tenant_id_name")),
    )
    op.create_index(op.f("ix_coop_address_pools_tenant_id"), "coop_address_pools", ["tenant_id"], unique=False)
    op.create_table(
        "coop_member_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("router", sa.String(length=64), nullable=False),
        sa.Column("port", sa.String(length=48), nullable=False),
        sa.Column("ceiling_down_bps", _bps(), nullable=False),
        sa.Column("ceiling_up_bps", _bps(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_coop_member_lines_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_member_lines")),
        sa.UniqueConstraint("router", "port", name=op.f("uq_coop_member_lines_router_port")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_coop_member_lines_tenant_id_name")),
    )
    op.create_index(op.f("ix_coop_member_lines_tenant_id"), "coop_member_lines", ["tenant_id"], unique=False)
    op.create_table(
        "coop_member_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("down_bps", _bps(), nullable=False),
        sa.Column("up_bps", _bps(), nullable=False),
        sa.Column("monthly_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "down_bps > 0 AND up_bps > 0 AND monthly_cents >= 0", name=op.f("ck_coop_member_plans_values")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_coop_member_plans_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_member_plans")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_coop_member_plans_tenant_id_name")),
    )
    op.create_index(op.f("ix_coop_member_plans_tenant_id"), "coop_member_plans", ["tenant_id"], unique=False)
    op.create_table(
        "coop_member_settings",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("trickle_bps", _bps(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_coop_member_settings_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_coop_member_settings")),
    )
    op.create_table(
        "coop_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_coop_members_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_members")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_coop_members_tenant_id_email")),
    )
    op.create_index(op.f("ix_coop_members_tenant_id"), "coop_members", ["tenant_id"], unique=False)
    op.create_table(
        "coop_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", _when(), nullable=False),
        sa.Column("activated_at", _when(), nullable=True),
        sa.Column("suspended_at", _when(), nullable=True),
        sa.Column("ended_at", _when(), nullable=True),
        sa.Column("plan_changed_at", _when(), nullable=True),
        sa.CheckConstraint(
            "state IN ('requested', 'active', 'suspended', 'ended')", name=op.f("ck_coop_subscriptions_state")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["coop_member_lines.id"], name=op.f("fk_coop_subscriptions_line_id_coop_member_lines")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["coop_members.id"],
            name=op.f("fk_coop_subscriptions_member_id_coop_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["coop_member_plans.id"], name=op.f("fk_coop_subscriptions_plan_id_coop_member_plans")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_coop_subscriptions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_subscriptions")),
    )
    op.create_index(op.f("ix_coop_subscriptions_line_id"), "coop_subscriptions", ["line_id"], unique=False)
    op.create_index(op.f("ix_coop_subscriptions_member_id"), "coop_subscriptions", ["member_id"], unique=False)
    op.create_index(op.f("ix_coop_subscriptions_plan_id"), "coop_subscriptions", ["plan_id"], unique=False)
    op.create_index(op.f("ix_coop_subscriptions_tenant_id"), "coop_subscriptions", ["tenant_id"], unique=False)
    op.create_index(
        "uq_coop_subscriptions_open_line",
        "coop_subscriptions",
        ["line_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_table(
        "coop_address_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("slot", _bps(), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("allocated_at", _when(), nullable=False),
        sa.Column("released_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["coop_address_pools.id"],
            name=op.f("fk_coop_address_allocations_pool_id_coop_address_pools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["coop_subscriptions.id"],
            name=op.f("fk_coop_address_allocations_subscription_id_coop_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_address_allocations")),
    )
    op.create_index(op.f("ix_coop_address_allocations_pool_id"), "coop_address_allocations", ["pool_id"], unique=False)
    op.create_index(
        op.f("ix_coop_address_allocations_subscription_id"),
        "coop_address_allocations",
        ["subscription_id"],
        unique=False,
    )
    op.create_index(
        "uq_coop_address_allocations_live_slot",
        "coop_address_allocations",
        ["pool_id", "slot"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index(
        "uq_coop_address_allocations_live_slot",
        table_name="coop_address_allocations",
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.drop_index(op.f("ix_coop_address_allocations_subscription_id"), table_name="coop_address_allocations")
    op.drop_index(op.f("ix_coop_address_allocations_pool_id"), table_name="coop_address_allocations")
    op.drop_table("coop_address_allocations")
    op.drop_index(
        "uq_coop_subscriptions_open_line", table_name="coop_subscriptions", sqlite_where=OPEN, postgresql_where=OPEN
    )
    op.drop_index(op.f("ix_coop_subscriptions_tenant_id"), table_name="coop_subscriptions")
    op.drop_index(op.f("ix_coop_subscriptions_plan_id"), table_name="coop_subscriptions")
    op.drop_index(op.f("ix_coop_subscriptions_member_id"), table_name="coop_subscriptions")
    op.drop_index(op.f("ix_coop_subscriptions_line_id"), table_name="coop_subscriptions")
    op.drop_table("coop_subscriptions")
    op.drop_index(op.f("ix_coop_members_tenant_id"), table_name="coop_members")
    op.drop_table("coop_members")
    op.drop_table("coop_member_settings")
    op.drop_index(op.f("ix_coop_member_plans_tenant_id"), table_name="coop_member_plans")
    op.drop_table("coop_member_plans")
    op.drop_index(op.f("ix_coop_member_lines_tenant_id"), table_name="coop_member_lines")
    op.drop_table("coop_member_lines")
    op.drop_index(op.f("ix_coop_address_pools_tenant_id"), table_name="coop_address_pools")
    op.drop_table("coop_address_pools")
