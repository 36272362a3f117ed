"""Saving and loading the backbone network, on SQLite and PostgreSQL (the `any_store` fixture)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from unilink.errors import ConflictError, ValidationError
from unilink.inventory.model import (
    Interconnect,
    InterconnectKind,
    Network,
    Pop,
    Router,
    RouterRole,
    Vendor,
    make_link,
)
from unilink.store import callbacks, network_repo
from unilink.store.db import Store
from unilink.store.tables.inventory import LinkRow, PopRow, RouterRow


def small_network(name: str = "test") -> Network:
    paris = Pop("Paris", "Paris", "FR", 48.8566, 2.3522)
    london = Pop("London", "London", "GB", 51.5074, -0.1278)
    frankfurt = Pop("Frankfurt", "Frankfurt am Main", "DE", 50.1109, 8.6821)
    routers = [
        Router("par-pe1", "Paris", RouterRole.EDGE, Vendor.JUNOS, "10.255.0.1"),
        Router("par-p1", "Paris", RouterRole.CORE, Vendor.IOSXR, "10.255.0.2"),
        Router("lon-pe1", "London", RouterRole.EDGE, Vendor.FRR, "10.255.0.3", driver="lab"),
        Router("fra-pe1", "Frankfurt", RouterRole.EDGE, Vendor.SROS, "10.255.0.4"),
    ]
    links = [
        make_link("Paris-London", paris, london, 100 * 10**9, srlgs=("channel-tunnel", "duct-7"),
                  a_router="par-p1", b_router="lon-pe1"),
        make_link("Paris-Frankfurt", paris, frankfurt, 10 * 10**9, length_km=612.5),
        make_link("London-Frankfurt", london, frankfurt, 40 * 10**9, igp_metric=900),
    ]
    interconnects = [
        Interconnect("cogent-par", InterconnectKind.TRANSIT, "Paris", "Cogent", 100 * 10**9, ("FR", "BE")),
        Interconnect("connectis-78", InterconnectKind.PUBLIC_BACKBONE, "Paris", "Connectis 78", 10**10, ("FR-78",)),
    ]
    return Network(name=name, pops=[paris, london, frankfurt], routers=routers, links=links,
                   interconnects=interconnects)


def count(store: Store, model: type) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_fresh_store_is_empty_at_version_zero(any_store: Store) -> None:
    network = any_store.load_network()
    assert (network.pops, network.routers, network.links, network.interconnects) == ([], [], [], [])
    assert any_store.topology_version() == 0


def test_round_trip_returns_the_same_network_in_the_same_order(any_store: Store) -> None:
    network = small_network()
    change = any_store.replace_network(network)
    assert change.added == {"pops": 3, "routers": 4, "links": 3, "interconnects": 2}
    assert any_store.load_network() == network


def test_version_bumps_on_change_only(any_store: Store) -> None:
    network = small_network()
    any_store.replace_network(network)
    assert any_store.topology_version() == 1
    again = any_store.replace_network(small_network())
    assert not again.changed and any_store.topology_version() == 1
    network.links[0] = make_link("Paris-London", network.pops[0], network.pops[1], 400 * 10**9)
    change = any_store.replace_network(network)
    assert change.updated == {"links": 1}
    assert any_store.topology_version() == 2
    assert any_store.load_network().links[0].capacity_bps == 400 * 10**9


def test_replace_removes_what_is_gone_and_keeps_ids_of_what_stays(any_store: Store) -> None:
    any_store.replace_network(small_network())
    with any_store.session() as session:
        paris_id = session.scalars(select(PopRow.id).where(PopRow.name == "Paris")).one()
    smaller = small_network()
    smaller.links = [lk for lk in smaller.links if "Frankfurt" not in (lk.a, lk.b)]
    smaller.routers = [r for r in smaller.routers if r.pop != "Frankfurt"]
    smaller.pops = [p for p in smaller.pops if p.name != "Frankfurt"]
    change = any_store.replace_network(smaller)
    assert change.removed == {"links": 2, "routers": 1, "pops": 1}
    assert any_store.load_network() == smaller
    with any_store.session() as session:
        assert session.scalars(select(PopRow.id).where(PopRow.name == "Paris")).one() == paris_id


def test_merge_adds_and_replaces_by_name_and_keeps_the_rest(any_store: Store) -> None:
    any_store.replace_network(small_network())
    milan = Pop("Milan", "Milano", "IT", 45.4642, 9.19)
    paris = Pop("Paris", "Paris", "FR", 48.8566, 2.3522)
    extra = Network(name="extra", pops=[paris, milan],
                    routers=[Router("mil-pe1", "Milan", RouterRole.EDGE, Vendor.FRR, "10.255.0.9")],
                    links=[make_link("Paris-Milan", paris, milan, 10**10)])
    any_store.merge_network(extra)
    loaded = any_store.load_network()
    assert [p.name for p in loaded.pops] == ["Paris", "London", "Frankfurt", "Milan"]
    assert [lk.name for lk in loaded.links] == ["Paris-London", "Paris-Frankfurt", "London-Frankfurt", "Paris-Milan"]
    assert loaded.name == "test"  # merging into a network keeps its name
    assert len(loaded.routers) == 5 and len(loaded.interconnects) == 2


def test_merge_that_breaks_a_reference_is_refused_and_changes_nothing(any_store: Store) -> None:
    any_store.replace_network(small_network())
    dangling = Network(pops=[], links=[make_link("Rome-Paris", Pop("Rome", "Roma", "IT", 41.9, 12.5),
                                                 Pop("Paris", "Paris", "FR", 48.8566, 2.3522), 10**9)])
    with pytest.raises(ValidationError, match="Rome"):
        any_store.merge_network(dangling)
    assert any_store.load_network() == small_network()
    assert any_store.topology_version() == 1


def test_invalid_network_is_refused_before_any_write(any_store: Store) -> None:
    network = small_network()
    network.routers.append(Router("ghost", "Atlantis", RouterRole.EDGE, Vendor.FRR, "10.0.0.1"))
    with pytest.raises(ValidationError, match=r"router\[ghost\]\.pop"):
        any_store.replace_network(network)
    assert count(any_store, PopRow) == 0 and any_store.topology_version() == 0


def test_failure_mid_write_leaves_the_previous_network_intact(any_store: Store,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    before = small_network()
    any_store.replace_network(before)
    replacement = small_network("other")
    replacement.pops.append(Pop("Madrid", "Madrid", "ES", 40.4168, -3.7038))
    replacement.links = replacement.links[:1]

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    # PoPs and routers are written (and flushed) before links: fail right there.
    monkeypatch.setattr(network_repo, "_sync_links", explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        any_store.replace_network(replacement)
    monkeypatch.undo()
    assert any_store.load_network() == before
    assert any_store.topology_version() == 1
    assert count(any_store, PopRow) == 3 and count(any_store, LinkRow) == 3


def test_removing_a_router_another_domain_uses_is_a_conflict(any_store: Store) -> None:
    """A foreign key from another domain's table protects what it references."""
    any_store.replace_network(small_network())
    with any_store.engine.begin() as conn:  # a stand-in for e.g. a site attached to a router
        conn.exec_driver_sql("CREATE TABLE site_probe (id INTEGER PRIMARY KEY, router_id INTEGER NOT NULL "
                             "REFERENCES routers(id))")
        router_id = conn.scalar(select(RouterRow.id).where(RouterRow.name == "fra-pe1"))
        conn.exec_driver_sql(f"INSERT INTO site_probe (id, router_id) VALUES (1, {router_id})")
    smaller = small_network()
    smaller.routers = [r for r in smaller.routers if r.name != "fra-pe1"]
    with pytest.raises(ConflictError, match="cannot be saved"):
        any_store.replace_network(smaller)
    assert any_store.load_network() == small_network()


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=12)


