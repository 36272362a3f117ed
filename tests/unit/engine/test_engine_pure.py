"""The pure stages of the engine: attachments and pools, hose trees, field work, time windows."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unilink.engine.admission import hose_arcs, rates_at, temporary_windows
from unilink.engine.fieldwork import effective_intent, field_work
from unilink.engine.resources import Allocation, allocate, attachments, p2p_subnets, wanted_owners
from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.network.graph import CompiledGraph
from unilink.services.intent import parse_intent

M = 10**6
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def doc() -> dict[str, Any]:
    access = {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}
    return {"sites": [{"name": n, "pop": p, "access": dict(access)} for n, p in
                      (("A", "Paris"), ("B", "Lyon"), ("C", "Milan"))],
            "services": [{"kind": "internet", "name": "net-a", "site": "A", "rate": "100M"},
                         {"kind": "internet", "name": "net-c", "site": "C", "rate": "10M"},
                         {"kind": "ipvpn", "name": "corp", "members": [{"site": "A", "rate": "200M"},
                                                                        {"site": "B", "rate": "50M"}]},
                         {"kind": "eline", "name": "line", "a": "B", "b": "C", "rate": "30M"}]}


def test_attachments_internet_rides_on_the_first_vpn() -> None:
    atts = {a.owner: a for a in attachments(parse_intent(doc()))}
    assert set(atts) == {"A/vpn:corp", "B/vpn:corp", "C/internet", "B/eline:line", "C/eline:line"}
    assert atts["A/vpn:corp"].internet and atts["A/vpn:corp"].down_bps == 300 * M
    assert not atts["B/vpn:corp"].internet and atts["C/internet"].down_bps == 10 * M


def test_allocation_is_deterministic_unique_and_releases() -> None:
    intent = parse_intent(doc())
    routers = {"A": "r1", "B": "r2", "C": "r3"}
    wanted = wanted_owners("t", intent, routers)
    other = {("vlan", "r1", "u/X/internet"): 100, ("p2p", "", "u/X/internet"): 0}
    pools: dict[tuple[str, str], dict[str, int]] = {}
    for (pool, scope, owner), value in other.items():
        pools.setdefault((pool, scope), {})[owner] = value
    new, release = allocate(pools, {}, wanted)
    assert release == []
    again, _ = allocate(pools, {}, wanted)
    assert new == again  # same state, same numbers
    values = {(a.pool, a.scope, a.value) for a in new}
    assert len(values) == len(new)
    assert ("vlan", "r1", 100) not in values and ("p2p", "", 0) not in values  # the other tenant's are skipped
    mine = {(a.pool, a.scope, a.owner): a.value for a in new}
    smaller = parse_intent({**doc(), "services": doc()["services"][:2]})
    _, freed = allocate(pools, mine, wanted_owners("t", smaller, routers))
    assert {a.owner for a in freed} >= {"t/vpn:corp", "t/eline:line", "t/B/vpn:corp"}
    assert all(isinstance(a, Allocation) for a in freed)


def test_p2p_subnets_pair_ipv4_and_ipv6() -> None:
    assert p2p_subnets(0) == ("100.64.0.0/31", "fd75:6e69:6c6b::/127")
    assert p2p_subnets(3) == ("100.64.0.6/31", "fd75:6e69:6c6b::6/127")


def line_graph() -> CompiledGraph:
    pops = [Pop(n, n, "FR", 45.0 + i, 2.0 + i) for i, n in enumerate(("P1", "P2", "P3", "P4"))]
    routers = [Router(f"{p.name.lower()}-pe", p.name, RouterRole.EDGE, Vendor.FRR, f"10.0.0.{i + 1}")
               for i, p in enumerate(pops)]
    links = [make_link(f"L{i}", pops[i], pops[i + 1], 10**10) for i in range(3)]
    return CompiledGraph.compile(Network("line", pops, routers, links, []))


def test_hose_tree_books_the_smaller_side() -> None:
    graph = line_graph()
    arcs = hose_arcs(graph, {"P1": (100 * M, 100 * M), "P2": (10 * M, 10 * M), "P4": (50 * M, 50 * M)})
    by_link = {graph.arc_name(a)[0]: bps for a, bps in arcs.items()}
    # L0 splits {P1} from {P2, P4}: min(100M, 60M) each way; L2 splits {P4} from the rest: 50M
    assert arcs[0] == 60 * M and arcs[1] == 60 * M
    assert by_link["L2"] == 50 * M and "L1" in by_link
    assert hose_arcs(graph, {"P1": (M, M)}) == {}


def test_field_work_and_effective_intent() -> None:
    installed = parse_intent(doc())
    physical = {s.name: {"technology": s.access.technology.value, "provider": s.access.provider,
                         "port": s.access.port, "pop": s.pop} for s in installed.sites}
    wanted = doc()
    wanted["sites"][1]["access"].update(port="10G", down="2G", up="2G")
    wanted["sites"].append({"name": "D", "pop": "Paris", "access": {"technology": "vdsl2", "port": "100M",
                                                                     "down": "100M", "up": "40M"}})
    wanted["services"][2]["members"].append({"site": "D", "rate": "10M"})
    wanted["services"][2]["members"][1]["rate"] = "1500M"
    desired = parse_intent(wanted)
    works = {w.site: w.kind for w in field_work(desired, physical)}
    assert works == {"B": "port-change", "D": "new-access"}
    effective = effective_intent(desired, installed, set(works))
    assert [s.name for s in effective.sites] == ["A", "B", "C"]
    assert effective.site("B").access.port == 10**9  # as installed until the order completes
    corp = effective.service("corp")
    assert [(m.site, m.rate) for m in corp.members] == [("A", 200 * M), ("B", 50 * M)]  # type: ignore[union-attr]


def test_windows_and_rates_in_force() -> None:
    base = doc()
    base["boosts"] = [{"service": "net-a", "rate": "400M", "until": (NOW + timedelta(hours=2)).isoformat()}]
    base["schedules"] = [{"name": "night", "service": "corp", "site": "B", "rate": "300M", "every": "mon,tue",
                          "window": "22:00-02:00"}]
    intent = parse_intent(base)
    assert temporary_windows(intent.boosts[0], NOW) == [(NOW, NOW + timedelta(hours=2))]
    nights = temporary_windows(intent.schedules[0], NOW)  # 2026-11-26 is a Thursday
    assert [w[0].strftime("%a %H:%M") for w in nights] == ["Mon 22:00", "Tue 22:00"]
    assert all(end - start == timedelta(hours=4) for start, end in nights)
    assert rates_at(intent, NOW)[("net-a", "A")] == (400 * M, 400 * M)
    assert rates_at(intent, NOW + timedelta(hours=3))[("net-a", "A")] == (100 * M, 100 * M)
    assert rates_at(intent, nights[0][0] + timedelta(hours=1))[("corp", "B")][0] == 300 * M


def test_expired_boost_has_no_window() -> None:
    base = copy.deepcopy(doc())
    base["boosts"] = [{"service": "net-a", "rate": "400M", "until": (NOW - timedelta(hours=1)).isoformat()}]
    assert temporary_windows(parse_intent(base).boosts[0], NOW) == []


@pytest.mark.parametrize("every", ["daily", "weekdays", "sat,sun"])
def test_recurrences_accepted(every: str) -> None:
    base = doc()
    base["schedules"] = [{"name": "w", "service": "net-a", "rate": "200M", "every": every, "window": "01:00-05:00"}]
    assert temporary_windows(parse_intent(base).schedules[0], NOW)


def _patch(old: list[str], diff: str) -> list[str]:
    """Apply a unified diff, checking every context and removed line against `old` at its number."""
    import re

    out: list[str] = []
    position = 0  # lines of `old` consumed
    for line in diff.splitlines(keepends=True)[2:]:
        hunk = re.match(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", line)
        if hunk:
            start = int(hunk[1]) - (0 if hunk[2] == "0" else 1)
            out.extend(old[position:start])
            position = start
        elif line.startswith((" ", "-")):
            assert old[position] == line[1:], "the diff's line numbers point at the wrong lines"
            if line.startswith(" "):
                out.append(line[1:])
            position += 1
        elif line.startswith("+"):
            out.append(line[1:])
    return out + old[position:]


_LINE = st.sampled_from(["a\n", "b\n", "c\n", "d\n", "ab\n", "ba\n", "\n"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_LINE, max_size=30), st.lists(_LINE, max_size=30), st.integers(0, 3))
def test_config_diff_turns_the_old_config_into_the_new(old: list[str], new: list[str], context: int) -> None:
    """Skipping the common head and tail must keep the diff exact, hunk line numbers included —
    also when lines share prefixes and suffixes (rendered configs always end with a newline)."""
    from unilink.devices.diff import config_diff

    old_text, new_text = "".join(old), "".join(new)
    old, new = old_text.splitlines(keepends=True), new_text.splitlines(keepends=True)
    diff = config_diff("r", old_text, new_text, context=context)
    assert (diff == "") == (old == new)
    assert _patch(old, diff) == new


@settings(max_examples=500, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=40), st.data(), st.integers(0, 3))
def test_config_diff_of_lines_rewritten_in_place(old: list[str], data: st.DataObject, context: int) -> None:
    """A few lines changed in place (the line-for-line path): the diff patches old into new, and
    when at most a quarter of the lines changed it removes exactly those lines, no others."""
    from unilink.devices.diff import _aligned_diff, config_diff

    new = list(old)
    for index in data.draw(st.lists(st.integers(0, len(old) - 1), max_size=3)):
        new[index] = data.draw(_LINE)
    diff = config_diff("r", "".join(old), "".join(new), context=context)
    assert _patch(old, diff) == new
    aligned = _aligned_diff(old, new, ("r (running)", "r (planned)"), context, 0)
    if aligned is not None:  # the line-for-line path itself, on the whole lists
        assert _patch(old, aligned) == new
        removed = [line for line in aligned.splitlines()[2:] if line.startswith("-")]
        assert len(removed) == sum(a != b for a, b in zip(old, new, strict=True))


def test_config_diff_of_long_configs_skips_the_common_parts() -> None:
    from unilink.devices.diff import config_diff

    old = "".join(f"interface cust{i}\n description site {i}\n" for i in range(5000))
    new = old.replace(" description site 2500\n", " description site 2500 moved\n")
    diff = config_diff("pe1", old, new)
    assert diff.splitlines()[2:] == ["@@ -5001,3 +5001,3 @@", " interface cust2500", "- description site 2500",
                                     "+ description site 2500 moved", " interface cust2501"]
