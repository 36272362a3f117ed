"""The state of the usage alarms: one row per (tenant, site, direction) that has ever been watched.

A row remembers where its episode stands (`state` "clear" or "raised", since when the rate has been
above the raise level or below the clear level) so that a restarted collector neither raises an
alarm twice nor forgets to clear one (`unilink.usage.alarms`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime

Bps = BigInteger().with_variant(Integer, "sqlite")


class UsageAlarmRow(Base):
    __tablename__ = "usage_alarms"
    __table_args__ = (UniqueConstraint("tenant", "site", "direction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(8))          # down | up
    state: Mapped[str] = mapped_column(String(8))              # clear | raised
    # the rate has stayed above the raise level (clear state) or below the clear level (raised state)
    # since this instant; None: it is not there now
    since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    raised_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    peak_bps: Mapped[int] = mapped_column(Bps, default=0)     # the episode's highest rate
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
