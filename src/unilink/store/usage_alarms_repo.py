"""The SQL of the usage alarms' state (table in store/tables/usage_alarms.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from unilink.store.tables.usage_alarms import UsageAlarmRow

AlarmKey = tuple[str, str, str]  # (tenant, site, direction)


class AlarmState(NamedTuple):
    state: str                  # "clear" | "raised"
    since: datetime | None      # in the current run above (clear) / below (raised) the level since
    raised_at: datetime | None
    peak_bps: int


CLEAR = AlarmState("clear", None, None, 0)


def states(session: Session) -> dict[AlarmKey, AlarmState]:
    return {(r.tenant, r.site, r.direction): AlarmState(r.state, r.since, r.raised_at, r.peak_bps)
            for r in session.scalars(select(UsageAlarmRow))}


def save(session: Session, changed: Iterable[tuple[AlarmKey, AlarmState]], *, at: datetime) -> None:
    """Write the states that changed (rows created on first use)."""
    rows = {(r.tenant, r.site, r.direction): r for r in session.scalars(select(UsageAlarmRow))}
    for key, new in changed:
        row = rows.get(key)
        if row is None:
            row = UsageAlarmRow(tenant=key[0], site=key[1], direction=key[2])
            session.add(row)
        row.state, row.since, row.raised_at, row.peak_bps, row.updated_at = (*new, at)
    session.flush()


def raised(session: Session, tenant: str | None = None) -> list[tuple[AlarmKey, AlarmState]]:
    """The alarms raised now (one tenant's when given)."""
    query = select(UsageAlarmRow).where(UsageAlarmRow.state == "raised")
    if tenant is not None:
        query = query.where(UsageAlarmRow.tenant == tenant)
    return [((r.tenant, r.site, r.direction), AlarmState(r.state, r.since, r.raised_at, r.peak_bps))
            for r in session.scalars(query.order_by(UsageAlarmRow.tenant, UsageAlarmRow.site))]
