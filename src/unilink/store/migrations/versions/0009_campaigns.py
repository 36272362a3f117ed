"""coop: demand-aggregation campaigns — campaigns, zones, pledges, their link tokens, refunds, mail outbox.

A domain of its own, so a branch of its own off the root (like services, devices and auth): it needs
only `tenants` (0001). Upgrades go to every head (see store.db). The partial unique indexes hold one
ACTIVE pledge per normalised e-mail and per normalised address in a campaign, whatever races.

Revision ID: 0009_campaigns
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_campaigns"
down_revision = "0001"
branch_labels = ("coop",)
depends_on = None

ACTIVE = sa.text("status IN ('unconfirmed', 'confirmed')")
UNSENT = sa.text("sent_at IS NULL")
_DESIGN_STATES = "design_state IN ('none', 'pending', 'claimed', 'designed', 'infeasible', 'order_failed', 'ordered')"


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("deadline", _when(), nullable=False),
        sa.Column("max_extensions", sa.Integer(), nullable=False),
        sa.Column("extensions_used", sa.Integer(), nullable=False),
        sa.Column("share_price_cents", sa.Integer(), nullable=False),
        sa.Column("refund_rule", sa.Text(), nullable=False),
        sa.Column("plans", sa.JSON(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_campaigns_tenant_id_tenants",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
        sa.UniqueConstraint("name", name="uq_campaigns_name"),
    )
    op.create_index("ix_campaigns_tenant_id", "campaigns", ["tenant_id"])
    op.create_table(
        "campaign_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("commune", sa.String(100), nullable=True),
        sa.Column("polygon", sa.JSON(), nullable=False),
        sa.Column("homes_passed", sa.Integer(), nullable=False),
        sa.Column("homes_source", sa.String(300), nullable=False),
        sa.Column("target_subscribers", sa.Integer(), nullable=False),
        sa.Column("target_share", sa.Float(), nullable=True),
        sa.Column("build_cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("deadline", _when(), nullable=False),
        sa.Column("extensions_used", sa.Integer(), nullable=False),
        sa.Column("reached_at", _when(), nullable=True),
        sa.Column("expired_at", _when(), nullable=True),
        sa.Column("design_state", sa.String(16), nullable=False),
        sa.Column("design", sa.JSON(), nullable=True),
        sa.Column("design_error", sa.Text(), nullable=True),
        sa.Column("plan_id", sa.String(64), nullable=True),
        sa.Column("order_ids", sa.JSON(), nullable=False),
        sa.CheckConstraint(_DESIGN_STATES, name="ck_campaign_zones_design_state"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_campaign_zones_campaign_id_campaigns",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_zones"),
        sa.UniqueConstraint("campaign_id", "name", name="uq_campaign_zones_campaign_id_name"),
    )
    op.create_index("ix_campaign_zones_campaign_id", "campaign_zones", ["campaign_id"])
    _pledges()
    _tokens_refunds_mail()


def _pledges() -> None:
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("address_key", sa.String(300), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("deposit_cents", sa.BigInteger(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("voucher_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("confirmed_at", _when(), nullable=True),
        sa.Column("withdrawn_at", _when(), nullable=True),
        sa.CheckConstraint("status IN ('unconfirmed', 'confirmed', 'withdrawn', 'lapsed')", name="ck_pledges_status"),
        sa.CheckConstraint("deposit_cents >= 0 AND shares >= 0 AND voucher_cents >= 0", name="ck_pledges_money"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_pledges_campaign_id_campaigns",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["zone_id"], ["campaign_zones.id"], name="fk_pledges_zone_id_campaign_zones",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_pledges"),
        sa.UniqueConstraint("public_id", name="uq_pledges_public_id"),
    )
    op.create_index("uq_pledges_active_email", "pledges", ["campaign_id", "email_key"], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_index("uq_pledges_active_address", "pledges", ["campaign_id", "address_key"], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_index("ix_pledges_zone_id_status", "pledges", ["zone_id", "status"])


def _tokens_refunds_mail() -> None:
    op.create_table(
        "pledge_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("expires_at", _when(), nullable=False),
        sa.Column("used_at", _when(), nullable=True),
        sa.CheckConstraint("purpose IN ('confirm', 'withdraw')", name="ck_pledge_tokens_purpose"),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledges.id"], name="fk_pledge_tokens_pledge_id_pledges",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_pledge_tokens"),
        sa.UniqueConstraint("token_sha256", name="uq_pledge_tokens_token_sha256"),
    )
    op.create_index("ix_pledge_tokens_pledge_id", "pledge_tokens", ["pledge_id"])
    op.create_table(
        "campaign_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("deposit_cents", sa.BigInteger(), nullable=False),
        sa.Column("shares_cents", sa.BigInteger(), nullable=False),
        sa.Column("voucher_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_campaign_refunds_campaign_id_campaigns",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["zone_id"], ["campaign_zones.id"],
                                name="fk_campaign_refunds_zone_id_campaign_zones", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledges.id"], name="fk_campaign_refunds_pledge_id_pledges",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_refunds"),
        sa.UniqueConstraint("pledge_id", name="uq_campaign_refunds_pledge_id"),
    )
    op.create_index("ix_campaign_refunds_campaign_id", "campaign_refunds", ["campaign_id"])
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("to_addr", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=True),
        sa.Column("sent_at", _when(), nullable=True),
        sa.Column("claimed_until", _when(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mail_outbox"),
    )
    op.create_index("ix_mail_outbox_unsent", "mail_outbox", ["id"], sqlite_where=UNSENT, postgresql_where=UNSENT)


def downgrade() -> None:
    for table in ("mail_outbox", "campaign_refunds", "pledge_tokens", "pledges", "campaign_zones", "campaigns"):
        op.drop_table(table)
