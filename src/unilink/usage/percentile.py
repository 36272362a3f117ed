"""The 95th percentile of burstable billing ("95/5"), shared by the usage graphs and the invoices.

The carriers' convention: take the month's 5-minute rate samples, sort them, discard the top 5 % and
bill the highest that remains. With n samples that is the ceil(0.95·n)-th smallest (1-based): of 8,640
samples (30 days) the 8,208th, so the 432 busiest five-minute periods — 36 hours — are free. A missing
sample (a missed poll) is not a zero: only samples that exist are counted, so an outage never lowers
the bill below what was used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

BILLED_SHARE = 0.95


def percentile_95(rates_bps: Iterable[int | float]) -> int:
    """The 95th-percentile rate in bit/s of `rates_bps` (5-minute averages); 0 when there is none."""
    ordered = sorted(rates_bps)
    if not ordered:
        return 0
    rank = math.ceil(BILLED_SHARE * len(ordered))  # 1-based: the top len - rank samples are discarded
    return int(ordered[rank - 1])


def burst_above_commit(rates_bps: Iterable[int | float], commit_bps: int) -> int:
    """What a burstable service is billed above its commit: the 95th percentile less the commit, in
    bit/s, never negative."""
    return max(0, percentile_95(rates_bps) - commit_bps)
