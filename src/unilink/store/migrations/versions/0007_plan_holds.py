"""services: plans hold what they book and allocate (`plans.holds`), and can be `cancelled`.

A tenant's newest ready plan holds its capacity and pool values until it is applied, cancelled or
expires (engine.holds); `holds` marks that plan, so that a restarted process holds the same.

Revision ID: 0007_plan_holds
Revises: 0006_order_site_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_plan_holds"
down_revision = "0006_order_site_key"
branch_labels = None
depends_on = None

_OLD = "status IN ('ready', 'applied', 'superseded', 'failed')"
_NEW = "status IN ('ready', 'applied', 'superseded', 'failed', 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_constraint("ck_plans_status", type_="check")
        batch.create_check_constraint(op.f("ck_plans_status"), _NEW)
        batch.add_column(sa.Column("holds", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index(op.f("ix_plans_holds"), ["holds"])


def downgrade() -> None:
    op.execute("UPDATE plans SET status = 'superseded' WHERE status = 'cancelled'")
    with op.batch_alter_table("plans") as batch:
        batch.drop_index(op.f("ix_plans_holds"))
        batch.drop_column("holds")
        batch.drop_constraint("ck_plans_status", type_="check")
        batch.create_check_constraint(op.f("ck_plans_status"), _OLD)
