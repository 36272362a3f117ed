"""The ledger's calendars kept as load changes: every history gives the brute-force loads and one canonical form.

The calendar stores, per arc, the instants where the load changes and by how much. These tests mix the
common booking (open-ended from "now", many sharing that start) with windows that overlap them, holds,
releases one by one and in bulk, and `trial()` / `atomic()` rollbacks, and compare with a brute-force sum
over the live reservations.
"""

from __future__ import annotations

import contextlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from network_testkit import build_network

from unilink.errors import InfeasibleError
from unilink.network.graph import CompiledGraph
from unilink.network.ledger import ALWAYS, NEVER, CapacityLedger, Reservation

CAPACITY = 12
NOW = 100.0


def square_ledger() -> CapacityLedger:
    """Two links (four arcs) of CAPACITY bit/s: small enough for brute force, wide enough to share starts."""
    return CapacityLedger(CompiledGraph.compile(build_network(3, [(0, 1, 1, CAPACITY), (1, 2, 1, CAPACITY)])))


def brute_load(live: list[Reservation], arc: int, t: float) -> int:
    return sum(bps for r in live for a, bps in r.arc_bps if a == arc and r.start <= t < r.end)


def assert_matches_brute_force(ledger: CapacityLedger) -> None:
    live = ledger.reservations()
    instants = sorted({ALWAYS, 0.0} | {r.start for r in live} | {r.end for r in live} - {NEVER})
    for arc in range(ledger.graph.arc_count):
        loads = [brute_load(live, arc, t) for t in instants]
        assert max(loads) <= CAPACITY
        for i, t in enumerate(instants):
            for j in range(i + 1, len(instants) + 1):  # every window between instants, and open-ended ones
                end = instants[j] if j < len(instants) else NEVER
                assert ledger.free_bps(arc, t, end) == CAPACITY - max(loads[i:j]), (arc, t, end)
        assert ledger.free_bound_bps[arc] <= ledger.free_bps(arc)  # the fast-path bound stays a lower bound
        calendar = ledger._calendars[arc]
        # Canonical: a breakpoint only where the load changes, so the form depends on the live set alone.
        assert calendar.times == sorted(set(calendar.times)) and calendar.times[0] == ALWAYS
        assert all(delta != 0 for delta in calendar.deltas[1:])
        assert calendar.loads.tolist() == [brute_load(live, arc, t) for t in calendar.times]


def rebuilt(ledger: CapacityLedger) -> list[tuple[list[float], list[int]]]:
    """The calendars a fresh ledger gets from the live reservations alone."""
    fresh = CapacityLedger(ledger.graph)
    for r in ledger.reservations():
        fresh.reserve(r.arc_bps, service_id=r.service_id, start=r.start, end=r.end, hold_until=r.hold_until,
                      reservation_id=r.id)
    return snapshot(fresh)


def snapshot(ledger: CapacityLedger) -> list[tuple[list[float], list[int]]]:
    return [(c.times[:], c.deltas.tolist()) for c in ledger._calendars]


# Starts cluster on NOW (the engine's "from now on" bookings share it); windows may start before, at or after it.
windows = st.one_of(
    st.just((NOW, None)),
    st.tuples(st.sampled_from([None, 50.0, NOW, 130.0]), st.none()),
    st.tuples(st.sampled_from([None, 50.0, NOW, 120.0, 130.0]), st.sampled_from([10.0, 20.0, 30.0, 80.0]))
    .map(lambda w: (w[0], (NOW if w[0] is None else w[0]) + w[1])),
)
one_op = st.tuples(
    st.sampled_from(["reserve", "reserve", "reserve", "release", "release_many", "trial", "atomic_fails", "hold"]),
    st.dictionaries(st.integers(0, 3), st.integers(1, 5), min_size=1, max_size=4),
    windows,
    st.integers(0, 1000),
)


