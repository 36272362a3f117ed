"""Counter readings → octets per interval and rates (pure: no I/O, no clock).

A counter says how many octets crossed since it started, modulo its width. Two readings of the same
interface give the octets of the interval between them, unless one of these happened in between:

- a **wrap**: the counter passed 2^width and went on from 0. The reading is lower than the last one,
  the device did not restart, and the wrapped difference is a rate the interface can carry: the
  octets are `now + 2^width − before`;
- a **reset**: the device restarted (its uptime went back, or is shorter than the interval), the
  interface was re-created (its marker changed), or the counter went down by more than a wrap could
  explain (a 64-bit counter that "wraps" is, in practice, always a reset). The octets counted since
  the reset are the new reading when the reset happened inside the interval and that is a plausible
  rate; otherwise the interval's octets are unknown and no sample is made — never a spike;
- a **missed poll**: the readings are more than `GAP_FACTOR` intervals apart. The octets are real but
  spread over the whole gap (the rate is their average, the sample says so), so that a night without
  polls never shows up as one huge 5-minute sample.

Rates are integers in bit/s (`octets · 8 // seconds`), octets are integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from unilink.devices.counters import Carries, Counter

GAP_FACTOR = 1.5
DEFAULT_MAX_BPS = 400 * 10**9     # a wrap faster than this on an interface of unknown speed is a reset
SPEED_MARGIN = 1.1                # counters may run a little above the nominal speed (framing, bursts)

# flags of a sample (a bit set, stored as an int)
WRAPPED = 1
RESET = 2
GAP = 4


@dataclass(frozen=True, slots=True)
class Delta:
    """The octets of one interface over [start, end): what the storage spreads into its buckets."""

    router: str
    interface: str
    carries: Carries
    start: datetime
    end: datetime
    octets_in: int
    octets_out: int
    flags: int = 0

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def rate_in_bps(self) -> int:
        return rate_bps(self.octets_in, self.seconds)

    @property
    def rate_out_bps(self) -> int:
        return rate_bps(self.octets_out, self.seconds)


def rate_bps(octets: int, seconds: float) -> int:
    return int(octets * 8 // seconds) if seconds > 0 else 0


def _max_octets(before: Counter, seconds: float) -> float:
    speed = before.speed_bps * SPEED_MARGIN if before.speed_bps else DEFAULT_MAX_BPS
    return speed * seconds / 8


def restarted(before: Counter, now: Counter, seconds: float) -> bool:
    """Did the counter start again between the readings (whatever the values say)?"""
    if now.marker != before.marker or now.width != before.width:
        return True
    if now.uptime_s is None or before.uptime_s is None:
        return False
    # uptime went back, or is shorter than the interval (with a second of slack for clock skew)
    return now.uptime_s < before.uptime_s or now.uptime_s + 1 < seconds


def one_direction(before: int, now: int, width: int, seconds: float, limit: float, reset: bool
                  ) -> tuple[int | None, int]:
    """(octets over the interval or None if unknowable, flags) for one counter."""
    if reset:
        return (now, RESET) if now <= limit else (None, RESET)
    if now >= before:
        return (now - before, 0) if now - before <= limit else (None, RESET)
    wrapped = now + (1 << width) - before
    if wrapped <= limit:
        return wrapped, WRAPPED
    return (now, RESET) if now <= limit else (None, RESET)   # went down: a reset the uptime did not show


def delta(before: Counter, now: Counter, interval_s: float) -> Delta | None:
    """The octets between two readings of one interface; None when they cannot be known (a reset
    whose octets are implausible, readings out of order, or the same instant twice)."""
    seconds = (now.read_at - before.read_at).total_seconds()
    if seconds <= 0:
        return None
    limit = _max_octets(now, seconds)
    reset = restarted(before, now, seconds)
    octets_in, flags_in = one_direction(before.octets_in, now.octets_in, now.width, seconds, limit, reset)
    octets_out, flags_out = one_direction(before.octets_out, now.octets_out, now.width, seconds, limit, reset)
    if octets_in is None or octets_out is None:
        return None
    flags = flags_in | flags_out | (GAP if seconds > GAP_FACTOR * interval_s else 0)
    return Delta(now.router, now.interface, now.carries, before.read_at, now.read_at, octets_in, octets_out, flags)


class Collector:
    """Keeps the last reading per interface and turns each new poll into deltas."""

    def __init__(self, interval_s: float) -> None:
        if interval_s <= 0:
            raise ValueError("the poll interval must be positive")
        self.interval_s = interval_s
        self.last: dict[tuple[str, str], Counter] = {}
        self.skipped = 0   # readings that made no delta (first sight, or a reset of unknown size)

    def feed(self, readings: list[Counter]) -> list[Delta]:
        out: list[Delta] = []
        for reading in readings:
            before = self.last.get(reading.key)
            if before is not None and reading.read_at <= before.read_at:
                continue   # a stale or repeated reading: keep the newer baseline
            self.last[reading.key] = reading
            found = delta(before, reading, self.interval_s) if before is not None else None
            if found is None:
                self.skipped += 1
            else:
                out.append(found)
        return out
