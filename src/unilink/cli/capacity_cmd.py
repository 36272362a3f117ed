"""`unilink capacity …`: link loads, bottlenecks, headroom, failures and upgrades (docs/planning.md).

    unilink capacity mlu --topology FILE [--demands FILE] [--format repetita|sndlib]
                         [--routing optimal|ecmp] [--failures] [--json]
    unilink capacity scenario FILE [--routing ecmp|optimal] [--years N] [--json] [--png OUT] [--svg OUT]
                              [--from-measured [--busy-days N]]
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import typer

from unilink.cli.common import Table, cli_errors, console, print_json, spinner
from unilink.errors import ValidationError

app = typer.Typer(help="Capacity planning: link loads, bottlenecks, headroom, failures, upgrades.",
                  no_args_is_help=True)

ROUTINGS = ("optimal", "ecmp")


def _check_routing(routing: str | None) -> None:
    if routing is not None and routing not in ROUTINGS:
        raise ValidationError("unknown routing", field="--routing", value=routing, accepted=" | ".join(ROUTINGS))


def _check_fraction(value: float, flag: str, *, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValidationError("out of range", field=flag, value=value, accepted=f"a number from {low} to {high}")


@app.command("mlu")
def mlu(
    topology: Path = typer.Option(..., "--topology", help="Topology file (REPETITA .graph or SNDlib)."),
    demands: Path | None = typer.Option(None, "--demands", help="Demands file (default: those of the topology)."),
    fmt: str | None = typer.Option(None, "--format", help="repetita | sndlib (default: from the extension)."),
    routing: str = typer.Option("optimal", "--routing", help="optimal (min-MLU LP) | ecmp (IGP shortest paths)."),
    failures: bool = typer.Option(False, "--failures", help="Also re-route every single-link failure (ECMP)."),
    upgrades: bool = typer.Option(False, "--upgrades", help="Also plan the cheapest upgrades to the target."),
    target: float = typer.Option(0.8, "--target", help="Target utilisation for headroom and upgrades."),
    growth: float = typer.Option(0.0, "--growth", help="Traffic growth per year, e.g. 0.25 for +25 %."),
    top: int = typer.Option(10, "--top", help="How many bottlenecks to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Maximum link utilisation of a traffic matrix on a topology, from files."""
    with cli_errors(as_json):
        from unilink.planning.answers import analyse, public
        from unilink.planning.inputs import load_topology_and_demands
        from unilink.planning.problem import build_problem

        _check_routing(routing)
        _check_fraction(target, "--target", low=0.01, high=1.0)
        _check_fraction(growth, "--growth", low=-0.99, high=10.0)
        started = time.perf_counter()
        with spinner(None if as_json else "reading the topology and demands, computing link loads"):
            network, demand_list = load_topology_and_demands(topology, demands, fmt)
            problem = build_problem(network, demand_list)
            read = time.perf_counter()
            report = analyse(problem, routing=routing, growth_per_year=growth, target_utilization=target, top=top,
                             failures=failures, upgrades=upgrades)
        done = time.perf_counter()
        report["network"] = network.name
        report["timings_ms"] = {"read": round((read - started) * 1000, 1), "answer": round((done - read) * 1000, 1)}
        if as_json:
            print_json(public(report))
        else:
            _print_report(public(report), title=f"{network.name}: {len(demand_list)} demands")


