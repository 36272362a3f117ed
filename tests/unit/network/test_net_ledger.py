"""The capacity ledger: exact, never negative, reversible, with time windows and holds."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from network_testkit import build_network

from unilink.errors import InfeasibleError, NotFoundError, ValidationError
from unilink.network.graph import CompiledGraph
from unilink.network.ledger import NEVER, CapacityLedger

G = 10**9


def line_ledger(capacity: int = 10 * G) -> CapacityLedger:
    # N0 -L0- N1 -L1- N2
    return CapacityLedger(CompiledGraph.compile(build_network(3, [(0, 1, 5, capacity), (1, 2, 5, capacity)])))


def test_reserve_counts_against_capacity_and_release_restores_it():
    ledger = line_ledger()
    r = ledger.reserve({0: 4 * G, 2: 4 * G}, service_id="s1")
    assert ledger.free_bps(0) == 6 * G and ledger.free_bps(1) == 10 * G and ledger.free_bps(2) == 6 * G
    ledger.release(r.id)
    assert [ledger.free_bps(a) for a in range(4)] == [10 * G] * 4
    assert len(ledger) == 0


def test_overbooking_is_refused_naming_link_free_and_asked_and_changes_nothing():
    ledger = line_ledger()
    ledger.reserve({0: 7 * G}, service_id="s1")
    version = ledger.version
    with pytest.raises(InfeasibleError) as info:
        ledger.reserve({2: 1 * G, 0: 4 * G}, service_id="s2")
    (entry,) = info.value.details["bottleneck"]
    assert entry == {"link": "L0", "a": "N0", "b": "N1", "free_bps": 3 * G, "asked_bps": 4 * G}
    assert "L0" in str(info.value)
    assert ledger.version == version and ledger.free_bps(2) == 10 * G and len(ledger) == 1


def test_disjoint_windows_share_the_capacity_overlapping_ones_do_not():
    ledger = line_ledger()
    ledger.reserve({0: 10 * G}, service_id="day", start=100, end=200)
    ledger.reserve({0: 10 * G}, service_id="night", start=200, end=300)  # [start, end): 200 is free again
    assert ledger.free_bps(0, 0, 100) == 10 * G
    assert ledger.free_bps(0, 150, 250) == 0
    assert ledger.free_bps(0, 300, None) == 10 * G
    with pytest.raises(InfeasibleError):
        ledger.reserve({0: 1}, service_id="late", start=299, end=301)


def test_free_over_a_window_is_capacity_minus_the_largest_overlapping_total():
    ledger = line_ledger()
    ledger.reserve({0: 2 * G}, service_id="a", start=0, end=100)
    ledger.reserve({0: 3 * G}, service_id="b", start=50, end=150)
    ledger.reserve({0: 4 * G}, service_id="c", start=120, end=None)
    assert ledger.free_bps(0, 0, 50) == 8 * G
    assert ledger.free_bps(0, 0, 60) == 5 * G  # a + b overlap on [50, 100)
    assert ledger.free_bps(0, 100, 120) == 7 * G
    assert ledger.free_bps(0, 0, None) == 3 * G  # b + c on [120, 150)
    assert ledger.free_bps(0, 150, None) == 6 * G


def test_datetimes_and_seconds_are_the_same_instants():
    ledger = line_ledger()
    t0 = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
    ledger.reserve({0: 5 * G}, service_id="boost", start=t0, end=datetime(2026, 11, 26, 22, 0))  # naive = UTC
    assert ledger.free_bps(0, t0.timestamp() + 3600, t0.timestamp() + 3601) == 5 * G
    assert ledger.free_bps(0, t0.timestamp() + 7200, None) == 10 * G


def test_a_hold_counts_until_it_expires_and_a_confirmed_one_stays():
    ledger = line_ledger()
    held = ledger.reserve({0: 6 * G}, service_id="h", hold_until=1000)
    kept = ledger.reserve({0: 2 * G}, service_id="k", hold_until=1000)
    assert ledger.free_bps(0) == 2 * G
    ledger.confirm(kept.id)
    assert ledger.expire_holds(999) == []
    assert [r.id for r in ledger.expire_holds(1000)] == [held.id]
    assert ledger.free_bps(0) == 8 * G and kept.id in ledger and held.id not in ledger


def test_atomic_undoes_everything_on_error():
    ledger = line_ledger()
    first = ledger.reserve({0: 5 * G}, service_id="keep")
    with pytest.raises(InfeasibleError), ledger.atomic():
        ledger.release(first.id)
        ledger.reserve({0: 9 * G}, service_id="new")
        ledger.reserve({2: 11 * G}, service_id="too big")
    assert ledger.reservations() == [first]
    assert ledger.free_bps(0) == 5 * G and ledger.free_bps(2) == 10 * G


def test_modify_counts_its_own_load_as_free_and_is_atomic():
    ledger = line_ledger()
    r = ledger.reserve({0: 6 * G}, service_id="s")
    grown = ledger.modify(r.id, arc_bps={0: 9 * G})
    assert grown.id == r.id and ledger.free_bps(0) == 1 * G
    with pytest.raises(InfeasibleError):
        ledger.modify(r.id, arc_bps={0: 11 * G})
    assert ledger.get(r.id).arc_bps == ((0, 9 * G),)


def test_bad_input_is_refused_with_the_field():
    ledger = line_ledger()
    with pytest.raises(ValidationError) as info:
        ledger.reserve({0: -5}, service_id="s")
    assert info.value.field == "bps"
    with pytest.raises(ValidationError) as info:
        ledger.reserve({99: 5}, service_id="s")
    assert info.value.field == "arc"
    with pytest.raises(ValidationError):
        ledger.reserve({0: 5}, service_id="s", start=10, end=10)
    with pytest.raises(NotFoundError):
        ledger.release("nope")
    assert len(ledger) == 0


operations = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "release"]),
        st.dictionaries(st.integers(0, 3), st.integers(1, 6), min_size=1, max_size=3),
        st.integers(0, 20), st.one_of(st.none(), st.integers(1, 15)), st.integers(0, 30),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_the_ledger_never_goes_negative_and_matches_a_brute_force_sum(ops):
    ledger = line_ledger(capacity=10)
    for kind, arc_bps, start, length, pick in ops:
        live = ledger.reservations()
        if kind == "release" and live:
            ledger.release(live[pick % len(live)].id)
            continue
        end = None if length is None else start + length
        with contextlib.suppress(InfeasibleError):
            ledger.reserve(arc_bps, service_id="p", start=start, end=end)
    live = ledger.reservations()
    instants = sorted({-1.0} | {r.start for r in live} | {r.end for r in live if r.end != NEVER})
    for arc in range(4):
        loads = [sum(b for r in live for a, b in r.arc_bps if a == arc and r.start <= t < r.end) for t in instants]
        assert max(loads) <= 10  # never oversold
        for i, t in enumerate(instants):  # free over [t, next) is exactly capacity - load at t
            nxt = instants[i + 1] if i + 1 < len(instants) else None
            assert ledger.free_bps(arc, t, nxt) == 10 - loads[i]
        assert ledger.free_bound_bps[arc] <= ledger.free_bps(arc)  # the fast-path bound is a lower bound
    for r in live:
        ledger.release(r.id)
    assert [ledger.free_bps(a) for a in range(4)] == [10] * 4
    assert all(ledger._calendars[a].times == [float("-inf")] for a in range(4))  # restored exactly


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.integers(0, 3), st.integers(1, 10), min_size=1), st.integers(0, 50),
       st.one_of(st.none(), st.integers(1, 50)))
def test_reserve_then_release_restores_the_ledger(arc_bps, start, length):
    ledger = line_ledger(capacity=10)
    ledger.reserve({1: 3}, service_id="base", start=10, end=40)
    ledger.refresh_bounds()
    before = [(c.times[:], c.loads.tolist()) for c in ledger._calendars], ledger.free_bound_bps.copy()
    try:
        r = ledger.reserve(arc_bps, service_id="x", start=start, end=None if length is None else start + length)
    except InfeasibleError:
        return
    ledger.release(r.id)
    assert [(c.times, c.loads.tolist()) for c in ledger._calendars] == before[0]
    assert (ledger.free_bound_bps <= before[1]).all()  # bounds only drift down (conservative)...
    ledger.refresh_bounds()
    assert (ledger.free_bound_bps == before[1]).all()  # ...and come back exactly
