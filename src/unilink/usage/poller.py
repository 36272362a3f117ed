"""The poll loop: read every router's counters, turn them into deltas, write the samples.

    poller = Poller(store, reader, routers, interval_s=300)
    poller.poll_once()                 # one cycle (what `unilink usage collect --once` runs)
    run_forever(poller, stop_event)    # on a schedule (the server's collector thread, the CLI)

The collector's last readings are kept in the store with the series (`raw_*`): a new process, or a
`--once` run by cron, goes on from the last reading instead of starting from a baseline. One cycle is
one database transaction (its samples at the three resolutions, the totals, the raw readings); at
most once an hour the retention purge drops the samples past their resolution's keep.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from unilink.devices.counters import Counter, CounterReader, counter_reader_for
from unilink.devices.drivers.base import DeviceError
from unilink.devices.drivers.netconf_counters import TARGETS_ENV, NetconfCounterReader, load_targets
from unilink.devices.drivers.sim import SimCounterReader
from unilink.errors import ValidationError
from unilink.store import usage_samples_repo as repo
from unilink.usage.buckets import DAY, FIVE_MINUTES, HOUR, RESOLUTIONS, Bucket, spread
from unilink.usage.catalogue import sim_interfaces
from unilink.usage.collector import Collector, Delta

INTERVAL_ENV = "UNILINK_USAGE_INTERVAL"
SOURCE_ENV = "UNILINK_USAGE_SOURCE"
DEFAULT_INTERVAL_S = 300.0
MIN_INTERVAL_S, MAX_INTERVAL_S = 1.0, 86_400.0
# How long each resolution is kept: 5-minute samples ~35 days (a month's 95th percentile, with room),
# hourly ones a year, daily ones for ever.
RETENTION: dict[int, timedelta | None] = {FIVE_MINUTES: timedelta(days=35), HOUR: timedelta(days=366), DAY: None}
PURGE_EVERY = timedelta(hours=1)
log = logging.getLogger(__name__)


def parse_interval(value: str | float | None, *, field: str = INTERVAL_ENV) -> float:
    """Seconds between polls (default 300); a clear error outside 1 s .. 1 day."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_INTERVAL_S
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S:
        raise ValidationError("bad usage poll interval", field=field, value=value,
                              accepted="seconds between 1 and 86400, e.g. 300 (the lab: 5)")
    return seconds


def series_info(c: Counter) -> repo.SeriesInfo:
    k = c.carries
    return repo.SeriesInfo(c.router, c.interface, k.kind, k.tenant, k.site, k.service, k.link,
                           k.out_direction, k.in_direction)


def merged_buckets(deltas: Iterable[Delta], ids: dict[repo.SeriesKey, int]) -> list[repo.SampleWrite]:
    """Every delta spread over its buckets at the three resolutions, one write per bucket."""
    merged: dict[tuple[int, int, datetime], Bucket] = {}
    for d in deltas:
        series = ids[(d.router, d.interface)]
        for resolution in RESOLUTIONS:
            for b in spread(d, resolution):
                found = merged.get((series, resolution, b.start))
                if found is None:
                    merged[(series, resolution, b.start)] = b
                else:
                    found.add(b)
    return [repo.SampleWrite(s, r, start, b.octets_in, b.octets_out, b.max_in_bps, b.max_out_bps, b.covered_s,
                             b.flags) for (s, r, start), b in merged.items()]


def totals(deltas: Iterable[Delta], ids: dict[repo.SeriesKey, int]) -> list[repo.TotalsWrite]:
    return [repo.TotalsWrite(ids[(d.router, d.interface)], d.octets_in, d.octets_out, d.rate_in_bps,
                             d.rate_out_bps, d.end) for d in deltas]


@dataclass
class CycleResult:
    at: datetime
    readings: int = 0
    deltas: int = 0
    samples: int = 0
    flagged: int = 0
    failed_routers: list[str] = field(default_factory=list)
    purged: dict[int, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "readings": self.readings, "deltas": self.deltas,
                "samples": self.samples, "flagged": self.flagged, "failed_routers": self.failed_routers,
                "purged": {str(k): v for k, v in self.purged.items()}}


