"""The time unilink runs on: a `Clock` the engine, the scheduler and the store are given.

Nothing in the change flow reads the wall clock itself: whether a boost is over, a window open or a
plan stale depends on `store.clock.now()` (or a `now` the caller passes). Production runs on the
`SYSTEM` clock; tests freeze one (`FrozenClock`) so that no result depends on the hour a test runs.

A process may set the clock its stores open with (`set_default`): the CLI and the API open their
stores themselves, and a test of either freezes time this way instead of patching `datetime`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FrozenClock:
    """A clock that stands still at `at` until told to move (tests, demos)."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, delta: timedelta) -> datetime:
        self._at += delta
        return self._at

    def __repr__(self) -> str:
        return f"FrozenClock({self._at.isoformat()})"


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"a clock needs a timezone-aware instant, got {at!r}")
    return at.astimezone(UTC)


SYSTEM: Clock = SystemClock()
_default: Clock = SYSTEM


def default() -> Clock:
    """The clock new stores of this process run on (the wall clock unless a test froze one)."""
    return _default


def set_default(clock: Clock) -> Clock:
    """Make `clock` the one new stores run on; returns the previous one (to restore it)."""
    global _default
    previous, _default = _default, clock
    return previous
