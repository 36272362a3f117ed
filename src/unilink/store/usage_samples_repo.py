"""The SQL of measured traffic (tables in store/tables/usage.py): series, samples, totals, retention.

(`store/usage_repo.py` is something else: what live services use of the inventory.)

Samples are written with one multi-row upsert per poll that adds octets to a bucket already there
and keeps the larger peak — `INSERT … ON CONFLICT DO UPDATE`, which SQLite (≥ 3.24) and PostgreSQL
both have; only the name of the two-argument maximum differs (`max` / `GREATEST`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from unilink.store.tables.usage import UsageSampleRow, UsageSeriesRow

SeriesKey = tuple[str, str]  # (router, interface)


class SeriesInfo(NamedTuple):
    router: str
    interface: str
    kind: str
    tenant: str
    site: str
    service: str
    link: str
    out_direction: str
    in_direction: str


class SampleWrite(NamedTuple):
    series_id: int
    resolution: int
    start: datetime
    octets_in: int
    octets_out: int
    max_in_bps: int
    max_out_bps: int
    covered_s: int
    flags: int


class TotalsWrite(NamedTuple):
    series_id: int
    octets_in: int      # added to the running totals
    octets_out: int
    last_in_bps: int
    last_out_bps: int
    last_at: datetime


class RawReading(NamedTuple):
    """The collector's baseline of one series: its last raw counters."""

    series_id: int
    octets_in: int
    octets_out: int
    read_at: datetime
    width: int
    uptime_s: float | None
    marker: str


class SeriesTotals(NamedTuple):
    info: SeriesInfo
    octets_in_total: int
    octets_out_total: int
    last_in_bps: int
    last_out_bps: int
    last_at: datetime | None


def series_ids(session: Session, wanted: Sequence[SeriesInfo]) -> dict[SeriesKey, int]:
    """The id of each wanted series, creating the missing ones; what a series carries is updated
    when the inventory says something new (a port given to another site)."""
    known = {(r.router, r.interface): r for r in session.scalars(select(UsageSeriesRow))}
    for info in wanted:
        row = known.get((info.router, info.interface))
        if row is None:
            row = UsageSeriesRow(**info._asdict(), octets_in_total=0, octets_out_total=0, last_in_bps=0,
                                 last_out_bps=0)
            session.add(row)
            known[(info.router, info.interface)] = row
        elif _info(row) != info:
            for name, value in info._asdict().items():
                setattr(row, name, value)
    session.flush()
    return {key: row.id for key, row in known.items()}


def _info(row: UsageSeriesRow) -> SeriesInfo:
    return SeriesInfo(row.router, row.interface, row.kind, row.tenant, row.site, row.service, row.link,
                      row.out_direction, row.in_direction)


def _greatest(session: Session) -> Any:
    return func.greatest if session.get_bind().dialect.name == "postgresql" else func.max


def add_samples(session: Session, samples: Sequence[SampleWrite]) -> None:
    """Add each sample to its bucket (created when missing): octets and covered seconds summed,
    peaks kept as the larger, flags or-ed."""
    if not samples:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = UsageSampleRow.__table__
    stmt = insert(table)   # Core, not the ORM's bulk path: a third of the cost for 30,000 rows
    new, greatest = stmt.excluded, _greatest(session)
    stmt = stmt.on_conflict_do_update(
        index_elements=["series_id", "resolution", "start"],
        set_={"octets_in": table.c.octets_in + new.octets_in, "octets_out": table.c.octets_out + new.octets_out,
              "max_in_bps": greatest(table.c.max_in_bps, new.max_in_bps),
              "max_out_bps": greatest(table.c.max_out_bps, new.max_out_bps),
              "covered_s": table.c.covered_s + new.covered_s, "flags": table.c.flags.op("|")(new.flags)})
    session.connection().execute(stmt, [s._asdict() for s in samples])