@app.command("scenario")
def scenario(
    file: Path = typer.Argument(..., help="Scenario YAML (see src/unilink/planning/scenarios/)."),
    routing: str | None = typer.Option(None, "--routing", help="Override the scenario's routing: ecmp | optimal."),
    years: float = typer.Option(0.0, "--years", help="Look this many years ahead under the scenario's growth."),
    database_url: str | None = typer.Option(None, "--database", envvar="UNILINK_DATABASE_URL",
                                            help="Database holding the network (default: var/unilink.db)."),
    png: Path | None = typer.Option(None, "--png", help="Write the utilisation map and histogram as PNG."),
    svg: Path | None = typer.Option(None, "--svg", help="Write the utilisation map and histogram as SVG."),
    failures: bool = typer.Option(True, "--failures/--no-failures", help="Re-route every single-link failure."),
    upgrades: bool = typer.Option(True, "--upgrades/--no-upgrades", help="Plan the cheapest upgrades."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    from_measured: bool = typer.Option(False, "--from-measured", help="Start from the traffic the sites measured "
                                       "at the network's busy hour (the scenario's sources, growth and target "
                                       "still apply; its subscribers do not)."),
    busy_days: float = typer.Option(7.0, "--busy-days", help="With --from-measured: look for the busy hour in "
                                    "this many past days."),
) -> None:
    """Run a traffic scenario on the current network (the one in the database)."""
    with cli_errors(as_json):
        from unilink.planning.answers import analyse, public
        from unilink.planning.problem import build_problem
        from unilink.planning.scenario import grown, load_scenario, scenario_matrix

        _check_routing(routing)
        _check_fraction(years, "--years", low=0.0, high=50.0)
        for flag, path in (("--png", png), ("--svg", svg)):
            if path is not None and not path.parent.is_dir():
                raise ValidationError("directory does not exist", field=flag, value=str(path),
                                      accepted="a file path in an existing directory")
        plan = load_scenario(file)
        if from_measured:
            plan = dataclasses.replace(plan, traffic_model="measured")
        network, booked = _current_network(database_url, with_ledger=plan.include_ledger)
        measured = _measured(database_url, busy_days) if plan.traffic_model == "measured" else None
        started = time.perf_counter()
        with spinner(None if as_json else "building the traffic matrix, computing link loads"):
            matrix = grown(scenario_matrix(plan, network, measured=measured), plan.growth_per_year, years)
            problem = build_problem(network, matrix).with_background(booked)
            report = analyse(problem, routing=routing or plan.routing, growth_per_year=plan.growth_per_year,
                             target_utilization=plan.target_utilization, failures=failures, upgrades=upgrades)
        report = {"scenario": plan.name, "network": network.name, "years_ahead": years,
                  "ledger_booked_bps": None if booked is None else round(float(booked.sum())),
                  "subscribers": round(_subscriber_total(plan, network)),
                  "busy_hour_per_subscriber_bps": round(plan.busy_hour_per_subscriber_bps
                                                        * (1 + plan.growth_per_year) ** years),
                  # What the naive sum of line rates would ask — the figure the busy-hour model replaces.
                  "sum_of_access_rates_bps": round(_subscriber_total(plan, network)
                                                   * plan.access_rate_per_subscriber_bps),
                  **({} if measured is None else {"measured_busy_hour": measured.at, "measured_sites": measured.sites}),
                  **report,
                  "timings_ms": {"answer": round((time.perf_counter() - started) * 1000, 1)}}
        title = f"{plan.name} on {network.name}" + (f", {years:g} years ahead" if years else "")
        for fmt, path in (("png", png), ("svg", svg)):
            if path is not None:
                from unilink.planning.plots import report_figure, save_figure

                save_figure(report_figure(problem, report["_loads"], title=title), path, fmt)
                report[f"{fmt}_file"] = str(path)
        if as_json:
            print_json(public(report))
        else:
            _print_report(public(report), title=title)


def _current_network(database_url: str | None, *, with_ledger: bool) -> tuple[Any, Any]:
    """The stored network and, when asked, the bit/s its ledger has booked per arc now."""
    from unilink.store.db import Store
    from unilink.store.reservations_repo import reserved_arc_bps

    store = Store.open(database_url)
    try:
        network = store.load_network()
        if not network.pops or not network.links:
            raise ValidationError("the database holds no network", field="--database", value=store.url,
                                  accepted="a database with an inventory (run `unilink seed` or import a topology)")
        booked = reserved_arc_bps(store, network) if with_ledger else None
    finally:
        store.close()
    return network, booked


def _measured(database_url: str | None, days: float) -> Any:
    """The sites' traffic at the busy hour of the last `days`, from the usage samples of the database."""
    from unilink.planning.scenario import MeasuredBusyHour
    from unilink.store.db import Store
    from unilink.usage.busy_hour import measured_busy_hour

    store = Store.open(database_url)
    try:
        found = measured_busy_hour(store, days=days)
    finally:
        store.close()
    return MeasuredBusyHour(found.at, found.down_bps_by_pop, found.up_bps_by_pop, found.sites)


def _subscriber_total(plan: Any, network: Any) -> float:
    if plan.traffic_model != "gravity":
        return 0.0
    from unilink.planning.scenario import subscribers_per_pop

    return float(subscribers_per_pop(plan, network).sum())


# -- tables ----------------------------------------------------------------------------------------

def _bw(bps: float) -> str:
    """A bandwidth to 3 significant figures for tables: 1813910416667 → '1.81 Tbit/s'."""
    for prefix, factor in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if bps >= factor:
            return f"{bps / factor:.3g} {prefix}bit/s"
    return f"{bps:.3g} bit/s"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _print_report(report: dict[str, Any], *, title: str) -> None:
    summary = Table(title=title, show_header=False)
    summary.add_column("figure", style="bold")
    summary.add_column("value")
    summary.add_row("routing", report["routing"])
    if report.get("measured_busy_hour"):
        summary.add_row("measured busy hour", f"{report['measured_busy_hour']} ({report['measured_sites']} sites)")
    summary.add_row("max utilisation", _percent(report["max_utilization"]))
    if "ecmp_max_utilization" in report:
        summary.add_row("max utilisation under ECMP", _percent(report["ecmp_max_utilization"]))
    if report.get("subscribers"):
        summary.add_row("subscribers", f"{report['subscribers']:,} at "
                        f"{_bw(report['busy_hour_per_subscriber_bps'])} each at the busy hour")
        summary.add_row("sum of their line rates", _bw(report["sum_of_access_rates_bps"]))
    summary.add_row("total demand", _bw(report["total_demand_bps"]))
    summary.add_row("links over target", f"{report['links_over_target']} of {report['links']} "
                                         f"(target {report['target_utilization']:.0%})")
    headroom = report["headroom_years"]
    summary.add_row("headroom", "unlimited" if headroom is None else f"{headroom:.1f} years "
                    f"at {report['growth_per_year']:.0%}/year")
    if report.get("unrouted_bps"):
        summary.add_row("unroutable traffic", _bw(report["unrouted_bps"]))
    worst = report.get("worst_failure")
    if worst:
        summary.add_row("worst single failure", f"{worst['link']} → max {_percent(worst['max_utilization'])}")
        if worst["failures_that_strand_traffic"]:
            summary.add_row("failures that cut PoPs off", str(len(worst["failures_that_strand_traffic"])))
    console.print(summary)
    console.print(_bottleneck_table(report["bottlenecks"]))
    plan = report.get("upgrade_plan")
    if plan:
        for key, label in (("without_failure", "upgrades to meet the target"),
                           ("with_single_failure", "upgrades to meet it under any single failure")):
            console.print(_upgrade_table(plan[key], label))


def _bottleneck_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="bottlenecks")
    for column in ("link", "direction", "load", "capacity", "utilisation"):
        table.add_column(column, justify="right" if column in ("load", "capacity", "utilisation") else "left")
    for row in rows:
        style = "red" if row["utilization"] > 1 else ("yellow" if row["utilization"] > 0.8 else "")
        table.add_row(row["link"], f"{row['from']} → {row['to']}", _bw(row["load_bps"]),
                      _bw(row["capacity_bps"]), f"[{style}]{row['utilization']:.1%}[/]" if style
                      else f"{row['utilization']:.1%}")
    return table


def _upgrade_table(plan: dict[str, Any], label: str) -> Table:
    table = Table(title=f"{label}: {len(plan['upgrades'])} links, {plan['total_cost_eur']:,} EUR, "
                        f"max after {_percent(plan['max_utilization_after'])}")
    for column in ("link", "km", "class", "from", "to", "cost EUR"):
        table.add_column(column, justify="left" if column in ("link", "class") else "right")
    for step in plan["upgrades"]:
        table.add_row(step["link"], f"{step['length_km']:.0f}", step["distance_class"],
                      _bw(step["from_bps"]), step["module"], f"{step['cost_eur']:,}")
    return table
