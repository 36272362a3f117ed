"""Make-before-break and failure what-if."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from network_testkit import build_network, random_networks

from unilink.errors import InfeasibleError, ValidationError
from unilink.network.cspf import book_path, find_path
from unilink.network.graph import CompiledGraph
from unilink.network.hose import hose_tree
from unilink.network.ledger import CapacityLedger, TreeRoute
from unilink.network.mbb import change_rate
from unilink.network.whatif import fail

G = 10**9


def square():
    """N0-N1-N3 (2+2 ms) and N0-N2-N3 (3+3 ms), all 10G."""
    graph = CompiledGraph.compile(build_network(4, [(0, 1, 2, 10 * G), (1, 3, 2, 10 * G), (0, 2, 3, 10 * G),
                                                    (2, 3, 3, 10 * G)]))
    return graph, CapacityLedger(graph)


def booked(graph, ledger, bps, service, **kwargs):
    path = find_path(graph, ledger, "N0", "N3", bps)
    return book_path(graph, ledger, path, bps, service_id=service, **kwargs)


def test_an_increase_that_fits_stays_on_its_path():
    graph, ledger = square()
    r = booked(graph, ledger, 2 * G, "s1")
    result = change_rate(graph, ledger, r.id, 6 * G)
    assert not result.rerouted and result.new_path.links == ("L0", "L1")
    assert ledger.free_bps(0) == 4 * G and ledger.free_bps(1) == 4 * G  # in place: 6G, not 2G + 6G


def test_an_increase_that_does_not_fit_moves_counting_its_own_share_as_free():
    graph, ledger = square()
    r = booked(graph, ledger, 3 * G, "s1")
    ledger.reserve({2: 5 * G}, service_id="other")  # L1 N1→N3: 10 - 3 - 5 = 2G free
    result = change_rate(graph, ledger, r.id, 6 * G, hold_until=5000)
    assert result.rerouted and result.new_path.links == ("L2", "L3")
    assert ledger.get(r.id).is_hold and ledger.get(r.id).arcs == (4, 5, 6, 7)
    assert ledger.free_bps(0) == 10 * G and ledger.free_bps(4) == 4 * G  # the old path is released
    ledger.confirm(r.id)


def test_a_failed_move_changes_nothing():
    graph, ledger = square()
    r = booked(graph, ledger, 3 * G, "s1")
    ledger.reserve({2: 5 * G, 4: 8 * G}, service_id="other")
    before = [ledger.free_bps(a) for a in range(graph.arc_count)]
    with pytest.raises(InfeasibleError) as info:
        change_rate(graph, ledger, r.id, 6 * G)
    assert info.value.details["bottleneck"]
    assert [ledger.free_bps(a) for a in range(graph.arc_count)] == before
    assert ledger.get(r.id) == r
    with pytest.raises(ValidationError):
        change_rate(graph, ledger, ledger.reserve({0: 1}, service_id="no route").id, 2)  # booked by arcs only


def test_whatif_reroutes_in_priority_order_and_reports_the_rest():
    graph, ledger = square()
    low = booked(graph, ledger, 4 * G, "low", priority=1)
    high = booked(graph, ledger, 4 * G, "high", priority=5)
    mid = booked(graph, ledger, 2 * G, "mid", priority=3)
    ledger.reserve({4: 1 * G}, service_id="unaffected")  # the detour N0→N2 keeps 9G
    before = {r.id: r for r in ledger.reservations()}
    report = fail(graph, ledger, links=["L1"])
    assert report.affected == (high.id, mid.id, low.id)
    assert [r.service_id for r in report.restored] == ["high", "mid"]  # 4G + 2G of the detour's 9G
    (lost,) = report.unrestorable
    assert lost.service_id == "low" and {b["link"] for b in lost.bottleneck} & {"L2", "L3"}
    assert report.restored[0].new_links == ("L2", "L3") and report.restored[0].new_latency_ms == 6
    assert {r.id: r for r in ledger.reservations()} == before  # a what-if changes nothing
    assert report.to_dict()["affected"] == 3


def test_whatif_apply_keeps_the_new_routes_and_fails_nodes_and_trees():
    graph, ledger = square()
    path = booked(graph, ledger, 1 * G, "eline")
    tree = hose_tree(graph, ledger, {"N0": G, "N3": G, "N2": G})
    ledger.reserve(tree.arc_bps, service_id="vpn", route=TreeRoute(sites=((0, G), (3, G), (2, G))))
    report = fail(graph, ledger, nodes=["N1"], apply=True)
    assert {r.service_id for r in report.restored} >= {"eline"}
    assert ledger.get(path.id).arcs == (4, 5, 6, 7)
    assert all(int(graph.arc_link[a]) not in (0, 1) for r in ledger.reservations() for a in r.arcs)
    with pytest.raises(ValidationError):
        fail(graph, ledger)


def engine_rows(ledger, service, arcs_bps, priority=0):
    """Book like the engine does: one arc-only reservation per link direction."""
    return [ledger.reserve({arc: bps}, service_id=service, priority=priority) for arc, bps in arcs_bps]


def test_arc_only_reservations_get_a_local_detour_round_a_failed_link():
    graph, ledger = square()
    engine_rows(ledger, "t1/eline", [(0, 3 * G), (1, 1 * G), (2, 3 * G), (3, 1 * G)])  # N0-N1-N3, 3G out 1G back
    report = fail(graph, ledger, links=["L1"])
    (restored,) = report.restored
    assert restored.service_id == "t1/eline" and restored.note.startswith("local detour")
    assert set(restored.new_links) == {"L0", "L2", "L3"}  # N1 → N0 → N2 → N3 replaces N1 → N3
    assert not report.unrestorable
    with ledger.trial():  # the detour really carries 3G one way and 1G the other
        fail(graph, ledger, links=["L1"], apply=True)
        assert ledger.free_bps(4) == 7 * G and ledger.free_bps(5) == 9 * G  # L2: 3G N0→N2, 1G back
        assert ledger.free_bps(1) == 6 * G  # L0 N1→N0: the eline's own 1G back + the detour's 3G


def test_arc_only_reservations_bypass_a_failed_pop_they_cross_and_report_one_they_end_at():
    graph, ledger = square()
    engine_rows(ledger, "t1/eline", [(0, 2 * G), (1, 2 * G), (2, 2 * G), (3, 2 * G)])  # crosses N1
    engine_rows(ledger, "t2/internet", [(1, G)], priority=9)  # N1 → N0: ends at N1
    report = fail(graph, ledger, nodes=["N1"], apply=True)
    assert [u.service_id for u in report.unrestorable] == ["t2/internet"]
    assert "ends or branches at the failed PoP N1" in report.unrestorable[0].reason
    assert [r.service_id for r in report.restored] == ["t1/eline"]
    assert ledger.free_bps(4) == 8 * G and ledger.free_bps(7) == 8 * G  # N0 → N2 → N3 and back


@settings(max_examples=100, deadline=None)
@given(random_networks(min_nodes=3, max_nodes=8, max_edges=16, capacities=(5, 10, 20)),
       st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 6), st.integers(0, 3)), max_size=20),
       st.data())
def test_whatif_accounts_for_every_affected_reservation_and_changes_nothing(network, wanted, data):
    graph = CompiledGraph.compile(network)
    assume(graph.links)
    ledger = CapacityLedger(graph)
    for k, (a, b, bps, priority) in enumerate(wanted):
        if a != b and a < graph.node_count and b < graph.node_count:
            with contextlib.suppress(InfeasibleError):
                path = find_path(graph, ledger, a, b, bps)
                book_path(graph, ledger, path, bps, service_id=f"s{k}", priority=priority)
    failed = data.draw(st.sampled_from([lk.name for lk in graph.links]))
    before = ledger.reservations()
    report = fail(graph, ledger, links=[failed])
    assert ledger.reservations() == before  # a what-if changes nothing
    users = {r.id for r in before if graph.link_index[failed] in {a // 2 for a in r.arcs}}
    assert set(report.affected) == users
    assert {r.reservation for r in report.restored} | {u.reservation for u in report.unrestorable} == users
    assert all(failed not in r.new_links for r in report.restored)
    applied = fail(graph, ledger.copy(), links=[failed], apply=True)
    assert [r.reservation for r in applied.restored] == [r.reservation for r in report.restored]
