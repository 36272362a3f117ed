"""devices: one stored config per router, and journal steps that keep hashes instead of configs.

Before this revision every engine apply wrote each touched router's config four times: the journal
step's config before and after, the device layer's `device_committed_configs` and the engine's own
`device_configs` (the same text). Now:
- `device_committed_configs` is the only record of what a router should run (the engine reads it);
  `device_configs` is dropped after copying any router it alone knew;
- a journal step may keep only the SHA-256 of its configs (`before_sha`, `after_sha`; `after` becomes
  nullable): the engine's bound transactions do, since their undo target is the committed config,
  which their database transaction never replaced.

Revision ID: 0005_one_config_per_router
Revises: 0003_journal (and needs 0002_services, which created device_configs)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005_one_config_per_router"
down_revision = "0003_journal"
branch_labels = None
depends_on = "0002_services"

LINUX_MARK = "! -- linux --"  # how RenderedConfig.full_text() joins an FRR config and its shell commands


def _as_rendered(vendor: str, full_text: str) -> dict[str, object]:
    """A RenderedConfig dict from a stored full text (FRR's shell commands follow LINUX_MARK)."""
    text, mark, shell = full_text.partition("\n" + LINUX_MARK + "\n")
    if not mark:
        return {"vendor": vendor, "text": full_text, "shell": []}
    return {"vendor": vendor, "text": text + "\n", "shell": [line.split(" ") for line in shell.splitlines() if line]}


def upgrade() -> None:
    bind = op.get_bind()
    committed = {row[0] for row in bind.execute(sa.text("SELECT router FROM device_committed_configs"))}
    vendors = dict(bind.execute(sa.text("SELECT name, vendor FROM routers")).all())
    orphans = [row for row in bind.execute(sa.text("SELECT router, config, updated_at FROM device_configs"))
               if row[0] not in committed]
    for router, config, updated_at in orphans:
        vendor = str(vendors.get(router, "frr"))
        bind.execute(sa.text("INSERT INTO device_committed_configs (router, vendor, config, transaction_id, "
                             "committed_at) VALUES (:router, :vendor, :config, NULL, :at)"),
                     {"router": router, "vendor": vendor, "config": json.dumps(_as_rendered(vendor, config)),
                      "at": updated_at or datetime.now(UTC)})
    op.drop_table("device_configs")
    with op.batch_alter_table("device_transaction_steps") as batch:
        batch.add_column(sa.Column("before_sha", sa.String(64), nullable=True))
        batch.add_column(sa.Column("after_sha", sa.String(64), nullable=True))
        batch.alter_column("after", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("device_transaction_steps") as batch:
        batch.alter_column("after", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("after_sha")
        batch.drop_column("before_sha")
    op.create_table(
        "device_configs",
        sa.Column("router", sa.String(64), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("router", name="pk_device_configs"),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT router, config, committed_at FROM device_committed_configs")).all()
    for router, config, committed_at in rows:
        rendered = json.loads(config) if isinstance(config, str) else config
        bind.execute(sa.text("INSERT INTO device_configs (router, config, revision, updated_at) "
                             "VALUES (:router, :config, 0, :at)"),
                     {"router": router, "config": _full_text(rendered), "at": committed_at})


def _full_text(rendered: dict[str, object]) -> str:
    """RenderedConfig.full_text() of a stored dict, as this revision's predecessor stored it."""
    text, shell = str(rendered["text"]), rendered.get("shell") or []
    if not shell:
        return text
    return "\n".join([text.rstrip("\n"), LINUX_MARK, *(" ".join(cmd) for cmd in shell)]) + "\n"  # type: ignore[union-attr]
