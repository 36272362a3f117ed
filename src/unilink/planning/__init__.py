"""Capacity planning: traffic scenarios, link loads (ECMP and optimal), answers, pictures.

Pure core (no I/O) except `inputs` (files), `scenario.load_scenario`.

    from unilink.planning.problem import build_problem          # Network + demands → arrays
    from unilink.planning.loads import ecmp_loads               # IGP shortest paths, equal splits
    from unilink.planning.lp import optimal_loads               # min-max utilisation LP (HiGHS)
    from unilink.planning.answers import analyse, public        # bottlenecks, headroom, failures, upgrades
    from unilink.planning.scenario import load_scenario, scenario_matrix
    from unilink.planning.plots import map_svg, histogram_svg   # SVG text for the portal

    problem = build_problem(network, scenario_matrix(load_scenario(path), network))
    report = public(analyse(problem, routing="ecmp", growth_per_year=0.25, target_utilization=0.8))
    svg = map_svg(problem, ecmp_loads(problem))

Arcs: 2·i is link i from a to b, 2·i+1 from b to a (as in `unilink.network.graph`). See docs/planning.md.
"""
