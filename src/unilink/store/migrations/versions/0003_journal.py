"""devices: device transaction journal and last committed config per router.

Hand-written; mirrors `unilink.store.tables.journal`. Constraint names follow
`unilink.store.base.NAMING_CONVENTION`.

Revision ID: 0003_journal
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_journal"
down_revision = "0001"
branch_labels = ("devices",)
depends_on = None

# Frozen copies of the model's checks as of this revision.
TX_STATE_CHECK = (
    "state IN ('started', 'preparing', 'committing', 'committed', 'done', "
    "'rolling_back', 'rolled_back', 'rollback_failed')"
)
STEP_STATE_CHECK = (
    "state IN ('pending', 'prepared', 'committed', 'verified', 'done', 'failed', 'rolled_back', 'rollback_failed')"
)


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "device_transactions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("plan_id", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_device_transactions"),
        sa.CheckConstraint(TX_STATE_CHECK, name="ck_device_transactions_state"),
    )
    op.create_index("ix_device_transactions_state", "device_transactions", ["state"])
    op.create_table(
        "device_transaction_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(36), nullable=False),
        sa.Column("router", sa.String(64), nullable=False),
        sa.Column("vendor", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", _tz(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_device_transaction_steps"),
        sa.ForeignKeyConstraint(["transaction_id"], ["device_transactions.id"],
                                name="fk_device_transaction_steps_transaction_id_device_transactions",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("transaction_id", "router", name="uq_device_transaction_steps_transaction_id_router"),
        sa.CheckConstraint(STEP_STATE_CHECK, name="ck_device_transaction_steps_state"),
    )
    op.create_index("ix_device_transaction_steps_transaction_id", "device_transaction_steps", ["transaction_id"])
    op.create_table(
        "device_committed_configs",
        sa.Column("router", sa.String(64), nullable=False),
        sa.Column("vendor", sa.String(20), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("transaction_id", sa.String(36), nullable=True),
        sa.Column("committed_at", _tz(), nullable=False),
        sa.PrimaryKeyConstraint("router", name="pk_device_committed_configs"),
    )


def downgrade() -> None:
    op.drop_table("device_committed_configs")
    op.drop_index("ix_device_transaction_steps_transaction_id", table_name="device_transaction_steps")
    op.drop_table("device_transaction_steps")
    op.drop_index("ix_device_transactions_state", table_name="device_transactions")
    op.drop_table("device_transactions")