def add_totals(session: Session, totals: Iterable[TotalsWrite]) -> None:
    rows = [{"b_id": t.series_id, "b_in": t.octets_in, "b_out": t.octets_out, "b_last_in": t.last_in_bps,
             "b_last_out": t.last_out_bps, "b_at": t.last_at} for t in totals]
    if not rows:
        return
    table = UsageSeriesRow.__table__
    stmt = (update(table).where(table.c.id == bindparam("b_id"))
            .values(octets_in_total=table.c.octets_in_total + bindparam("b_in"),
                    octets_out_total=table.c.octets_out_total + bindparam("b_out"),
                    last_in_bps=bindparam("b_last_in"), last_out_bps=bindparam("b_last_out"),
                    last_at=bindparam("b_at")))
    session.connection().execute(stmt, rows)


def purge(session: Session, older_than: Mapping[int, datetime]) -> dict[int, int]:
    """Delete the samples of each resolution that start before its limit; rows deleted per resolution."""
    deleted: dict[int, int] = {}
    for resolution, limit in sorted(older_than.items()):
        result = session.execute(delete(UsageSampleRow).where(UsageSampleRow.resolution == resolution,
                                                              UsageSampleRow.start < limit))
        deleted[resolution] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted


def samples(session: Session, series: Sequence[int], resolution: int, start: datetime, end: datetime
            ) -> list[SampleWrite]:
    """The samples of `series` at `resolution` in [start, end), by series then time."""
    rows = session.execute(select(UsageSampleRow).where(UsageSampleRow.series_id.in_(list(series)),
                                                        UsageSampleRow.resolution == resolution,
                                                        UsageSampleRow.start >= start, UsageSampleRow.start < end)
                           .order_by(UsageSampleRow.series_id, UsageSampleRow.start)).scalars()
    return [SampleWrite(r.series_id, r.resolution, r.start, r.octets_in, r.octets_out, r.max_in_bps,
                        r.max_out_bps, r.covered_s, r.flags) for r in rows]


def totals_by_resolution(session: Session, series: Sequence[int], start: datetime, end: datetime
                         ) -> dict[int, tuple[int, int]]:
    """(octets in, octets out) summed per resolution over [start, end): equal across resolutions
    wherever all three are kept (the check that downsampling keeps the totals)."""
    rows = session.execute(select(UsageSampleRow.resolution, func.sum(UsageSampleRow.octets_in),
                                  func.sum(UsageSampleRow.octets_out))
                           .where(UsageSampleRow.series_id.in_(list(series)), UsageSampleRow.start >= start,
                                  UsageSampleRow.start < end)
                           .group_by(UsageSampleRow.resolution))
    return {int(res): (int(i or 0), int(o or 0)) for res, i, o in rows}


def series_totals(session: Session, tenant: str | None = None) -> list[SeriesTotals]:
    """Every series with its running totals and last rates (one tenant's when `tenant` is given)."""
    s = UsageSeriesRow
    query = (select(s.router, s.interface, s.kind, s.tenant, s.site, s.service, s.link, s.out_direction,
                    s.in_direction, s.octets_in_total, s.octets_out_total, s.last_in_bps, s.last_out_bps, s.last_at)
             .order_by(s.router, s.interface))   # columns, not ORM objects: a scrape reads every series
    if tenant is not None:
        query = query.where(s.tenant == tenant)
    return [SeriesTotals(SeriesInfo(*row[:9]), *row[9:]) for row in session.execute(query)]


def save_raw(session: Session, readings: Sequence[RawReading]) -> None:
    if not readings:
        return
    table = UsageSeriesRow.__table__
    stmt = (update(table).where(table.c.id == bindparam("b_id"))
            .values(raw_in=bindparam("b_in"), raw_out=bindparam("b_out"), raw_at=bindparam("b_at"),
                    raw_width=bindparam("b_width"), raw_uptime_s=bindparam("b_uptime"),
                    raw_marker=bindparam("b_marker")))
    session.connection().execute(stmt, [
        {"b_id": r.series_id, "b_in": str(r.octets_in), "b_out": str(r.octets_out), "b_at": r.read_at,
         "b_width": r.width, "b_uptime": r.uptime_s, "b_marker": r.marker} for r in readings])


