"""A seeded SQLite database made once per test session and copied per test.

Seeding the sample network and applying the demo intents takes seconds; copying the file takes
milliseconds. Used by the API, portal and remote-CLI tests.
"""

from __future__ import annotations

from pathlib import Path

import unilink.engine  # noqa: F401 - registers the engine's seed step (the demo tenants' service intents)
from unilink.access import accounts
from unilink.store.db import Store
from unilink.store.seed import seed

# who → (role, tenant or None for operator roles)
Users = dict[str, tuple[str, str | None]]


def make_seeded_template(path: Path, users: Users) -> dict[str, str]:
    """Seed a fresh database at `path` and create one API token per user; returns who → token.

    The WAL is folded into the main file so that a plain file copy carries everything.
    """
    store = Store.open(f"sqlite:///{path}")
    try:
        seed(store)
        with store.session(write=True) as session:
            tokens = {who: accounts.create_token(session, role=role, tenant=tenant, name=who)[0].token
                      for who, (role, tenant) in users.items()}
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return tokens
