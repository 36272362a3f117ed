"""The instant every test runs at (tests/conftest.py freezes the stores' clock there).

At 02:30 UTC, inside the examples' nightly window (01:00-05:00), on purpose: a test that only passes
by day fails on every run instead of at night. Tests that need "now" for a document (a boost's end,
say) take it from here or from the `frozen_clock` fixture, never from `datetime.now()`.
"""

from datetime import UTC, datetime

TEST_NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
