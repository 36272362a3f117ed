"""The answers a planner asks for, from link loads: how full, where, for how long, what if, what to buy.

- `bottlenecks`: the most utilised arcs (a link in one direction), busiest first.
- `headroom_years`: years of compound growth g until the MLU reaches the target:
  log(target / MLU) / log(1 + g) (0 when already above; None when it never will).
- `failure_sweep` / `worst_failure`: every single-link failure, re-routed under ECMP (the IGP
  reconverges on the remaining links); the worst is the one with the highest MLU afterwards.
  Failures that cut some PoPs off are reported apart, with the traffic they strand.
- `upgrade_plan`: which links to raise to which module so that utilisation ≤ target, normally or
  under any single failure. Under ECMP the routing does not depend on capacities, so each link's
  need is independent — max over the scenarios of its busier direction's load / target — and the
  cheapest module per link is optimal for that link; the plan is listed cheapest first. The
  re-check recomputes every scenario's utilisation with the new capacities and reports it.

All figures are plain Python numbers, ready for JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from unilink.planning.loads import LinkLoads, ecmp_loads
from unilink.planning.lp import optimal_loads
from unilink.planning.problem import CapacityProblem
from unilink.planning.upgrades import DEFAULT_MODULES, Module, cheapest_option, distance_class

ROUTINGS = ("ecmp", "optimal")


def route(problem: CapacityProblem, routing: str) -> LinkLoads:
    """Loads under `routing`: "ecmp" (IGP shortest paths) or "optimal" (the min-MLU LP)."""
    if routing == "ecmp":
        return ecmp_loads(problem)
    if routing == "optimal":
        return optimal_loads(problem)
    from unilink.errors import ValidationError

    raise ValidationError("unknown routing", field="routing", value=routing, accepted=" | ".join(ROUTINGS))


def arc_row(problem: CapacityProblem, loads: LinkLoads, arc: int) -> dict[str, Any]:
    link = problem.links[arc // 2]
    a, b = (link.a, link.b) if arc % 2 == 0 else (link.b, link.a)
    capacity = float(loads.arc_capacity_bps[arc])
    load = float(loads.arc_load_bps[arc])
    return {"link": link.name, "from": a, "to": b, "load_bps": round(load), "capacity_bps": round(capacity),
            "utilization": round(load / capacity, 6), "length_km": link.length_km}


def link_loads(problem: CapacityProblem, loads: LinkLoads) -> list[dict[str, Any]]:
    """Every link with the load and utilisation of both directions (a→b and b→a), in link order."""
    util = loads.arc_utilization
    rows = []
    for i, link in enumerate(problem.links):
        rows.append({"link": link.name, "a": link.a, "b": link.b, "capacity_bps": link.capacity_bps,
                     "load_ab_bps": round(float(loads.arc_load_bps[2 * i])),
                     "load_ba_bps": round(float(loads.arc_load_bps[2 * i + 1])),
                     "utilization_ab": round(float(util[2 * i]), 6),
                     "utilization_ba": round(float(util[2 * i + 1]), 6)})
    return rows


def bottlenecks(problem: CapacityProblem, loads: LinkLoads, top: int = 10) -> list[dict[str, Any]]:
    """The `top` busiest arcs, by utilisation (ties: arc order, for determinism)."""
    util = loads.arc_utilization
    order = np.lexsort((np.arange(util.size), -util))[:top]
    return [arc_row(problem, loads, int(arc)) for arc in order if util[arc] > 0]


def headroom_years(max_utilization: float, growth_per_year: float, target: float) -> float | None:
    """Years until `max_utilization` grown at `growth_per_year` reaches `target`; None = never."""
    if max_utilization >= target:
        return 0.0
    if max_utilization <= 0 or growth_per_year <= 0:
        return None
    return math.log(target / max_utilization) / math.log1p(growth_per_year)


@dataclass(frozen=True, slots=True)
class FailureSweep:
    """ECMP loads after each single-link failure, in link order."""

    outcomes: tuple[LinkLoads, ...]

    @property
    def max_utilizations(self) -> np.ndarray:
        return np.array([o.max_utilization for o in self.outcomes])


def failure_sweep(problem: CapacityProblem) -> FailureSweep:
    return FailureSweep(tuple(ecmp_loads(problem, failed_links=(i,)) for i in range(len(problem.links))))


def worst_failure(problem: CapacityProblem, sweep: FailureSweep) -> dict[str, Any] | None:
    """The single-link failure with the highest MLU once re-routed, plus the failures that strand traffic."""
    if not sweep.outcomes:
        return None
    mlus = sweep.max_utilizations
    worst = int(np.lexsort((np.arange(mlus.size), -mlus))[0])
    outcome = sweep.outcomes[worst]
    stranding = [{"link": problem.links[i].name, "unrouted_bps": round(o.unrouted_bps),
                  "cut_off_pairs": len(o.unrouted_pairs)}
                 for i, o in enumerate(sweep.outcomes) if o.unrouted_bps > 0]
    return {
        "link": problem.links[worst].name,
        "max_utilization": round(float(mlus[worst]), 6),
        "bottlenecks": bottlenecks(problem, outcome, top=3),
        "unrouted_bps": round(outcome.unrouted_bps),
        "failures_that_strand_traffic": stranding,
    }


def upgrade_plan(problem: CapacityProblem, scenarios: list[LinkLoads], target: float,
                 modules: tuple[Module, ...] = DEFAULT_MODULES) -> dict[str, Any]:
    """Cheapest per-link modules so that every scenario's utilisation ≤ target (ECMP loads)."""
    link_count = len(problem.links)
    # Busiest direction of each link, in each scenario → the worst over scenarios.
    worst_load = np.zeros(link_count)
    for loads in scenarios:
        per_link = np.maximum(loads.arc_load_bps[0::2], loads.arc_load_bps[1::2])
        worst_load = np.maximum(worst_load, per_link)
    required = worst_load / target
    current = problem.arc_capacity_bps[0::2]
    steps: list[dict[str, Any]] = []
    unreachable: list[dict[str, Any]] = []
    new_capacity: dict[int, float] = {}
    for i in np.flatnonzero(required > current * (1 + 1e-9)):
        link = problem.links[int(i)]
        option = cheapest_option(float(required[i]), link.length_km, modules)
        if option is None:
            unreachable.append({"link": link.name, "required_bps": round(float(required[i]))})
            continue
        option_capacity = max(option.capacity_bps, int(current[i]))
        new_capacity[int(i)] = option_capacity
        steps.append({"link": link.name, "a": link.a, "b": link.b, "length_km": link.length_km,
                      "distance_class": distance_class(link.length_km)[0],
                      "from_bps": int(current[i]), "to_bps": option_capacity, "module": option.label,
                      "required_bps": round(float(required[i])), "cost_eur": round(option.cost_eur)})
    steps.sort(key=lambda s: (s["cost_eur"], s["link"]))
    upgraded = problem.with_capacities(new_capacity)
    # Re-check: ECMP paths do not depend on capacities, so the same loads over the new capacities are exact.
    after = max((float((s.arc_load_bps / _alive_capacity(upgraded, s)).max()) for s in scenarios), default=0.0)
    return {"target_utilization": target, "upgrades": steps, "total_cost_eur": sum(s["cost_eur"] for s in steps),
            "max_utilization_after": round(after, 6), "meets_target": after <= target + 1e-9 and not unreachable,
            "not_achievable": unreachable}


