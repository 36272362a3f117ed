"""Answers: bottlenecks, headroom, worst failure, upgrade plans and their prices; pictures."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from planning_helpers import make_network

from unilink.inventory.model import Demand
from unilink.planning.answers import analyse, bottlenecks, failure_sweep, headroom_years, public, worst_failure
from unilink.planning.loads import ecmp_loads
from unilink.planning.plots import figure_png, histogram_svg, map_svg, report_figure
from unilink.planning.problem import build_problem
from unilink.planning.upgrades import DEFAULT_MODULES, cheapest_option, member_cost_eur

G = 10**9


def test_headroom_years_follows_the_compound_growth_formula():
    assert headroom_years(0.4, 0.25, 0.8) == pytest.approx(math.log(2) / math.log(1.25))
    # Check by growing: after that many years the MLU is exactly at the target.
    years = headroom_years(0.3, 0.1, 0.9)
    assert 0.3 * 1.1 ** years == pytest.approx(0.9)
    assert headroom_years(0.9, 0.25, 0.8) == 0.0
    assert headroom_years(0.5, 0.0, 0.8) is None
    assert headroom_years(0.0, 0.3, 0.8) is None


def ring_problem():
    # A ring of 100G links, except C-D at 200G; A→B is the busiest demand.
    net = make_network([("A", "B"), ("B", "C"), ("C", "D", 10, 200 * G), ("D", "A")], capacity_bps=100 * G)
    return build_problem(net, [Demand("A", "B", 60 * G), Demand("D", "C", 20 * G), Demand("B", "C", 10 * G)])


def test_bottlenecks_are_sorted_busiest_first_and_named():
    problem = ring_problem()
    rows = bottlenecks(problem, ecmp_loads(problem), top=2)
    assert [(r["from"], r["to"]) for r in rows] == [("A", "B"), ("B", "C")]  # 10 %, tied with D→C: link order
    assert rows[0]["utilization"] == pytest.approx(0.6)
    assert rows[0]["load_bps"] == 60 * G


def test_worst_single_failure_is_the_one_that_pushes_most_around_the_ring():
    problem = ring_problem()
    sweep = failure_sweep(problem)
    # Cutting A-B sends 60G the long way A→D→C→B: 60 % on 100G links, 40 % on C-D's 200G.
    # Cutting C-D sends D→C's 20G round D→A→B→C, on top of A→B's 60G: 80 % on A→B — the worst.
    assert sweep.max_utilizations.tolist() == pytest.approx([0.6, 0.6, 0.8, 0.6])
    worst = worst_failure(problem, sweep)
    assert worst["link"] == problem.links[2].name
    assert worst["max_utilization"] == pytest.approx(0.8)
    assert (worst["bottlenecks"][0]["from"], worst["bottlenecks"][0]["to"]) == ("A", "B")
    assert worst["failures_that_strand_traffic"] == []


def test_a_failure_that_cuts_a_pop_off_is_reported_with_the_stranded_traffic():
    net = make_network([("A", "B"), ("B", "C")], capacity_bps=10 * G)  # a chain: any cut isolates
    problem = build_problem(net, [Demand("A", "C", 4 * G)])
    worst = worst_failure(problem, failure_sweep(problem))
    stranded = {f["link"]: f["unrouted_bps"] for f in worst["failures_that_strand_traffic"]}
    assert stranded == {problem.links[0].name: 4 * G, problem.links[1].name: 4 * G}


def test_cheapest_option_prefers_the_cheaper_module_and_counts_members():
    short = cheapest_option(150 * G, 10.0)
    assert short.capacity_bps >= 150 * G
    candidates = [(m, -(-150 * G // m.rate_bps)) for m in DEFAULT_MODULES]
    assert short.cost_eur == pytest.approx(min(c * member_cost_eur(m, 10.0) for m, c in candidates if c <= 16))
    assert cheapest_option(100 * 400 * G, 10.0) is None  # beyond a 16-member LAG of 400G
    # Long links pay for the wavelength: a long-haul 100G costs more than a metro one.
    assert member_cost_eur(DEFAULT_MODULES[2], 900) > member_cost_eur(DEFAULT_MODULES[2], 50)


def test_upgrade_plans_meet_the_target_with_and_without_a_failure():
    problem = ring_problem()
    report = analyse(problem, routing="ecmp", target_utilization=0.5)
    plain = report["upgrade_plan"]["without_failure"]
    assert [u["link"] for u in plain["upgrades"]] == [problem.links[0].name]  # only A-B is above 50 %
    assert plain["upgrades"][0]["to_bps"] >= 120 * G
    assert plain["meets_target"] and plain["max_utilization_after"] <= 0.5
    protected = report["upgrade_plan"]["with_single_failure"]
    assert protected["meets_target"]
    assert len(protected["upgrades"]) > len(plain["upgrades"])
    assert protected["total_cost_eur"] > plain["total_cost_eur"]
    costs = [u["cost_eur"] for u in protected["upgrades"]]
    assert costs == sorted(costs)  # cheapest first
    # Re-check independently: new capacities, every single failure, ECMP, nothing above target.
    upgraded = problem.with_capacities({i: u["to_bps"] for i, link in enumerate(problem.links)
                                        for u in protected["upgrades"] if u["link"] == link.name})
    assert ecmp_loads(upgraded).max_utilization <= 0.5 + 1e-9
    for i in range(len(problem.links)):
        assert ecmp_loads(upgraded, failed_links=[i]).max_utilization <= 0.5 + 1e-9


def test_the_report_is_json_ready_and_routing_optimal_is_no_worse():
    problem = ring_problem()
    ecmp = public(analyse(problem, routing="ecmp", growth_per_year=0.2))
    optimal = public(analyse(problem, routing="optimal", growth_per_year=0.2))
    json.dumps(ecmp)
    json.dumps(optimal)
    assert optimal["max_utilization"] <= ecmp["max_utilization"] + 1e-9
    assert optimal["ecmp_max_utilization"] == ecmp["max_utilization"]
    assert ecmp["headroom_years"] == pytest.approx(math.log(0.8 / 0.6) / math.log(1.2), abs=1e-3)


def test_pictures_render_as_svg_and_png():
    problem = ring_problem()
    loads = ecmp_loads(problem)
    svg = map_svg(problem, loads)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "utilisation" in svg  # the colour bar's label is in the picture
    assert "<svg" in histogram_svg(loads)
    png = figure_png(report_figure(problem, loads))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.frombuffer(png, dtype=np.uint8).size > 10_000
