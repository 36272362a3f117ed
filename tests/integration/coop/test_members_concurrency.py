"""No address is ever given twice, however activations race (PostgreSQL: real concurrent
transactions; the partial unique index on live (pool, slot) decides)."""

from __future__ import annotations

import threading

from members_world import COOP, member, prepare

from unilink.coop import pools as pool_rules
from unilink.engine import core as engine
from unilink.store import members_repo as repo
from unilink.store.db import Store
from unilink.usecases import memberships

THREADS = 6


def test_racing_transactions_never_share_a_slot(pg_store: Store) -> None:
    """Every thread reads the pool empty, then all insert slot 0 at once: one wins, each other one meets
    the index, takes the next slot in a savepoint of the same transaction — six distinct slots."""
    store = prepare(pg_store, lines=THREADS)
    subs = [memberships.request(store, COOP, member=member(store, n), plan="basic", line=f"flat-{n}")["id"]
            for n in range(1, THREADS + 1)]
    with store.session() as session:
        tenant_id = repo.coop_id(session, COOP)
        record = next(r for r in repo.pools(session, tenant_id) if r.name == "public")
    spec = pool_rules.PoolSpec(record.name, record.kind, record.prefix)
    barrier = threading.Barrier(THREADS)
    clashes: list[int] = []
    taken: dict[int, int] = {}
    errors: list[BaseException] = []

    def take(subscription: int) -> None:
        try:
            with store.session(write=True) as session:
                seen = repo.live_slots(session, record.id)
                barrier.wait(timeout=30)  # everybody has read the same (empty) pool
                while True:
                    slot = pool_rules.lowest_free(spec, seen)
                    try:
                        repo.allocate(session, record.id, subscription, slot, pool_rules.value_of(spec, slot).text,
                                      store.clock.now())
                        taken[subscription] = slot
                        return
                    except repo.AllocationClash:
                        clashes.append(slot)
                        seen = repo.live_slots(session, record.id) | {slot}
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(s,)) for s in subs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(taken.values()) == list(range(THREADS))  # six members, six slots, the lowest ones
    assert clashes  # they did race: at least one insert met the index
    with store.session() as session:
        assert repo.live_slots(session, record.id) == set(range(THREADS))


def test_racing_activations_through_the_engine(pg_store: Store) -> None:
    """Six managers activate six subscriptions at once: each is planned and applied (the stale ones
    planned again), every member ends active with addresses of its own, and the coop's intent and
    the access router carry all six."""
    store = prepare(pg_store, v4_prefix="192.0.2.0/29", lines=THREADS)
    subs = [memberships.request(store, COOP, member=member(store, n), plan="basic", line=f"flat-{n}")["id"]
            for n in range(1, THREADS + 1)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def activate(subscription: int) -> None:
        try:
            barrier.wait(timeout=30)
            memberships.activate(store, COOP, subscription, actor=f"manager-{subscription}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=activate, args=(s,)) for s in subs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    views = memberships.subscriptions(store, COOP)
    assert {v["state"] for v in views} == {"active"}
    v4 = sorted(a["value"] for v in views for a in v["addresses"] if a["kind"] == "ipv4")
    v6 = sorted(a["value"] for v in views for a in v["addresses"] if a["kind"] == "ipv6")
    assert v4 == [f"192.0.2.{i}" for i in range(1, 7)]  # a /29's six usable addresses, each once
    assert len(set(v6)) == THREADS
    lines = engine.latest_intent(store, COOP)["subscribers"]
    assert sorted(s["ipv4"] for s in lines) == v4
