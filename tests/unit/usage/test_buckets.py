"""Deltas spread into buckets and rolled up: every octet kept, peaks kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from unilink.devices.counters import Carries
from unilink.usage.buckets import DAY, FIVE_MINUTES, HOUR, floor_to, rollup, spread
from unilink.usage.collector import GAP, Delta

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def make(start_s: float, seconds: float, octets_in: int, octets_out: int = 0, flags: int = 0) -> Delta:
    start = T0 + timedelta(seconds=start_s)
    return Delta("r", "i", Carries("other"), start, start + timedelta(seconds=seconds), octets_in, octets_out, flags)


def test_a_delta_across_two_buckets_is_split_by_time() -> None:
    parts = spread(make(240, 120, 1_200), FIVE_MINUTES)
    assert [(p.start, p.octets_in, p.covered_s) for p in parts] == [
        (T0, 600, 60), (T0 + timedelta(minutes=5), 600, 60)]
    assert all(p.max_in_bps == 80 for p in parts)


def test_a_gap_is_spread_over_all_its_buckets_and_flagged() -> None:
    parts = spread(make(0, 3_600, 3_600_000, flags=GAP), FIVE_MINUTES)
    assert len(parts) == 12 and {p.octets_in for p in parts} == {300_000} and all(p.flags == GAP for p in parts)


@given(deltas=st.lists(st.tuples(st.integers(0, 3 * DAY), st.integers(1, 7_200), st.integers(0, 10**12),
                                 st.integers(0, 10**12)), min_size=1, max_size=30))
def test_downsampling_keeps_the_totals_and_the_peaks(deltas: list[tuple[int, int, int, int]]) -> None:
    made = [make(s, n, i, o) for s, n, i, o in deltas]
    fine = [b for d in made for b in spread(d, FIVE_MINUTES)]
    hours = rollup(fine, HOUR)
    days = rollup(hours.values(), DAY)
    direct_days = {b.start: b for d in made for b in spread(d, DAY)}
    for level in (fine, list(hours.values()), list(days.values())):
        assert sum(b.octets_in for b in level) == sum(d.octets_in for d in made)
        assert sum(b.octets_out for b in level) == sum(d.octets_out for d in made)
        assert max(b.max_in_bps for b in level) == max(d.rate_in_bps for d in made)
    for start, day in days.items():   # each day holds the octets of the deltas' parts in that day
        assert start == floor_to(start, DAY)
        assert day.max_in_bps >= direct_days[start].max_in_bps
