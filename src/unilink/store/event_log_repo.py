"""The event log as a new stream subscriber reads it: where "from now on" starts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unilink.store.tables.auth import EventRow


def last_event_id(session: Session) -> int:
    """The id of the newest event (0: none yet)."""
    return session.scalar(select(func.max(EventRow.id))) or 0