def raw_readings(session: Session) -> dict[SeriesKey, RawReading]:
    """The last raw reading of every series that has one, by (router, interface)."""
    rows = session.execute(select(UsageSeriesRow).where(UsageSeriesRow.raw_at.is_not(None))).scalars()
    return {(r.router, r.interface): RawReading(r.id, int(r.raw_in or 0), int(r.raw_out or 0), r.raw_at,  # type: ignore[arg-type]
                                                 r.raw_width or 64, r.raw_uptime_s, r.raw_marker or "")
            for r in rows}


class SummedRate(NamedTuple):
    """The rates of a set of series in one bucket, summed: averages over the measured seconds, and
    the sum of the peaks (an upper bound of the set's peak when it has more than one series)."""

    start: datetime
    in_bps: int
    out_bps: int
    max_in_bps: int
    max_out_bps: int


def site_series(session: Session, tenant: str, site: str | None = None,
                services: Sequence[str] | None = None) -> list[int]:
    """The ids of the access-port series of `tenant` (one site's, and of some services only, when given)."""
    s = UsageSeriesRow
    query = select(s.id).where(s.kind == "site", s.tenant == tenant)
    if site is not None:
        query = query.where(s.site == site)
    if services is not None:
        query = query.where(s.service.in_(list(services)))
    return list(session.scalars(query.order_by(s.id)))


def summed_rates(session: Session, series: Sequence[int], resolution: int, start: datetime, end: datetime
                 ) -> list[SummedRate]:
    """Per bucket of [start, end) at `resolution`, the rates of `series` summed, computed in the
    database from the octets (bit/s = octets × 8 / seconds measured); buckets nobody measured are
    absent. One indexed range scan and an aggregate: what a graph and a 95th percentile read."""
    if not series:
        return []
    r = UsageSampleRow
    measured = r.covered_s > 0
    rows = session.execute(
        select(r.start, func.sum(r.octets_in * 8 // r.covered_s), func.sum(r.octets_out * 8 // r.covered_s),
               func.sum(r.max_in_bps), func.sum(r.max_out_bps))
        .where(r.series_id.in_(list(series)), r.resolution == resolution, r.start >= start, r.start < end, measured)
        .group_by(r.start).order_by(r.start))
    return [SummedRate(at, int(i), int(o), int(mi), int(mo))
            for at, i, o, mi, mo in rows]


def summed_rate_values(session: Session, series: Sequence[int], resolution: int, start: datetime, end: datetime
                       ) -> list[tuple[int, int]]:
    """(in, out) bit/s of each measured bucket of [start, end), as `summed_rates` but without the
    times: what a percentile needs, and cheaper to read (no date to parse per row)."""
    if not series:
        return []
    r = UsageSampleRow
    rows = session.connection().execute(   # Core rows: thousands of them, nothing of the ORM needed
        select(func.sum(r.octets_in * 8 // r.covered_s), func.sum(r.octets_out * 8 // r.covered_s))
        .where(r.series_id.in_(list(series)), r.resolution == resolution, r.start >= start, r.start < end,
               r.covered_s > 0)
        .group_by(r.start))
    return [(int(i), int(o)) for i, o in rows]


def hourly_site_rates(session: Session, start: datetime, end: datetime
                      ) -> list[tuple[str, str, datetime, int, int]]:
    """(tenant, site, hour, in bit/s, out bit/s) of every site's access ports in [start, end), from the
    hourly samples (what a capacity plan's busy hour is looked for in)."""
    r, s = UsageSampleRow, UsageSeriesRow
    rows = session.execute(
        select(s.tenant, s.site, r.start, func.sum(r.octets_in * 8 // r.covered_s),
               func.sum(r.octets_out * 8 // r.covered_s))
        .join(s, s.id == r.series_id)
        .where(s.kind == "site", r.resolution == 3600, r.start >= start, r.start < end, r.covered_s > 0)
        .group_by(s.tenant, s.site, r.start))
    return [(tenant, site, at, int(i), int(o)) for tenant, site, at, i, o in rows]
