"""services: an order's `site` holds `<site>:backup` for a backup line's order (up to 64 + 7 characters).

A site name is up to 64 characters; the order for its backup line is keyed `<site>:backup` (see
`unilink.engine.fieldwork.backup_key`), which PostgreSQL would refuse in a VARCHAR(64).

Revision ID: 0006_order_site_key
Revises: 0002_services
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_order_site_key"
down_revision = "0002_services"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_orders") as batch:
        batch.alter_column("site", existing_type=sa.String(64), type_=sa.String(80), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("service_orders") as batch:
        batch.alter_column("site", existing_type=sa.String(80), type_=sa.String(64), existing_nullable=False)
