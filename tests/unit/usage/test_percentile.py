"""The 95/5 rule on series worked by hand."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from unilink.usage.percentile import burst_above_commit, percentile_95


def test_of_twenty_samples_the_busiest_one_is_free() -> None:
    rates = [10] * 18 + [50, 900]  # ceil(0.95 * 20) = 19th smallest
    assert percentile_95(rates) == 50


def test_a_month_discards_its_432_busiest_five_minutes() -> None:
    quiet, busy = [100_000_000] * (8640 - 432), [1_000_000_000] * 432
    assert percentile_95(busy + quiet) == 100_000_000
    assert percentile_95(busy + quiet + [1_000_000_000]) == 1_000_000_000  # 433 busy: one is billed


def test_no_sample_bills_nothing_and_below_the_commit_nothing_extra() -> None:
    assert percentile_95([]) == 0
    assert burst_above_commit([50_000_000] * 10, 100_000_000) == 0
    assert burst_above_commit([150_000_000] * 10, 100_000_000) == 50_000_000


@given(st.lists(st.integers(min_value=0, max_value=10**11), min_size=1, max_size=400))
def test_at_most_five_percent_of_samples_lie_above_it(rates: list[int]) -> None:
    p95 = percentile_95(rates)
    assert p95 in rates
    assert sum(1 for r in rates if r > p95) <= 0.05 * len(rates)
