"""`unilink coop …`: cooperatives — the design of a coop's connection (docs/coop-design.md).

    unilink coop design (--communes "A,B" | --lat LAT --lon LON [...]) --members N
                        [--busy-hour-mbps X] [--peak-factor F] [--growth G] [--horizon-years Y]
                        [--plan-mbps R ...] [--json]

Reads the network, the interconnects and the capacity ledger of the local database (like `unilink
path`) and changes nothing. Exit codes: 0 a feasible design, 2 bad input (an unknown commune lists
the known ones), 3 no candidate is feasible (each candidate names its bottleneck).
"""

from __future__ import annotations

from typing import Any

import typer

from unilink.cli.common import Table, cli_errors, console, print_json
from unilink.cli.db_cmd import DATABASE_OPTION, open_store
from unilink.errors import InfeasibleError, ValidationError
from unilink.units import format_bandwidth

app = typer.Typer(help="Cooperatives: the design of a coop's connection to the backbone.", no_args_is_help=True)

M = 10**6


@app.command("design")
def design(
    communes: str | None = typer.Option(None, "--communes",
                                        help='Communes of the area, e.g. "Villiers-le-Mahieu,Thoiry".'),
    lat: list[float] = typer.Option([], "--lat", help="Latitude of a point of the area (repeat with --lon)."),
    lon: list[float] = typer.Option([], "--lon", help="Longitude of a point of the area (repeat with --lat)."),
    members: int = typer.Option(..., "--members", help="How many members (subscribers) the connection serves."),
    busy_hour_mbps: float | None = typer.Option(None, "--busy-hour-mbps",
                                                help="Busy-hour Mbit/s per member (default 2.4, Ofcom)."),
    peak_factor: float | None = typer.Option(None, "--peak-factor", help="Headroom over the busy hour (default 1.25)."),
    growth: float | None = typer.Option(None, "--growth", help="Traffic growth per year, e.g. 0.1 (default)."),
    horizon_years: float | None = typer.Option(None, "--horizon-years",
                                               help="Years of growth to size for (default 1)."),
    plan_mbps: list[float] = typer.Option([], "--plan-mbps", help="A pledged plan's Mbit/s (repeatable): the floor."),
    route_factor: float | None = typer.Option(None, "--route-factor",
                                              help="Fibre route km per great-circle km (default 1.3)."),
    euros_per_km: float | None = typer.Option(None, "--euros-per-km", help="New fibre, € per km (default 20000)."),
    months: int | None = typer.Option(None, "--amortisation-months",
                                      help="Months the one-off cost is spread over (default 120)."),
    database: str | None = DATABASE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Candidate attachments for a coop's connection, priced and checked against free capacity."""
    from unilink.usecases.coop_design import design as run_design

    with cli_errors(as_json):
        names = [n.strip() for n in (communes or "").split(",") if n.strip()]
        points = _points(lat, lon)
        if not names and not points:
            raise ValidationError("say where the members are", field="--communes", value=communes,
                                  accepted='--communes "A,B" or --lat LAT --lon LON')
        _check_members(members)
        result = run_design(open_store(database), communes=names, points=points, members=members,
                            plan_rates_bps=[_mbps(r, "--plan-mbps") for r in plan_mbps],
                            busy_hour_bps=None if busy_hour_mbps is None else _mbps(busy_hour_mbps, "--busy-hour-mbps"),
                            peak_factor=peak_factor, growth_per_year=growth, horizon_years=horizon_years,
                            tariffs=_tariffs(route_factor, euros_per_km, months))
        if result["best"] is None:
            raise none_feasible(result)
        if as_json:
            print_json(result)
        else:
            show_design(result)


def none_feasible(result: dict[str, Any]) -> InfeasibleError:
    """Exit 3: no candidate fits; the JSON keeps the design's keys, plus each candidate's bottleneck."""
    bottlenecks = [{"candidate": i, "kind": c["kind"], "attach": c["attach"], **(c["bottleneck"] or {})}
                   for i, c in enumerate(result["candidates"])]
    first = bottlenecks[0] if bottlenecks else {}
    where = first.get("link") or first.get("interconnect") or first.get("access") or "the network"
    return InfeasibleError(f"no candidate can carry {format_bandwidth(result['model']['backhaul_bps'])} "
                           f"(first bottleneck: {where})", details={"bottleneck": bottlenecks, **result})


def _tariffs(route_factor: float | None, euros_per_km: float | None, months: int | None) -> dict[str, Any]:
    given = {"route_factor": route_factor, "amortisation_months": months,
             "new_build_cents_per_km": None if euros_per_km is None else round(euros_per_km * 100)}
    return {name: value for name, value in given.items() if value is not None}


def _points(lat: list[float], lon: list[float]) -> list[tuple[float, float]]:
    if len(lat) != len(lon):
        raise ValidationError("each --lat needs its --lon", field="--lat", value=f"{len(lat)} --lat, {len(lon)} --lon",
                              accepted="as many --lat as --lon")
    return list(zip(lat, lon, strict=True))


def _check_members(members: int) -> None:
    if members < 1:
        raise ValidationError("a cooperative has at least one member", field="--members", value=members,
                              accepted="an integer ≥ 1")


def _mbps(value: float, flag: str) -> int:
    bps = round(value * M)
    if not bps >= 1:
        raise ValidationError("must be greater than zero", field=flag, value=value, accepted="Mbit/s > 0, e.g. 2.4")
    return bps


# -- the table ---------------------------------------------------------------------------------------
def _euros(cents: int) -> str:
    return f"€{cents / 100:,.2f}"


def _bottleneck_text(b: dict[str, Any] | None) -> str:
    if not b:
        return "—"
    what = b.get("link") or b.get("interconnect") or b.get("access") or b.get("pop", "")
    free = f" free {format_bandwidth(b['free_bps'])}" if "free_bps" in b else ""
    return f"{what}:{free} < {format_bandwidth(b['needed_bps'])}"


ROWS: tuple[tuple[str, Any], ...] = (
    ("kind", lambda c: c["kind"]),
    ("attach", lambda c: c["attach"]),
    ("access", lambda c: f"{c['technology']}, {c['provider']}"),
    ("path", lambda c: " → ".join(c["path"])),
    ("distance", lambda c: f"{c['distance_km']:.1f} km"),
    ("new build", lambda c: f"{c['new_build_km']:.1f} km"),
    ("backhaul", lambda c: format_bandwidth(c["backhaul_bps"])),
    ("feasible", lambda c: "yes" if c["feasible"] else "[red]no[/]"),
    ("bottleneck", lambda c: _bottleneck_text(c["bottleneck"])),
    ("monthly", lambda c: _euros(c["monthly_cents"])),
    ("one-off", lambda c: _euros(c["one_off_cents"])),
    ("per member / month", lambda c: _euros(c["per_member_monthly_cents"])),
)


def show_design(result: dict[str, Any]) -> None:
    """The candidates side by side, one column each; the best marked ★."""
    model = result["model"]
    title = (f"{model['members']} members × {model['busy_hour_bps_per_member'] / M:g} Mbit/s × "
             f"{model['peak_factor']:g} × (1 + {model['growth_per_year']:g})^{model['horizon_years']:g} = "
             f"{format_bandwidth(model['demand_bps'])} → {format_bandwidth(model['backhaul_bps'])}")
    table = Table(title=title, show_lines=True)
    table.add_column("")
    for i, _ in enumerate(result["candidates"]):
        table.add_column(f"#{i}" + (" ★" if i == result["best"] else ""), overflow="fold")
    for label, cell in ROWS:
        table.add_row(label, *[cell(c) for c in result["candidates"]])
    console.print(table)
    months = result["assumptions"]["amortisation_months"]
    console.print(f"per member / month = (monthly + one-off / {months} months) / members; "
                  "assumptions: docs/coop-design.md", highlight=False)
