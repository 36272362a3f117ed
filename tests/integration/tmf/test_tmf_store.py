"""The TMF tables: migration 0014_tmf (a branch of its own off the root) creates exactly what the table
classes describe, on SQLite and PostgreSQL; an order's links find it from the native order."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from unilink.store import tenancy, tmf_repo
from unilink.store.base import Base
from unilink.store.db import Store
from unilink.store.tables import tmf as tmf_tables

TMF_TABLES = {"tmf_service_orders", "tmf_order_links", "tmf_cancel_orders", "tmf_hubs"}
AT = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if name:
            return name
    return None


def test_the_migration_matches_the_tables(any_store: Store) -> None:
    assert {cls.__tablename__ for cls in vars(tmf_tables).values()
            if isinstance(cls, type) and issubclass(cls, Base) and cls is not Base} == TMF_TABLES
    with any_store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert "0014_tmf" in MigrationContext.configure(conn).get_current_heads()
    assert [d for d in diffs if _table_of(d) in TMF_TABLES] == []


def test_orders_keep_their_order_and_links_find_them(any_store: Store) -> None:
    with any_store.session(write=True) as session:
        tenant = tenancy.add_tenant(session, "nord", "operator", "Nord").id
        for order_id in ("zz-first", "aa-second"):  # ids that sort the other way round, one instant
            tmf_repo.add_order(session, order_id=order_id, tenant_id=tenant, state="acknowledged",
                               document={"items": []}, at=AT)
        tmf_repo.link(session, "aa-second", "o-20261201-0001", "berlin")
    with any_store.session() as session:
        assert [row.id for row, _ in tmf_repo.orders(session, "nord")] == ["zz-first", "aa-second"]
        assert tmf_repo.orders(session, "other") == []
        assert tmf_repo.orders_following(session, "o-20261201-0001") == ["aa-second"]
        assert tmf_repo.links(session, "aa-second") == [("o-20261201-0001", "berlin")]
