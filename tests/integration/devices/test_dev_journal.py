"""The device journal in a real database (SQLite and PostgreSQL): migrations 0003_journal and
0005_one_config_per_router match the tables, transactions leave their trace, recovery reads it back."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from unilink.devices.diff import diff_configs
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import StoreJournal, last_committed
from unilink.devices.render import RenderedConfig
from unilink.devices.transaction import DeviceTransaction, recover
from unilink.store.base import Base
from unilink.store.db import Store, alembic_config, make_engine, migration_heads
from unilink.store.tables import journal as journal_tables

OLD = RenderedConfig(vendor="frr", text="interface a\n", shell=(("tc", "qdisc", "replace", "dev", "a"),))
NEW = RenderedConfig(vendor="frr", text="interface a\n description x\n", shell=(("ip", "link", "set", "a", "up"),))
JOURNAL_TABLES = {"device_transactions", "device_transaction_steps", "device_committed_configs"}


def test_the_devices_migrations_end_in_a_head_and_match_the_tables(any_store: Store) -> None:
    assert "0005_one_config_per_router" in migration_heads()
    with any_store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if any(t in repr(d) for t in JOURNAL_TABLES)]
    assert mine == [], mine
    assert {t.name for t in journal_tables.Base.metadata.sorted_tables} >= JOURNAL_TABLES


def test_a_transaction_is_journalled_and_its_configs_kept(any_store: Store) -> None:
    drivers = {r: SimDriver(r, initial=OLD) for r in ("pe1", "pe2")}
    changes = [diff_configs(r, "frr", OLD, NEW) for r in drivers]
    journal = StoreJournal(any_store)
    result = DeviceTransaction(drivers, changes, journal, actor="alice", reason="rate change", plan_id="p-1").run()
    assert result.ok
    entry = journal.get(result.id)
    assert entry is not None and entry.state == "done" and entry.actor == "alice" and entry.plan_id == "p-1"
    assert [(s.router, s.state) for s in entry.steps] == [("pe1", "done"), ("pe2", "done")]
    assert entry.steps[0].before == OLD and entry.steps[0].after == NEW  # shell survives the JSON round trip
    assert last_committed(any_store) == {"pe1": NEW, "pe2": NEW}


def test_a_failed_transaction_is_journalled_as_rolled_back(any_store: Store) -> None:
    drivers = {"pe1": SimDriver("pe1", initial=OLD), "pe2": SimDriver("pe2", initial=OLD, fail_on="commit")}
    journal = StoreJournal(any_store)
    result = DeviceTransaction(drivers, [diff_configs(r, "frr", OLD, NEW) for r in drivers], journal).run()
    entry = journal.get(result.id)
    assert entry is not None and entry.state == "rolled_back"
    assert "commit failed on pe2" in (entry.error or "")
    assert {s.router: s.error for s in entry.steps}["pe2"] == "router[pe2]: simulated failure on commit"
    assert last_committed(any_store) == {}
    assert journal.unfinished() == []


def test_recover_from_the_store(any_store: Store) -> None:
    journal = StoreJournal(any_store)
    drivers = {r: SimDriver(r, initial=OLD) for r in ("pe1", "pe2")}
    journal.begin("tx-1", [diff_configs(r, "frr", OLD, NEW) for r in drivers], actor="t", reason="", plan_id=None)
    journal.record("tx-1", "committing", steps={"pe1": "prepared", "pe2": "prepared"})
    drivers["pe2"].prepare(NEW)
    drivers["pe2"].commit()
    outcomes = recover(any_store, drivers)
    assert [(o.id, o.decision) for o in outcomes] == [("tx-1", "undone")]
    assert drivers["pe2"].running() == OLD
    assert journal.get("tx-1").state == "rolled_back"  # type: ignore[union-attr]


def test_recent_lists_transactions_newest_first_and_by_plan(store: Store) -> None:
    journal = StoreJournal(store)
    for plan in ("p-1", "p-2", "p-2"):
        drivers = {"pe1": SimDriver("pe1", initial=OLD)}
        DeviceTransaction(drivers, [diff_configs("pe1", "frr", OLD, NEW)], journal, plan_id=plan).run()
    recent = journal.recent(10)
    assert [e.plan_id for e in recent] == ["p-2", "p-2", "p-1"]
    assert len(journal.recent(10, plan_id="p-2")) == 2 and len(journal.recent(1)) == 1
    view = recent[0].to_dict()
    assert view["state"] == "done" and view["steps"] == [{"router": "pe1", "vendor": "frr", "state": "done",
                                                          "error": None}]


def test_migration_0005_keeps_every_stored_config_and_goes_back(tmp_path: Path) -> None:
    """Configs are kept compressed; device_configs is dropped, a router only it knew moves to
    device_committed_configs (FRR's shell commands split back out of the full text); downgrading
    restores both tables as they were."""
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    junos = {"vendor": "junos", "text": "set system x\n", "shell": []}
    with engine.begin() as conn:
        config = alembic_config(conn)
        command.upgrade(config, "0002_services")
        command.upgrade(config, "0003_journal")
        conn.execute(text("INSERT INTO device_configs (router, config, revision, updated_at) VALUES "
                          "('pe1', :full, 3, '2026-11-26 10:00:00'), ('pe2', 'set system x\n', 4, "
                          "'2026-11-26 10:00:00')"), {"full": OLD.full_text()})
        conn.execute(text("INSERT INTO device_committed_configs (router, vendor, config, transaction_id, "
                          "committed_at) VALUES ('pe2', 'junos', :cfg, NULL, '2026-11-26 10:00:00')"),
                     {"cfg": json.dumps(junos)})
        command.upgrade(config, "heads")
        assert "device_configs" not in inspect(conn).get_table_names()
        rows = {r: (zlib.decompress(z).decode(), json.loads(sh)) for r, z, sh in
                conn.execute(text("SELECT router, text_z, shell FROM device_committed_configs"))}
        assert rows["pe1"] == (OLD.text, [list(cmd) for cmd in OLD.shell])
        assert rows["pe2"] == ("set system x\n", [])
        command.downgrade(config, "0003_journal")
        back = dict(conn.execute(text("SELECT router, config FROM device_configs")).all())
        assert back == {"pe1": OLD.full_text(), "pe2": "set system x\n"}
        committed = dict(conn.execute(text("SELECT router, config FROM device_committed_configs")).all())
        assert json.loads(committed["pe2"]) == junos
        assert RenderedConfig.from_dict(json.loads(committed["pe1"])) == OLD
    engine.dispose()
