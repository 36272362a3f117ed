"""Deltas → the samples of fixed buckets (5 minutes, an hour, a day), keeping every octet (pure).

A delta covers [start, end), which rarely matches a bucket: it is spread over the buckets it
overlaps in proportion to the time it spends in each, with integer octets whose sum is exactly the
delta's (the largest remainders get the odd octets). A missed poll's delta is thus spread over its
whole gap, never dropped into one bucket.

Each bucket keeps, besides its octets, the highest rate seen in it (the fastest poll interval that
overlapped it): a coarser bucket sums octets and keeps the maximum of the maxima, so an hour's or a
day's sample still shows the peak that its 5-minute samples had — the totals and the peaks survive
downsampling, only the shape inside a bucket is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from unilink.usage.collector import Delta

FIVE_MINUTES = 300
HOUR = 3600
DAY = 86_400
RESOLUTIONS = (FIVE_MINUTES, HOUR, DAY)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Bucket:
    """One series' sample of one bucket: [start, start + resolution)."""

    resolution: int
    start: datetime
    octets_in: int = 0
    octets_out: int = 0
    max_in_bps: int = 0
    max_out_bps: int = 0
    covered_s: int = 0     # seconds of the bucket that measured deltas covered
    flags: int = 0

    def add(self, other: Bucket) -> None:
        self.octets_in += other.octets_in
        self.octets_out += other.octets_out
        self.max_in_bps = max(self.max_in_bps, other.max_in_bps)
        self.max_out_bps = max(self.max_out_bps, other.max_out_bps)
        self.covered_s += other.covered_s
        self.flags |= other.flags


def floor_to(at: datetime, resolution: int) -> datetime:
    seconds = int((at - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=seconds - seconds % resolution)


def _shares(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, integers summing exactly to `total`."""
    whole = sum(weights)
    if total == 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    short = total - sum(parts)
    for i in sorted(range(len(parts)), key=lambda j: exact[j] - parts[j], reverse=True)[:short]:
        parts[i] += 1
    return parts


def spread(d: Delta, resolution: int) -> list[Bucket]:
    """The buckets of `resolution` that `d` overlaps, each with its share of the octets."""
    first = floor_to(d.start, resolution)
    if d.end <= first + timedelta(seconds=resolution):   # the common case: one bucket, no sharing
        return [Bucket(resolution, first, d.octets_in, d.octets_out, d.rate_in_bps, d.rate_out_bps,
                       round(d.seconds), d.flags)]
    starts: list[datetime] = []
    overlaps: list[float] = []
    at = floor_to(d.start, resolution)
    step = timedelta(seconds=resolution)
    while at < d.end:
        overlaps.append((min(at + step, d.end) - max(at, d.start)).total_seconds())
        starts.append(at)
        at += step
    ins, outs = _shares(d.octets_in, overlaps), _shares(d.octets_out, overlaps)
    peak_in, peak_out = d.rate_in_bps, d.rate_out_bps
    return [Bucket(resolution, s, i, o, peak_in, peak_out, round(c), d.flags)
            for s, i, o, c in zip(starts, ins, outs, overlaps, strict=True)]


def rollup(buckets: Iterable[Bucket], resolution: int) -> dict[datetime, Bucket]:
    """Finer buckets merged into buckets of `resolution` (sums of octets, maxima of peaks)."""
    out: dict[datetime, Bucket] = {}
    for b in buckets:
        start = floor_to(b.start, resolution)
        into = out.get(start)
        if into is None:
            into = out[start] = Bucket(resolution, start)
        into.add(b)
    return out