@st.composite
def networks(draw: st.DrawFn) -> Network:
    pop_names = draw(st.lists(names, min_size=2, max_size=8, unique=True))
    pops = [Pop(n, draw(st.text(max_size=20)), draw(st.sampled_from(["FR", "DE", ""])),
                draw(st.floats(-90, 90)), draw(st.floats(-180, 180))) for n in pop_names]
    routers = [Router(f"r{i}-{pop.name}", pop.name, draw(st.sampled_from(list(RouterRole))),
                      draw(st.sampled_from(list(Vendor))), f"10.0.{i // 256}.{i % 256}",
                      driver=draw(st.sampled_from(["sim", "lab", "netconf"])))
               for i, pop in enumerate(draw(st.lists(st.sampled_from(pops), max_size=6)))]
    router_at = {r.pop: r.name for r in routers}
    links = []
    for i in range(draw(st.integers(0, 10))):
        a, b = draw(st.lists(st.sampled_from(pops), min_size=2, max_size=2, unique_by=lambda p: p.name))
        links.append(make_link(f"l{i}", a, b, draw(st.integers(1, 2**62)),
                               srlgs=tuple(draw(st.lists(names, max_size=3))),
                               a_router=router_at.get(a.name) if draw(st.booleans()) else None,
                               b_router=router_at.get(b.name) if draw(st.booleans()) else None))
    interconnects = [Interconnect(f"ic{i}", draw(st.sampled_from(list(InterconnectKind))), pop.name,
                                  draw(st.text(max_size=30)), draw(st.integers(1, 2**62)),
                                  tuple(draw(st.lists(names, max_size=3))))
                     for i, pop in enumerate(draw(st.lists(st.sampled_from(pops), max_size=4)))]
    return Network(name=draw(names), pops=pops, routers=routers, links=links, interconnects=interconnects)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(network=networks())
