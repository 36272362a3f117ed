"""Measured traffic: one series per router interface (what it carries, its running totals) and its
samples at three resolutions (5 minutes, an hour, a day) — see docs/usage.md.

Every sample is written at all three resolutions when it is measured (octets added, peaks kept as a
maximum), so a coarser sample always holds exactly the octets of the finer ones it replaces; the
retention purge (`store.usage_samples_repo.purge`) then drops old fine samples and loses no total.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime

Octets = BigInteger().with_variant(Integer, "sqlite")  # SQLite's INTEGER is 64-bit already


class UsageSeriesRow(Base):
    """One interface of one router, and the subject its counters measure."""

    __tablename__ = "usage_series"
    __table_args__ = (UniqueConstraint("router", "interface"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    router: Mapped[str] = mapped_column(String(64))
    interface: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))               # site | link | other
    tenant: Mapped[str] = mapped_column(String(64), index=True)  # "" for a backbone link
    site: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(200))
    out_direction: Mapped[str] = mapped_column(String(8))     # down | ab | ba | out
    in_direction: Mapped[str] = mapped_column(String(8))      # up | ba | ab | in
    # unilink's own running totals since the series began: they never wrap nor reset (what an
    # operator's Prometheus scrapes as counters)
    octets_in_total: Mapped[int] = mapped_column(Octets, default=0)
    octets_out_total: Mapped[int] = mapped_column(Octets, default=0)
    last_in_bps: Mapped[int] = mapped_column(Octets, default=0)
    last_out_bps: Mapped[int] = mapped_column(Octets, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # the last raw reading, the collector's baseline (a new process, or `usage collect --once` run by
    # cron, goes on from it); as text: a 64-bit unsigned counter does not fit a signed BIGINT
    raw_in: Mapped[str | None] = mapped_column(String(20), nullable=True)
    raw_out: Mapped[str | None] = mapped_column(String(20), nullable=True)
    raw_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    raw_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    raw_uptime_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    raw_marker: Mapped[str | None] = mapped_column(String(64), nullable=True)


class UsageSampleRow(Base):
    """The octets of one series over [start, start + resolution seconds)."""

    __tablename__ = "usage_samples"
    __table_args__ = (Index("ix_usage_samples_resolution_start", "resolution", "start"),)

    series_id: Mapped[int] = mapped_column(ForeignKey("usage_series.id", ondelete="CASCADE"), primary_key=True)
    resolution: Mapped[int] = mapped_column(Integer, primary_key=True)   # 300 | 3600 | 86400
    start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    octets_in: Mapped[int] = mapped_column(Octets)
    octets_out: Mapped[int] = mapped_column(Octets)
    max_in_bps: Mapped[int] = mapped_column(Octets)   # the highest poll rate inside the bucket
    max_out_bps: Mapped[int] = mapped_column(Octets)
    covered_s: Mapped[int] = mapped_column(Integer)   # seconds the measured deltas covered
    flags: Mapped[int] = mapped_column(Integer)       # collector.WRAPPED | RESET | GAP seen in it
