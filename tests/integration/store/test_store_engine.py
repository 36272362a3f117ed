"""The database itself: migrations match the models, SQLite settings, concurrency, tenants."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table, text

from unilink.errors import ConflictError, NotFoundError, ValidationError
from unilink.store.base import Base
from unilink.store.db import Store, migration_heads
from unilink.store.tables import inventory as inventory_tables
from unilink.store.tables import tenancy as tenancy_tables
from unilink.store.tenancy import add_tenant, get_tenant, list_tenants

STORE_TABLES = {cls.__tablename__ for module in (inventory_tables, tenancy_tables) for cls in vars(module).values()
                if isinstance(cls, type) and issubclass(cls, Base) and cls is not Base}


def test_store_tables_are_the_expected_ones() -> None:
    expected = {"pops", "routers", "links", "link_srlgs", "interconnects", "interconnect_areas", "topology", "tenants"}
    assert expected == STORE_TABLES


def _table_of(diff: object) -> str | None:
    """The table an Alembic autogenerate diff is about (diffs are tuples, or lists of tuples for columns)."""
    op = diff[0] if isinstance(diff, list) else diff
    if len(op) > 2 and isinstance(op[2], str):  # ("add_column", schema, table, column), ("modify_type", ...)
        return op[2]
    for part in op[1:]:
        if isinstance(part, Table):
            return part.name
        if isinstance(getattr(part, "table", None), Table):
            return part.table.name
    return None


def test_migrated_schema_matches_the_models(any_store: Store) -> None:
    """The hand-written migration 0001 creates exactly what the table classes describe."""
    with any_store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
        assert set(context.get_current_heads()) == migration_heads()
    assert [d for d in diffs if _table_of(d) in STORE_TABLES] == []


def test_sqlite_runs_in_wal_with_foreign_keys(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_opening_twice_is_a_no_op_migration(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    with Store.open(url) as first:
        first.replace_network(_tiny())
    with Store.open(url) as second:
        assert second.load_network() == _tiny() and second.topology_version() == 1


def test_two_processes_migrating_a_fresh_database_at_once(tmp_path: Path) -> None:
    """Both start on an empty file; the write lock makes one wait for the other, neither fails."""
    url = f"sqlite:///{tmp_path / 'race.db'}"
    code = f"from unilink.store.db import Store; Store.open({url!r}).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    with Store.open(url) as store, store.engine.connect() as conn:
        assert set(MigrationContext.configure(conn).get_current_heads()) == migration_heads()


def test_concurrent_read_then_write_transactions_never_fail_locked(any_store: Store) -> None:
    """Writers that read first then write (a lost-update shape) serialise instead of failing or losing counts."""
    any_store.replace_network(_tiny())
    failures: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(10):
                with any_store.session(write=True) as session:
                    row = session.execute(text("SELECT version FROM topology WHERE id = 1 FOR UPDATE")
                                          if session.bind.dialect.name == "postgresql"
                                          else text("SELECT version FROM topology WHERE id = 1")).scalar_one()
                    session.execute(text("UPDATE topology SET version = :v WHERE id = 1"), {"v": row + 1})
        except BaseException as exc:  # collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert any_store.topology_version() == 1 + 40


def test_tenants_add_list_get(any_store: Store) -> None:
    with any_store.session() as session:
        add_tenant(session, "acme", "enterprise", "ACME Industries")
        add_tenant(session, "coop-thoiry", "cooperative", "Thoiry Fibre")
    with any_store.session() as session:
        assert [t.name for t in list_tenants(session)] == ["acme", "coop-thoiry"]
        tenant = get_tenant(session, "coop-thoiry")
        assert (tenant.kind, tenant.display_name) == ("cooperative", "Thoiry Fibre") and tenant.id > 0
        with pytest.raises(NotFoundError, match="tenant"):
            get_tenant(session, "nobody")


@pytest.mark.parametrize(("name", "kind", "display", "field"), [
    ("acme", "reseller", "x", "tenant.kind"),
    ("bad name!", "enterprise", "x", "tenant.name"),
    ("acme", "enterprise", "", "tenant.display_name"),
])
def test_bad_tenant_is_refused_and_nothing_is_written(any_store: Store, name: str, kind: str, display: str,
                                                      field: str) -> None:
    with pytest.raises(ValidationError) as caught, any_store.session() as session:
        add_tenant(session, name, kind, display)
    assert caught.value.field == field
    with any_store.session() as session:
        assert list_tenants(session) == []


def test_duplicate_tenant_is_a_conflict(any_store: Store) -> None:
    with any_store.session() as session:
        add_tenant(session, "acme", "enterprise", "ACME")
    with pytest.raises(ConflictError), any_store.session() as session:
        add_tenant(session, "acme", "operator", "Other")


def _tiny():  # noqa: ANN202 - a Network
    from unilink.inventory.model import Network, Pop, make_link

    a, b = Pop("A", "A", "FR", 48.0, 2.0), Pop("B", "B", "FR", 49.0, 2.0)
    return Network(name="tiny", pops=[a, b], links=[make_link("A-B", a, b, 10**9)])
