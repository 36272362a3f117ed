"""The database's own locks, for work that must run once across every worker and machine.

unilink runs no lock server: PostgreSQL's advisory locks are the coordination, as its migrations
already do (`db.MIGRATION_LOCK_KEY`).

- `leader(store, name)`: a session-level advisory lock tried on a connection of its own, held for
  the block. The process that gets it does the round (the scheduler's, say); the others skip it. The
  lock dies with the connection, so a worker killed while leading frees it at once (the server
  closes its socket), and the next round is led by another worker.

On SQLite `leader` says yes: one writer at a time already (BEGIN
IMMEDIATE, `db.WriterGate`), and `unilink serve --workers` refuses SQLite.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory key for `name` (PostgreSQL's bigint)."""
    return int.from_bytes(hashlib.sha256(f"unilink:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def leader(store: Any, name: str) -> Iterator[bool]:
    """True for the one process (on any machine) that holds lock `name` for the block; False for the others."""
    if store.engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    with store.engine.connect() as connection:
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one())
        connection.commit()  # the lock is the session's, not a transaction's: nothing stays open meanwhile
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