def run(ledger: CapacityLedger, op: tuple[str, dict[int, int], tuple[float | None, float | None], int]) -> None:
    kind, arc_bps, (start, end), pick = op
    live = ledger.reservations()
    if kind == "release" and live:
        ledger.release(live[pick % len(live)].id)
    elif kind == "release_many" and live:
        ledger.release_many(r.id for r in live[pick % len(live)::2])
    elif kind == "trial":  # book and release inside a trial: everything comes back exactly
        before, ids = snapshot(ledger), [r.id for r in live]
        with ledger.trial():
            with contextlib.suppress(InfeasibleError):
                ledger.reserve(arc_bps, service_id="t", start=start, end=end)
            if live:
                ledger.release(live[pick % len(live)].id)
            with contextlib.suppress(InfeasibleError):
                ledger.reserve({a: 1 for a in arc_bps}, service_id="t2", start=NOW, end=None)
        assert snapshot(ledger) == before and [r.id for r in ledger.reservations()] == ids
    elif kind == "atomic_fails":
        before, ids = snapshot(ledger), [r.id for r in live]
        with pytest.raises(RuntimeError), ledger.atomic():
            with contextlib.suppress(InfeasibleError):
                ledger.reserve(arc_bps, service_id="a", start=start, end=end)
            if live:
                ledger.release_many([live[pick % len(live)].id])
            raise RuntimeError("undo")
        assert snapshot(ledger) == before and [r.id for r in ledger.reservations()] == ids
    else:
        with contextlib.suppress(InfeasibleError):
            ledger.reserve(arc_bps, service_id="p", start=start, end=end,
                           hold_until=NOW + 5 if kind == "hold" else None)


@settings(max_examples=200, deadline=None)
@given(st.lists(one_op, max_size=30))
def test_any_history_gives_the_brute_force_loads_and_the_canonical_calendar(ops):
    ledger = square_ledger()
    for op in ops:
        run(ledger, op)
        assert_matches_brute_force(ledger)
    assert snapshot(ledger) == rebuilt(ledger)  # the calendars depend on the live reservations only
    ledger.expire_holds(NOW + 5)
    ledger.release_many(r.id for r in ledger.reservations())
    assert all(c.times == [ALWAYS] and c.deltas.tolist() == [0] for c in ledger._calendars)
    ledger.refresh_bounds()
    assert ledger.free_bound_bps.tolist() == [CAPACITY] * 4


def test_a_window_overlapping_open_ended_bookings_sees_their_sum():
    ledger = square_ledger()
    for _ in range(3):
        ledger.reserve({0: 2}, service_id="open", start=NOW)  # three bookings share one breakpoint
    assert ledger._calendars[0].times == [ALWAYS, NOW] and ledger._calendars[0].deltas.tolist() == [0, 6]
    ledger.reserve({0: 5}, service_id="boost", start=NOW - 10, end=NOW + 10)
    assert ledger.free_bps(0, NOW - 10, NOW) == CAPACITY - 5
    assert ledger.free_bps(0, NOW - 10, None) == CAPACITY - 11
    assert ledger.free_bps(0, NOW + 10, None) == CAPACITY - 6
    with pytest.raises(InfeasibleError):
        ledger.reserve({0: 2}, service_id="late", start=NOW + 5, end=NOW + 20)  # 11 + 2 > 12 on [NOW+5, NOW+10)
    ledger.reserve({0: 2}, service_id="later", start=NOW + 10, end=NOW + 20)  # [start, end): NOW+10 is free again
    assert ledger._calendars[0].times == [ALWAYS, NOW - 10, NOW, NOW + 10, NOW + 20]


def test_releasing_open_ended_bookings_drops_their_breakpoint_once_unused():
    ledger = square_ledger()
    first = ledger.reserve({0: 4}, service_id="a", start=NOW)
    second = ledger.reserve({0: 3}, service_id="b", start=NOW)
    ledger.release(first.id)
    assert ledger._calendars[0].times == [ALWAYS, NOW] and ledger.free_bps(0, NOW, None) == CAPACITY - 3
    ledger.release(second.id)
    assert ledger._calendars[0].times == [ALWAYS] and ledger.free_bps(0) == CAPACITY
    forever = ledger.reserve({0: 7}, service_id="c")  # since always: the first segment's load, no breakpoint
    assert ledger._calendars[0].times == [ALWAYS] and ledger._calendars[0].deltas.tolist() == [7]
    ledger.release(forever.id)
    assert ledger._calendars[0].deltas.tolist() == [0]


def test_a_copy_and_its_original_do_not_share_calendars():
    ledger = square_ledger()
    ledger.reserve({0: 4}, service_id="a", start=NOW)
    assert ledger.free_bps(0, NOW, None) == CAPACITY - 4  # fills the read caches the copy starts with
    twin = ledger.copy()
    twin.reserve({0: 5}, service_id="b", start=NOW + 1, end=NOW + 2)
    assert ledger.free_bps(0, NOW, None) == CAPACITY - 4 and twin.free_bps(0, NOW, None) == CAPACITY - 9
    assert not math.isinf(twin._calendars[0].times[-1]) and ledger._calendars[0].times == [ALWAYS, NOW]
