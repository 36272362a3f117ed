"""Whether the database answers (the API's health check)."""

from __future__ import annotations

from sqlalchemy import text

from unilink.store.db import Store


def ping(store: Store) -> None:
    """One trivial query in a read session; raises whatever the database raises when it does not answer."""
    with store.session() as session:
        session.execute(text("SELECT 1"))
