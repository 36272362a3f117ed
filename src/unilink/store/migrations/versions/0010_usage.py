"""usage: measured traffic — one series per router interface, samples at 5 min / 1 h / 1 day.

After 0009_campaigns (on the coop branch; it needs no table of another domain). Upgrades go to every
head (see store.db).

Revision ID: 0010_usage
Revises: 0009_campaigns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_usage"
down_revision = "0009_campaigns"
branch_labels = None
depends_on = None


def _octets() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "usage_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("router", sa.String(64), nullable=False),
        sa.Column("interface", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("link", sa.String(200), nullable=False),
        sa.Column("out_direction", sa.String(8), nullable=False),
        sa.Column("in_direction", sa.String(8), nullable=False),
        sa.Column("octets_in_total", _octets(), nullable=False),
        sa.Column("octets_out_total", _octets(), nullable=False),
        sa.Column("last_in_bps", _octets(), nullable=False),
        sa.Column("last_out_bps", _octets(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raw_in", sa.String(20), nullable=True),
        sa.Column("raw_out", sa.String(20), nullable=True),
        sa.Column("raw_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raw_width", sa.Integer(), nullable=True),
        sa.Column("raw_uptime_s", sa.Float(), nullable=True),
        sa.Column("raw_marker", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_usage_series"),
        sa.UniqueConstraint("router", "interface", name="uq_usage_series_router_interface"),
    )
    op.create_index("ix_usage_series_tenant", "usage_series", ["tenant"])
    op.create_table(
        "usage_samples",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("octets_in", _octets(), nullable=False),
        sa.Column("octets_out", _octets(), nullable=False),
        sa.Column("max_in_bps", _octets(), nullable=False),
        sa.Column("max_out_bps", _octets(), nullable=False),
        sa.Column("covered_s", sa.Integer(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["usage_series.id"], name="fk_usage_samples_series_id_usage_series",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("series_id", "resolution", "start", name="pk_usage_samples"),
    )
    op.create_index("ix_usage_samples_resolution_start", "usage_samples", ["resolution", "start"])


def downgrade() -> None:
    op.drop_index("ix_usage_samples_resolution_start", table_name="usage_samples")
    op.drop_table("usage_samples")
    op.drop_index("ix_usage_series_tenant", table_name="usage_series")
    op.drop_table("usage_series")
