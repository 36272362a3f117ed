"""Whether the database answers: opening it with an error a person can read (the CLI), and the API's
health check."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from unilink.errors import UnilinkError
from unilink.store.db import Store


def open_reachable(url: str) -> Store:
    """Open (and migrate) the database at `url`; one that cannot be reached is a `UnilinkError` naming
    the driver's first line of reason, not a trace."""
    try:
        return Store.open(url)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise UnilinkError(f"cannot open the database: {reason}", field="database", value=url,
                           accepted="a reachable sqlite:/// or postgresql+psycopg:// URL") from exc


def ping(store: Store) -> None:
    """One trivial query in a read session; raises whatever the database raises when it does not answer."""
    with store.session() as session:
        session.execute(text("SELECT 1"))
