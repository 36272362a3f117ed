"""Alembic environment, driven from code by `unilink.store.db.run_migrations`.

The caller hands over an open connection in `config.attributes["connection"]`, already inside a
transaction that holds the database's write lock, so two processes starting at once migrate one
after the other instead of racing. Running `alembic` by hand works too, with `sqlalchemy.url` set.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

import unilink.store.tables  # noqa: F401  (imports every table module: complete metadata)
from unilink.store.base import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("unilink migrations run online only (Store.open or `unilink db upgrade`)")
run_migrations_online()