def _alive_capacity(problem: CapacityProblem, loads: LinkLoads) -> np.ndarray:
    caps = problem.arc_capacity_bps.copy()
    for i in loads.failed_links:
        caps[2 * i] = caps[2 * i + 1] = np.inf
    return caps


def analyse(problem: CapacityProblem, *, routing: str = "ecmp", growth_per_year: float = 0.0,
            target_utilization: float = 0.8, top: int = 10, failures: bool = True,
            upgrades: bool = True, modules: tuple[Module, ...] = DEFAULT_MODULES) -> dict[str, Any]:
    """Every answer for one traffic matrix, as a JSON-ready dict (see docs/planning.md)."""
    loads = route(problem, routing)
    report: dict[str, Any] = {
        "routing": routing,
        "max_utilization": round(loads.max_utilization, 6),
        "bottlenecks": bottlenecks(problem, loads, top),
        "headroom_years": _round(headroom_years(loads.max_utilization, growth_per_year, target_utilization)),
        "growth_per_year": growth_per_year,
        "target_utilization": target_utilization,
        "pops": problem.node_count,
        "links": len(problem.links),
        "demands": int(np.count_nonzero(problem.demand_bps)),
        "total_demand_bps": round(problem.total_demand_bps),
        "unrouted_bps": round(loads.unrouted_bps),
        "links_over_target": int((loads.link_utilization > target_utilization).sum()),
        "link_loads": link_loads(problem, loads),
    }
    if routing != "ecmp" and (failures or upgrades):
        ecmp = ecmp_loads(problem)  # failures and upgrades reason about the IGP's own routing
        report["ecmp_max_utilization"] = round(ecmp.max_utilization, 6)
    else:
        ecmp = loads
    sweep = failure_sweep(problem) if failures or upgrades else None
    if failures and sweep is not None:
        report["worst_failure"] = worst_failure(problem, sweep)
    if upgrades and sweep is not None:
        report["upgrade_plan"] = {
            "routing": "ecmp",
            "without_failure": upgrade_plan(problem, [ecmp], target_utilization, modules),
            "with_single_failure": upgrade_plan(problem, [ecmp, *sweep.outcomes], target_utilization, modules),
        }
    report["_loads"] = loads  # removed by `public`; kept for tables and pictures
    return report


def public(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its private arrays (for JSON)."""
    return {k: v for k, v in report.items() if not k.startswith("_")}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
