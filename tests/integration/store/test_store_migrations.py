"""Migrations of other domains on top of 0001: a batch ALTER of a referenced table keeps every row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from unilink.inventory.model import Network, Pop, make_link
from unilink.store.db import MIGRATIONS_DIR, Store, alembic_config, run_migrations

BATCH_MIGRATION = '''\
import sqlalchemy as sa
from alembic import op

revision = "9999_test_batch"
down_revision = "0001"
branch_labels = ("testbatch",)
depends_on = None


def upgrade():
    with op.batch_alter_table("pops", recreate="always") as batch:  # copy, DROP pops, RENAME
        batch.add_column(sa.Column("note", sa.String(20), nullable=True))


def downgrade():
    with op.batch_alter_table("pops") as batch:
        batch.drop_column("note")
'''


def test_batch_alter_of_a_referenced_table_keeps_the_rows_pointing_at_it(store: Store, tmp_path: Path) -> None:
    a, b = Pop("A", "A", "FR", 48.0, 2.0), Pop("B", "B", "FR", 49.0, 2.0)
    network = Network(name="n", pops=[a, b], links=[make_link("A-B", a, b, 10**9, srlgs=("duct-1",))])
    store.replace_network(network)
    extra = tmp_path / "versions"
    extra.mkdir()
    (extra / "9999_test_batch.py").write_text(BATCH_MIGRATION, encoding="utf-8")
    config = alembic_config()
    config.set_main_option("version_locations", f"{MIGRATIONS_DIR / 'versions'}:{extra}")

    run_migrations(store.engine, config)

    assert "note" in {c["name"] for c in inspect(store.engine).get_columns("pops")}
    assert Store(store.engine).load_network() == network  # links and SRLGs survived the rebuild of pops
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on for normal work
