"""devices: one stored config per router, kept compressed; journal steps that keep hashes, not configs.

Before this revision every engine apply wrote each touched router's config four times: the journal
step's config before and after, the device layer's `device_committed_configs` (as JSON) and the
engine's own `device_configs` (the same text). A PE's config is ~50 kB: a 50-site change wrote
~10 MB. Now:
- `device_committed_configs` is the only record of what a router should run (the engine reads it);
  its text is stored zlib-compressed (`text_z`, ~8× smaller: configs repeat themselves) with the FRR
  shell commands as JSON (`shell`); `device_configs` is dropped after copying any router only it knew;
- a journal step may keep only the SHA-256 of its configs (`before_sha`, `after_sha`; `after` becomes
  nullable): the engine's bound transactions do, since their undo target is the committed config,
  which their database transaction never replaced.

Revision ID: 0005_one_config_per_router
Revises: 0003_journal (and needs 0002_services, which created device_configs)
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005_one_config_per_router"
down_revision = "0003_journal"
branch_labels = None
depends_on = "0002_services"

LINUX_MARK = "! -- linux --"  # how RenderedConfig.full_text() joins an FRR config and its shell commands


def _split_full_text(full_text: str) -> tuple[str, list[list[str]]]:
    """(text, shell) of a stored full text (FRR's shell commands follow LINUX_MARK)."""
    text, mark, shell = full_text.partition("\n" + LINUX_MARK + "\n")
    if not mark:
        return full_text, []
    return text + "\n", [line.split(" ") for line in shell.splitlines() if line]


def _full_text(text: str, shell: list[list[str]]) -> str:
    """RenderedConfig.full_text(), as the previous revision stored it in device_configs."""
    if not shell:
        return text
    return "\n".join([text.rstrip("\n"), LINUX_MARK, *(" ".join(cmd) for cmd in shell)]) + "\n"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("device_committed_configs") as batch:
        batch.add_column(sa.Column("text_z", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("shell", sa.JSON(), nullable=True))
    for router, config in bind.execute(sa.text("SELECT router, config FROM device_committed_configs")).all():
        rendered = _json(config)
        bind.execute(sa.text("UPDATE device_committed_configs SET text_z = :z, shell = :shell WHERE router = :r"),
                     {"z": zlib.compress(str(rendered["text"]).encode(), 1),
                      "shell": json.dumps(rendered.get("shell") or []), "r": router})
    with op.batch_alter_table("device_committed_configs") as batch:
        batch.drop_column("config")
    committed = {row[0] for row in bind.execute(sa.text("SELECT router FROM device_committed_configs"))}
    vendors = dict(bind.execute(sa.text("SELECT name, vendor FROM routers")).all())
    orphans = [row for row in bind.execute(sa.text("SELECT router, config, updated_at FROM device_configs"))
               if row[0] not in committed]
    for router, full_text, updated_at in orphans:
        text, shell = _split_full_text(full_text)
        bind.execute(sa.text("INSERT INTO device_committed_configs (router, vendor, text_z, shell, transaction_id, "
                             "committed_at) VALUES (:router, :vendor, :z, :shell, NULL, :at)"),
                     {"router": router, "vendor": str(vendors.get(router, "frr")),
                      "z": zlib.compress(text.encode(), 1), "shell": json.dumps(shell),
                      "at": updated_at or datetime.now(UTC)})
    with op.batch_alter_table("device_committed_configs") as batch:
        batch.alter_column("text_z", existing_type=sa.LargeBinary(), nullable=False)
        batch.alter_column("shell", existing_type=sa.JSON(), nullable=False)
    op.drop_table("device_configs")
    with op.batch_alter_table("device_transaction_steps") as batch:
        batch.add_column(sa.Column("before_sha", sa.String(64), nullable=True))
        batch.add_column(sa.Column("after_sha", sa.String(64), nullable=True))
        batch.alter_column("after", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    bind = op.get_bind()
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
    with op.batch_alter_table("device_committed_configs") as batch:
        batch.add_column(sa.Column("config", sa.JSON(), nullable=True))
    rows = bind.execute(sa.text("SELECT router, vendor, text_z, shell, committed_at FROM device_committed_configs"))
    for router, vendor, text_z, shell, committed_at in rows.all():
        text, commands = zlib.decompress(text_z).decode(), _json(shell) or []
        bind.execute(sa.text("UPDATE device_committed_configs SET config = :config WHERE router = :r"),
                     {"config": json.dumps({"vendor": vendor, "text": text, "shell": commands}), "r": router})
        bind.execute(sa.text("INSERT INTO device_configs (router, config, revision, updated_at) "
                             "VALUES (:router, :config, 0, :at)"),
                     {"router": router, "config": _full_text(text, commands), "at": committed_at})
    with op.batch_alter_table("device_committed_configs") as batch:
        batch.drop_column("shell")
        batch.drop_column("text_z")
        batch.alter_column("config", existing_type=sa.JSON(), nullable=False)
