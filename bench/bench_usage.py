"""The usage collector: 10,000 interfaces polled from the simulator every 60 s, on SQLite.

Ours (`unilink.usage.poller.Poller`): read the counters, turn them into deltas (wraps, resets,
gaps), spread them into 5-minute, hourly and daily samples (one multi-row upsert per cycle), update
the running totals, last rates and raw readings of each series (one executemany).
The straightforward way, in the same run and database: one row per raw reading, written one INSERT
at a time; rates computed on read (the last two readings of each interface, subtracted).

Figures: CPU seconds (process time) and wall seconds per poll cycle, samples written per second
(rows of samples for ours; rows of readings for the straightforward way), the time to read the
current rate of all 10,000 interfaces, and the ratios (straightforward / ours: > 1 means ours is
faster). The last line printed is one JSON object.

Run: .venv/bin/python bench/bench_usage.py [--quick]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from unilink.clock import FrozenClock
from unilink.devices.counters import Carries
from unilink.devices.drivers.sim import SimCounterReader, SimInterface
from unilink.store import usage_samples_repo
from unilink.store.db import Store
from unilink.usage.poller import Poller

ROUTERS, PER_ROUTER = 100, 100          # 10,000 interfaces
INTERVAL_S = 60
START = datetime(2026, 12, 1, 0, 0, 30, tzinfo=UTC)   # polls inside the minute: some deltas cross a bucket


def interfaces() -> dict[str, list[SimInterface]]:
    return {f"r{r:03d}": [SimInterface(f"cust{i}.{100 + i}", Carries.site_port(f"t{r % 50}", f"site-{r}-{i}",
                                                                               "internet"), 10**9)
                          for i in range(PER_ROUTER)] for r in range(ROUTERS)}


def ours(store: Store, clock: FrozenClock, cycles: int) -> dict[str, float]:
    reader = SimCounterReader(interfaces(), seed=14, clock=clock)
    poller = Poller(store, reader, sorted(reader.interfaces), interval_s=INTERVAL_S)
    poller.poll_once()                                   # the baseline (creates the series)
    cpu, wall, samples = [], [], 0
    for _ in range(cycles):
        clock.advance(timedelta(seconds=INTERVAL_S))
        c0, w0 = time.process_time(), time.perf_counter()
        result = poller.poll_once()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        samples += result.samples
    w0 = time.perf_counter()
    with store.session() as session:
        rates = {(t.info.router, t.info.interface): t.last_out_bps for t in usage_samples_repo.series_totals(session)}
    read_s = time.perf_counter() - w0
    assert len(rates) == ROUTERS * PER_ROUTER
    return {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall),
            "samples_per_s": samples / sum(wall), "read_rates_s": read_s}


def naive(store: Store, clock: FrozenClock, cycles: int) -> dict[str, float]:
    reader = SimCounterReader(interfaces(), seed=14, clock=clock)
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE naive_readings (id INTEGER PRIMARY KEY, router TEXT, interface TEXT, "
                          "read_at TIMESTAMP, octets_in INTEGER, octets_out INTEGER)"))
        conn.execute(text("CREATE INDEX ix_naive ON naive_readings (router, interface, read_at)"))
    insert = text("INSERT INTO naive_readings (router, interface, read_at, octets_in, octets_out) "
                  "VALUES (:r, :i, :t, :o_in, :o_out)")
    cpu, wall, rows = [], [], 0
    for cycle in range(cycles + 1):
        if cycle:
            clock.advance(timedelta(seconds=INTERVAL_S))
        c0, w0 = time.process_time(), time.perf_counter()
        readings = [c for router in sorted(reader.interfaces) for c in reader.read_counters(router)]
        with store.engine.begin() as conn:
            for c in readings:   # one row at a time
                conn.execute(insert, {"r": c.router, "i": c.interface, "t": c.read_at, "o_in": c.octets_in,
                                      "o_out": c.octets_out})
        if cycle:
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
            rows += len(readings)
    w0 = time.perf_counter()
    with store.engine.connect() as conn:   # rates on read: the last two readings of each interface
        found = conn.execute(text(
            "SELECT router, interface, read_at, octets_out FROM (SELECT router, interface, read_at, octets_out, "
            "row_number() OVER (PARTITION BY router, interface ORDER BY read_at DESC) AS n FROM naive_readings) "
            "WHERE n <= 2 ORDER BY router, interface, read_at")).all()
    last: dict[tuple[str, str], tuple[object, int]] = {}
    rates = {}
    for router, iface, at, octets in found:
        before = last.get((router, iface))
        if before is not None:
            seconds = (datetime.fromisoformat(str(at)) - datetime.fromisoformat(str(before[0]))).total_seconds()
            rates[(router, iface)] = (octets - before[1]) * 8 // seconds
        last[(router, iface)] = (at, octets)
    read_s = time.perf_counter() - w0
    assert len(rates) == ROUTERS * PER_ROUTER
    return {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall),
            "samples_per_s": rows / sum(wall), "read_rates_s": read_s}


def main() -> None:
    cycles = 2 if "--quick" in sys.argv else 5
    with tempfile.TemporaryDirectory() as tmp:
        clock = FrozenClock(START)
        store = Store.open(f"sqlite:///{Path(tmp) / 'usage.db'}", clock=clock)
        try:
            mine = ours(store, clock, cycles)
            clock.set(START)
            plain = naive(store, clock, cycles)
        finally:
            store.close()
    figures = {"interfaces": ROUTERS * PER_ROUTER, "interval_s": INTERVAL_S, "cycles": cycles, "backend": "sqlite",
               "ours_cpu_s_per_cycle": round(mine["cpu_s"], 3), "ours_wall_s_per_cycle": round(mine["wall_s"], 3),
               "ours_samples_written_per_s": round(mine["samples_per_s"]),
               "ours_read_all_rates_ms": round(mine["read_rates_s"] * 1000, 1),
               "naive_cpu_s_per_cycle": round(plain["cpu_s"], 3), "naive_wall_s_per_cycle": round(plain["wall_s"], 3),
               "naive_rows_written_per_s": round(plain["samples_per_s"]),
               "naive_read_all_rates_ms": round(plain["read_rates_s"] * 1000, 1),
               "cpu_ratio_naive_over_ours": round(plain["cpu_s"] / mine["cpu_s"], 2),
               "wall_ratio_naive_over_ours": round(plain["wall_s"] / mine["wall_s"], 2),
               "read_ratio_naive_over_ours": round(plain["read_rates_s"] / mine["read_rates_s"], 2),
               "cycle_budget_used": round(mine["wall_s"] / INTERVAL_S, 4)}
    for name, value in figures.items():
        print(f"{name:32} {value}")
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