class Poller:
    """One collector over a fixed set of routers, writing into `store`."""

    def __init__(self, store: Any, reader: CounterReader, routers: Sequence[str], *,
                 interval_s: float = DEFAULT_INTERVAL_S,
                 after_cycle: Callable[[list[Counter], list[Delta], datetime], object] | None = None) -> None:
        self.store = store
        self.after_cycle = after_cycle   # e.g. the usage alarms (usage.alarms.AlarmWatch), after the commit
        self.reader = reader
        self.routers = list(routers)
        self.interval_s = interval_s
        self.collector = Collector(interval_s)
        self._ids: dict[repo.SeriesKey, int] = {}
        self._purged_at: datetime | None = None

    def read(self) -> tuple[list[Counter], list[str]]:
        readings: list[Counter] = []
        failed: list[str] = []
        for router in self.routers:
            try:
                readings.extend(self.reader.read_counters(router))
            except DeviceError as exc:  # one router down: the others are still measured
                log.warning("usage: cannot read the counters of %s: %s", router, exc)
                failed.append(router)
        return readings, failed

    def load_baselines(self, session: Any, readings: Sequence[Counter]) -> None:
        """The last readings the store kept (an earlier process's, or the last `--once`)."""
        stored = repo.raw_readings(session)
        for c in readings:
            raw = stored.get(c.key)
            if raw is not None and c.key not in self.collector.last:
                self.collector.last[c.key] = Counter(c.router, c.interface, raw.octets_in, raw.octets_out,
                                                     raw.read_at, width=raw.width, uptime_s=raw.uptime_s,
                                                     marker=raw.marker, carries=c.carries, speed_bps=c.speed_bps)

    def poll_once(self) -> CycleResult:
        readings, failed = self.read()
        now = self.store.clock.now()
        with self.store.session(write=True) as session:
            missing = [series_info(c) for c in readings if c.key not in self._ids]
            if missing:
                self._ids = repo.series_ids(session, missing)
                self.load_baselines(session, readings)
            deltas = self.collector.feed(readings)
            writes = merged_buckets(deltas, self._ids)
            repo.add_samples(session, writes)
            repo.add_totals(session, totals(deltas, self._ids))
            repo.save_raw(session, [repo.RawReading(self._ids[c.key], c.octets_in, c.octets_out, c.read_at, c.width,
                                                    c.uptime_s, c.marker) for c in readings])
        result = CycleResult(now, len(readings), len(deltas), samples=len(writes), failed_routers=failed,
                             flagged=sum(1 for d in deltas if d.flags))
        if self.after_cycle is not None:
            self.after_cycle(readings, deltas, now)
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            with self.store.session(write=True) as session:   # its own transaction: the samples are safe
                result.purged = repo.purge(session, purge_limits(now))
            self._purged_at = now
        return result


def purge_limits(now: datetime) -> dict[int, datetime]:
    return {res: now - keep for res, keep in RETENTION.items() if keep is not None}


def reader_for(store: Any, source: str) -> tuple[CounterReader, list[str]]:
    """The counter source called `source` and the routers it reads: `sim` (the simulated routers
    of the inventory, interfaces from the deployed services), `netconf` (the routers of the file
    `UNILINK_NETCONF_TARGETS`) or a registered one (`lab`)."""
    if source == "sim":
        interfaces = sim_interfaces(store)
        return SimCounterReader(interfaces, clock=store.clock), sorted(interfaces)
    if source == "netconf":
        reader = netconf_reader(store, os.environ.get(TARGETS_ENV))
        return reader, reader.routers()
    factory = counter_reader_for(source)
    if factory is None:
        raise ValidationError("no counter source of this name", field=SOURCE_ENV, value=source,
                              accepted="sim, netconf, or lab once unilink.lab is loaded")
    reader = factory()
    routers = getattr(reader, "routers", None)
    return reader, list(routers() if callable(routers) else routers or [])


def netconf_reader(store: Any, targets_file: str | None) -> NetconfCounterReader:
    """The routers of `targets_file` over NETCONF; what their interfaces carry is what the engine's
    runtime says (the deployed services' ports and the backbone links, as for the simulator)."""
    targets = load_targets(targets_file)
    known = sim_interfaces(store)
    carries = {router: {i.name: i.carries for i in known[router]} for router in targets if router in known}
    return NetconfCounterReader(targets, carries)


def configured_source() -> str:
    return os.environ.get(SOURCE_ENV) or os.environ.get("UNILINK_DRIVER") or "sim"


def run_forever(poller: Poller, stop: threading.Event,
                on_cycle: Callable[[CycleResult], None] | None = None) -> None:
    """Poll every `interval_s` until `stop` is set; a failed cycle is logged and the loop goes on."""
    while not stop.is_set():
        try:
            result = poller.poll_once()
            if on_cycle is not None:
                on_cycle(result)
        except Exception:  # the next cycle retries; the collector must outlive a database hiccup
            log.exception("usage: poll cycle failed")
        stop.wait(poller.interval_s)
