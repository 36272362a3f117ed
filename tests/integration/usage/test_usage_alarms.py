"""Usage alarms through the real poll loop and the outbox (SQLite and PostgreSQL): a scripted counter
source sends a site's access port exact rates poll after poll; the alarm is raised once after 15
minutes at or above 90 % of the committed 100 Mbit/s, not for a 10-minute burst, is not raised again
while the episode lasts (a poll between the two levels keeps it), is cleared after 15 minutes below
80 %, and a new episode raises a new alarm. The events are delivered (webhooks, the stream)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from unilink.clock import FrozenClock
from unilink.devices.counters import Carries, Counter
from unilink.errors import ValidationError
from unilink.store import outbox_repo
from unilink.store import usage_alarms_repo as alarms_repo
from unilink.store.db import Store
from unilink.store.tables.auth import EventRow
from unilink.store.usage_alarms_repo import CLEAR
from unilink.usage.alarms import AlarmRule, AlarmWatch, parse_rule, step
from unilink.usage.poller import Poller
from usage_samples import deployed_store

M = 10**6
class ScriptedReader:
    """One access port whose rate the test sets before each poll (octets added for the interval)."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.octets = 0
        self.carries = Carries.site_port("acme", "hq", "internet")

    def send(self, rate_bps: int, seconds: int = 300) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        self.octets += rate_bps * seconds // 8

    def read_counters(self, router: str) -> list[Counter]:
        return [Counter(router, "ge-0/0/1.100", self.octets // 2, self.octets, self.clock.now(), carries=self.carries,
                        speed_bps=10**9)]


def _topics(store: Store) -> list[tuple[str, str, bool]]:
    with store.session() as session:
        rows = outbox_repo.rows(session, tenant="acme")
    return [(r["topic"], r["payload"]["direction"], r["delivered"]) for r in rows if r["topic"].startswith("usage.")]


def test_raised_once_after_15_minutes_cleared_after_and_not_for_a_burst(any_store: Store,
                                                                         frozen_clock: FrozenClock) -> None:
    deployed_store(any_store)
    reader = ScriptedReader(frozen_clock)
    poller = Poller(any_store, reader, ["par-pe1"], interval_s=300, after_cycle=AlarmWatch(any_store))
    poller.poll_once()                                   # the baseline
    script = [50, 95, 95, 50,                            # a 10-minute burst: nothing
              95, 95, 95,                                # 15 minutes at 95 %: raised on the third poll
              99, 85, 95, 85,                            # above the clear level: nothing more
              70, 70, 70,                                # 15 minutes below 80 %: cleared on the third
              50, 92, 92, 92]                            # a new episode: raised again
    seen = []
    for mbps in script:
        reader.send(mbps * M)
        poller.poll_once()
        seen.append(len(_topics(any_store)))
    # the up direction runs at half: never alarmed
    assert seen == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3]
    assert _topics(any_store) == [("usage.alarm", "down", True), ("usage.cleared", "down", True),
                                  ("usage.alarm", "down", True)]
    with any_store.session() as session:
        rows = outbox_repo.rows(session, tenant="acme")
        first = next(r for r in rows if r["topic"] == "usage.alarm")["payload"]
        cleared = next(r for r in rows if r["topic"] == "usage.cleared")["payload"]
        events = session.query(EventRow).filter(EventRow.type.like("usage.%")).count()
        raised = alarms_repo.raised(session, "acme")
    assert first["site"] == "hq" and first["committed_bps"] == 100 * M and first["rate_bps"] == 95 * M
    assert first["threshold_percent"] == 90.0 and first["hold_s"] == 900
    assert cleared["peak_bps"] == 99 * M            # the episode's highest rate
    assert events == 3                               # delivered as events (webhooks, the stream)
    assert [key for key, _ in raised] == [("acme", "hq", "down")]


def test_a_restarted_collector_does_not_raise_twice(any_store: Store, frozen_clock: FrozenClock) -> None:
    deployed_store(any_store)
    reader = ScriptedReader(frozen_clock)
    Poller(any_store, reader, ["par-pe1"], after_cycle=AlarmWatch(any_store)).poll_once()
    first = Poller(any_store, reader, ["par-pe1"], after_cycle=AlarmWatch(any_store))
    for _ in range(3):
        reader.send(96 * M)
        first.poll_once()
    second = Poller(any_store, reader, ["par-pe1"], after_cycle=AlarmWatch(any_store))  # a new process
    for _ in range(3):
        reader.send(96 * M)
        second.poll_once()
    assert _topics(any_store) == [("usage.alarm", "down", True)]


def test_the_rule_itself() -> None:
    rule = AlarmRule()
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    five = timedelta(minutes=5)
    state, move = step(CLEAR, 90 * M, 100 * M, t0, t0 + five, rule)     # exactly 90 %: counts as above
    assert move is None and state.since == t0
    state, move = step(state, 89 * M, 100 * M, t0 + five, t0 + 2 * five, rule)   # dips under: starts again
    assert state == CLEAR and move is None
    assert step(CLEAR, 10**9, 0, t0, t0 + 3 * five, rule) == (CLEAR, None)   # no committed rate: never
    assert parse_rule("95%/70%/30m") == AlarmRule(0.95, 0.7, timedelta(minutes=30))
    with pytest.raises(ValidationError) as refused:
        parse_rule("80%/90%/15m")
    assert refused.value.field == "UNILINK_USAGE_ALARM"
