"""Network mathematics for admission control — pure code, no I/O.

Units: bandwidth int bit/s, latency ms, time float POSIX seconds UTC (datetimes accepted everywhere
and converted; naive ones are taken as UTC; a `None` start = since always, a `None` end = open-ended).

API summary (for the engine):

    from unilink.network.graph import CompiledGraph
    from unilink.network.ledger import CapacityLedger
    from unilink.network.cspf import book_path, find_path, route_of
    from unilink.network.disjoint import find_disjoint_pair
    from unilink.network.hose import SiteRate, hose_tree
    from unilink.network.mbb import change_rate      # (alias: increase)
    from unilink.network.whatif import fail

    graph = CompiledGraph.compile(network)          # once per topology version (store.topology_version())
    ledger = CapacityLedger(graph)                  # one per graph; load existing reservations with reserve()

    path = find_path(graph, ledger, "Paris", "Milan", 10**9, start=t0, end=None,
                     metric="latency", max_latency_ms=20, max_hops=None,
                     exclude_nodes=(), exclude_links=(), exclude_srlgs=())
        # -> Path(nodes, links, arcs, latency_ms, igp_metric); raises InfeasibleError with
        #    details {"reason", "bottleneck": [{"link","a","b","free_bps","asked_bps"}], "earliest_fit"}
        #    or NotFoundError (unknown PoP / link) / ValidationError (bad bandwidth, metric, window).
    r = book_path(graph, ledger, path, 10**9, service_id="svc-1", start=t0, end=None, priority=0)
        # = ledger.reserve(path.arc_bps(10**9), service_id=..., start=..., end=..., hold_until=None,
        #                  priority=0, route=route_of(graph, path, 10**9), reservation_id=None)
        # -> Reservation; InfeasibleError (nothing changed) if it no longer fits
    ledger.modify(r.id, arc_bps=..., start=..., end=...); ledger.release(r.id); ledger.release_many(ids)
    ledger.confirm(r.id); ledger.expire_holds(now); ledger.free_bps(arc, start, end); ledger.copy()
    with ledger.atomic(): ...                       # all-or-nothing over several reserve/release calls

    pair = find_disjoint_pair(graph, ledger, "Paris", "Milan", 10**9, ...)   # -> DisjointPair(primary, secondary)
    tree = hose_tree(graph, ledger, {"Paris": 10**8, "Milan": 10**8, "Madrid": SiteRate(down=10**8, up=2 * 10**7)})
        # -> HoseTree(root, edges, arc_bps, tree_cost, pipe_cost, tree_reserved_bps, pipe_reserved_bps, saving);
        #    an int rate is symmetric, a SiteRate / (down, up) pair asymmetric: each arc books what it may carry
    result = change_rate(graph, ledger, r.id, 2 * 10**9, hold_until=None)   # make-before-break
        # -> MbbResult(reservation, old_path, new_path, rerouted)
    report = fail(graph, ledger, links=["L12"], nodes=(), srlgs=(), apply=False)  # what-if
        # -> WhatIfReport(affected, restored, unrestorable); the ledger is unchanged unless apply=True.
        #    Routed reservations are re-routed end to end; arc-only ones (one per link direction, as the
        #    engine stores them) get a local detour per (service, window).

Arcs: link i (in `Network.links` order) gives arc 2i (a → b) and arc 2i+1 (b → a); `arc ^ 1` is the
reverse direction. Reservation ids: yours (int or str) or generated "r1", "r2", ...
The graph caches shortest-path trees: compile a new one when the topology version changes.
See docs/admission.md for the guarantees and the algorithms.
"""
