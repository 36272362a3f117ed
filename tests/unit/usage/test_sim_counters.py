"""The simulator's counters: a seeded model, a function of time; the same seed, the same octets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from unilink.clock import FrozenClock
from unilink.devices.counters import Carries, CounterReader
from unilink.devices.drivers.sim import DAY_S, SimCounterReader, SimFlow, SimInterface
from unilink.usage.collector import Collector

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PORTS = {"par-pe1": [SimInterface("cust1.100", Carries.site_port("acme", "Paris HQ", "internet"), 10**9),
                     SimInterface("cust2.101", Carries.site_port("acme", "Lyon", "internet"), 10**8, width=32)]}


def test_same_seed_same_counters_other_seed_other_counters() -> None:
    clock = FrozenClock(AT)
    a = SimCounterReader(PORTS, seed=1, clock=clock).read_counters("par-pe1")
    b = SimCounterReader(PORTS, seed=1, clock=clock).read_counters("par-pe1")
    c = SimCounterReader(PORTS, seed=2, clock=clock).read_counters("par-pe1")
    assert a == b and a != c
    assert isinstance(SimCounterReader(PORTS), CounterReader)
    assert a[1].width == 32 and a[1].octets_in < 2**32


def test_the_rate_follows_a_daily_curve_and_grows() -> None:
    flow = SimFlow.seeded("par-pe1/cust1.100/out", 10**9, seed=14)
    busy = flow.rate_bps(300 * DAY_S + flow.peak_s)
    night = flow.rate_bps(300 * DAY_S + flow.peak_s + DAY_S / 2)
    assert busy > 3 * night
    assert flow.rate_bps(700 * DAY_S + flow.peak_s) > busy, "growth over a year"
    assert flow.octets(1000.0) < flow.octets(1300.0)


def test_the_collector_measures_the_models_rate_through_32_bit_wraps() -> None:
    clock = FrozenClock(AT)
    reader = SimCounterReader(PORTS, seed=3, clock=clock)
    collector = Collector(60)
    collector.feed(reader.read_counters("par-pe1"))
    flow_in, _ = reader.flows("par-pe1", PORTS["par-pe1"][1])
    total = 0
    for _ in range(30):
        clock.advance(timedelta(seconds=60))
        total += sum(d.octets_in for d in collector.feed(reader.read_counters("par-pe1")) if d.interface == "cust2.101")
    u0 = (AT - reader.origin).total_seconds()
    assert total == flow_in.octets(u0 + 1800) - flow_in.octets(u0)
