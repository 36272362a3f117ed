"""Counter readings → deltas on hand-made series: wraps (32 and 64 bit), resets, missed polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from unilink.devices.counters import Carries, Counter
from unilink.usage.collector import GAP, RESET, WRAPPED, Collector, delta

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
SITE = Carries.site_port("acme", "Paris HQ", "internet")
GBIT = 10**9


def reading(at_s: float, octets_in: int, octets_out: int, *, width: int = 64, uptime: float | None = None,
            marker: str = "", speed: int | None = GBIT) -> Counter:
    return Counter("par-pe1", "cust1.100", octets_in, octets_out, T0 + timedelta(seconds=at_s), width=width,
                   uptime_s=uptime, marker=marker, carries=SITE, speed_bps=speed)


def test_a_steady_counter_gives_its_rate() -> None:
    d = delta(reading(0, 1_000, 0), reading(300, 1_000 + 37_500_000, 75_000_000), 300)
    assert d is not None and d.flags == 0
    assert (d.octets_in, d.octets_out) == (37_500_000, 75_000_000)
    assert (d.rate_in_bps, d.rate_out_bps) == (1_000_000, 2_000_000)


def test_a_32_bit_wrap_is_the_octets_through_the_top() -> None:
    top = 2**32
    d = delta(reading(0, top - 1_000, 5, width=32), reading(60, 9_000, 10, width=32), 60)
    assert d is not None and d.flags == WRAPPED
    assert d.octets_in == 10_000 and d.octets_out == 5


def test_a_64_bit_wrap_is_handled_the_same_way() -> None:
    top = 2**64
    d = delta(reading(0, top - 500, 0, width=64), reading(300, 1_500, 0, width=64), 300)
    assert d is not None and d.flags & WRAPPED and d.octets_in == 2_000


def test_a_decrease_too_big_for_a_wrap_is_a_reset_not_a_spike() -> None:
    # a 64-bit counter from 10 TB down to 5 GB: "wrapping" would be 1.8e19 octets in 5 minutes
    d = delta(reading(0, 10**13, 10**13), reading(300, 5 * 10**9, 2 * 10**9), 300)
    assert d is not None and d.flags & RESET
    assert d.octets_in == 5 * 10**9, "the octets counted since the reset"
    assert d.rate_in_bps <= GBIT * 1.1


def test_uptime_going_back_is_a_reset_even_when_the_counter_looks_like_it_wrapped() -> None:
    top = 2**32
    before = reading(0, top - 1_000, 0, width=32, uptime=10_000)
    after = reading(300, 4_000, 0, width=32, uptime=120)   # rebooted 2 minutes ago
    d = delta(before, after, 300)
    assert d is not None and d.flags == RESET and d.octets_in == 4_000


def test_a_reset_whose_octets_are_implausible_makes_no_sample() -> None:
    # re-created interface (new marker), counter already far above what 5 minutes at 1 Gbit/s allow
    d = delta(reading(0, 10**6, 0, marker="ifindex-7"), reading(300, 10**12, 0, marker="ifindex-9"), 300)
    assert d is None


def test_a_missed_poll_spreads_the_octets_over_the_gap_and_is_marked() -> None:
    d = delta(reading(0, 0, 0), reading(1_200, 1_200 * 125_000, 0), 300)   # three polls missed
    assert d is not None and d.flags == GAP
    assert d.seconds == 1_200 and d.rate_in_bps == 1_000_000, "the average, not a 4× spike"


def test_the_collector_keeps_the_newest_baseline_and_skips_repeats() -> None:
    c = Collector(300)
    assert c.feed([reading(0, 0, 0)]) == []
    assert len(c.feed([reading(300, 300, 0)])) == 1
    assert c.feed([reading(300, 300, 0)]) == [], "the same instant twice"
    assert c.feed([reading(200, 900, 0)]) == [], "a reading older than the baseline"
    (d,) = c.feed([reading(600, 600, 0)])
    assert d.octets_in == 300


@given(start=st.integers(0, 2**32 - 1), steps=st.lists(st.integers(0, 30_000_000), min_size=1, max_size=40))
def test_32_bit_counters_at_any_phase_give_back_every_octet(start: int, steps: list[int]) -> None:
    """A 32-bit counter sampled every 60 s at up to 4 Mbit/s: whatever its phase, the deltas add up to
    exactly the octets that flowed, and no delta exceeds what flowed in its interval."""
    c = Collector(60)
    value = start
    c.feed([reading(0, value, 0, width=32)])
    got = []
    for i, step in enumerate(steps, 1):
        value = (value + step) % 2**32
        got.extend(c.feed([reading(60 * i, value, 0, width=32)]))
    assert [d.octets_in for d in got] == steps
    assert all(d.flags & RESET == 0 for d in got)
