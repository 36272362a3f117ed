"""usage alarms: the state of each (tenant, site, direction) watched for sustained use.

On the usage branch, after 0010_usage.

Revision ID: 0013_usage_alarms
Revises: 0010_usage
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_usage_alarms"
down_revision = "0010_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("peak_bps", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usage_alarms"),
        sa.UniqueConstraint("tenant", "site", "direction", name="uq_usage_alarms_tenant_site_direction"),
    )


def downgrade() -> None:
    op.drop_table("usage_alarms")
