"""auth: usernames unique per tenant (and among operators), no longer across every tenant.

A global unique username told a tenant admin that a name was taken by another tenant (the creation
was refused) — a way to learn the names of other customers' users. Each tenant now has its own
namespace; users sign in with their tenant and username (operators with no tenant).

Revision ID: 0007_users_per_tenant
Revises: 0004_auth
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_users_per_tenant"
down_revision = "0004_auth"
branch_labels = None
depends_on = None

OPERATORS_ONLY = sa.text("tenant_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_username", type_="unique")
        batch.create_unique_constraint("uq_users_tenant_id_username", ["tenant_id", "username"])
    # NULL tenant_ids are distinct in a unique constraint: operators get a partial unique index of their own
    op.create_index("uq_users_operator_username", "users", ["username"], unique=True,
                    sqlite_where=OPERATORS_ONLY, postgresql_where=OPERATORS_ONLY)


def downgrade() -> None:
    op.drop_index("uq_users_operator_username", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_tenant_id_username", type_="unique")
        batch.create_unique_constraint("uq_users_username", ["username"])