def test_any_valid_network_round_trips(store: Store, network: Network) -> None:
    store.replace_network(network)
    assert store.load_network() == network


def test_loaded_network_is_the_callers_to_change(any_store: Store) -> None:
    any_store.replace_network(small_network())
    first = any_store.load_network()
    first.pops.clear()
    first.links.pop()
    assert any_store.load_network() == small_network()


def test_a_change_made_through_another_store_is_seen(any_store: Store) -> None:
    """Another process (here another engine on the same database) changes the network: the next load sees it."""
    any_store.replace_network(small_network())
    assert len(any_store.load_network().links) == 3
    other = Store(any_store.engine.execution_options())  # a second Store object, its own cache
    smaller = small_network()
    smaller.links = smaller.links[:1]
    other.replace_network(smaller)
    assert any_store.load_network() == smaller


def test_concurrent_merges_lose_nothing(any_store: Store) -> None:
    """Merges read the current network then write it back: they serialise, so every PoP added survives."""
    import threading

    any_store.replace_network(small_network())
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            any_store.merge_network(Network(pops=[Pop(f"Extra{i}", "x", "FR", 45.0 + i / 10, 3.0)]))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = {p.name for p in any_store.load_network().pops}
    assert {f"Extra{i}" for i in range(6)} <= names
    assert any_store.topology_version() == 1 + 6


GUARD_CALLS: list[network_repo.Removal] = []


def _router_guard(session: object, removal: network_repo.Removal) -> list[str]:
    """A stand-in for a domain that refers to routers by name (e.g. sites attached to a PE)."""
    GUARD_CALLS.append(removal)
    return [f"site demo/hq on router {name}" for name in sorted(removal.routers & {"fra-pe1"})]


def test_a_removal_guard_refuses_to_delete_what_is_used_by_name(any_store: Store,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    any_store.replace_network(small_network())
    monkeypatch.setattr(callbacks, "_REMOVAL_GUARDS", [_router_guard])
    GUARD_CALLS.clear()
    any_store.replace_network(small_network())  # removes nothing: the guard is not even asked
    assert GUARD_CALLS == []
    without_frankfurt = small_network()
    without_frankfurt.links = [lk for lk in without_frankfurt.links if "Frankfurt" not in (lk.a, lk.b)]
    without_frankfurt.routers = [r for r in without_frankfurt.routers if r.pop != "Frankfurt"]
    without_frankfurt.pops = [p for p in without_frankfurt.pops if p.name != "Frankfurt"]
    with pytest.raises(ConflictError, match="site demo/hq on router fra-pe1"):
        any_store.replace_network(without_frankfurt)
    assert GUARD_CALLS[-1].pops == {"Frankfurt"} and GUARD_CALLS[-1].links == {"Paris-Frankfurt", "London-Frankfurt"}
    assert any_store.load_network() == small_network() and any_store.topology_version() == 1
    without_london_link = small_network()
    without_london_link.links = without_london_link.links[:2]
    any_store.replace_network(without_london_link)  # the guard allows what nobody uses
    assert any_store.topology_version() == 2
