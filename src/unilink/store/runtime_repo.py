"""What the engine's in-process state is loaded from: every reservation, pool allocation and deployment.

Read once per runtime (re)load (engine.runtime.load_runtime), in the caller's transaction, as plain rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from unilink.store.tables.services import PoolAllocationRow, ReservationRow


def reservations(session: Session) -> Iterator[ReservationRow]:
    """Every reservation, oldest first."""
    return iter(session.execute(select(ReservationRow).order_by(ReservationRow.id)).scalars())


def allocations(session: Session) -> Iterator[Row[Any]]:
    """(pool, scope, owner, value) of every pool allocation."""
    return iter(session.execute(select(PoolAllocationRow.pool, PoolAllocationRow.scope, PoolAllocationRow.owner,
                                       PoolAllocationRow.value)))
