"""`unilink path` and `unilink whatif fail`: admission control on the current network (docs/admission.md).

    unilink path SRC DST --bandwidth BW [--disjoint] [--max-latency MS] [--max-hops N]
                 [--metric latency|igp] [--exclude NAME ...] [--start ISO] [--end ISO] [--json]
    unilink whatif fail LINK|NODE|SRLG [...] [--json]

Both read the network and the engine's reservations from the store (`UNILINK_DATABASE_URL`, else
./var/unilink.db). Exit codes: 0 ok, 2 unknown name or bad input, 3 infeasible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import typer

from unilink import clock
from unilink.cli.common import cli_errors, console, print_json, spinner
from unilink.errors import InfeasibleError, ValidationError, did_you_mean
from unilink.inventory.model import Network
from unilink.network.cspf import find_path
from unilink.network.disjoint import find_disjoint_pair
from unilink.network.graph import METRICS, METRICS_ACCEPTED, CompiledGraph, arc_of
from unilink.network.ledger import CapacityLedger
from unilink.network.whatif import fail
from unilink.store.reservations_repo import ReservationLine, reservation_lines
from unilink.units import format_bandwidth, parse_duration_ms, parse_positive_bandwidth

whatif_app = typer.Typer(help="Failure what-if: which services a failure hits, where they go, which cannot.",
                         no_args_is_help=True)


# -- the state: network + reservations from the store ------------------------------------------------
@dataclass(frozen=True, slots=True)
class State:
    graph: CompiledGraph
    ledger: CapacityLedger
    loaded: int  # reservations booked into the ledger
    skipped: tuple[int, ...]  # rows whose link is gone or that no longer fit


def build_state(network: Network, lines: Iterable[ReservationLine] = ()) -> State:
    """Compile `network` and book the reservation rows into a fresh ledger (pure)."""
    graph = CompiledGraph.compile(network)
    ledger = CapacityLedger(graph)
    loaded, skipped = 0, []
    for line in lines:
        link = graph.link_index.get(line.link)
        if link is None:
            skipped.append(line.id)
            continue
        arc = arc_of(link, line.direction)
        try:
            ledger.reserve({arc: line.bps}, service_id=line.service, start=line.start, end=line.end,
                           hold_until=line.hold_until, priority=line.priority, reservation_id=line.id)
            loaded += 1
        except InfeasibleError:
            skipped.append(line.id)
    return State(graph=graph, ledger=ledger, loaded=loaded, skipped=tuple(skipped))


def load_state() -> State:
    """The current network and the engine's reservations, from the store."""
    from unilink.store.db import Store

    with Store.open() as store:
        network = store.load_network()
        with store.session() as session:
            lines = reservation_lines(session)
    return build_state(network, lines)


# -- unilink path ------------------------------------------------------------------------------------
def parse_time(value: str | None, *, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a time", field=field, value=value,
                              accepted="ISO 8601, e.g. 2026-12-01T20:00:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_exclusions(graph: CompiledGraph, names: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """Sort --exclude names into PoPs, links and SRLGs (looked up in that order)."""
    nodes, links, srlgs = [], [], []
    for name in names:
        if name in graph.node_index:
            nodes.append(name)
        elif name in graph.link_index:
            links.append(name)
        elif name in graph.srlg_links:
            srlgs.append(name)
        else:
            raise ValidationError(f"{name!r} is neither a PoP, a link nor an SRLG", field="--exclude", value=name,
                                  accepted="the name of a PoP, a link or an SRLG of the backbone")
    return nodes, links, srlgs


def path_answer(state: State, src: str, dst: str, bandwidth: str, *, disjoint: bool = False,
                max_latency: str | None = None, max_hops: int | None = None, metric: str = "latency",
                exclude: Iterable[str] = (), start: str | None = None, end: str | None = None) -> dict[str, Any]:
    """The JSON answer of `unilink path` (raises a UnilinkError on bad input or infeasibility)."""
    bps = parse_positive_bandwidth(bandwidth, field="--bandwidth")
    if metric not in METRICS:
        raise ValidationError(f"unknown metric {metric!r}", field="--metric", value=metric, accepted=METRICS_ACCEPTED)
    limit_ms = None if max_latency is None else parse_duration_ms(max_latency, field="--max-latency")
    for name, field in ((src, "SRC"), (dst, "DST")):
        if name not in state.graph.node_index:
            raise ValidationError(f"unknown PoP {name!r}", field=field, value=name,
                                  accepted="the name of a PoP of the backbone (unilink network show)")
    nodes, links, srlgs = split_exclusions(state.graph, exclude)
    window_start = parse_time(start, field="--start") or clock.default().now()
    window_end = parse_time(end, field="--end")
    common: dict[str, Any] = {"start": window_start, "end": window_end, "metric": metric, "exclude_nodes": nodes,
                              "exclude_links": links, "exclude_srlgs": srlgs}
    if disjoint:
        if limit_ms is not None or max_hops is not None:
            raise ValidationError("not available with --disjoint", field="--max-latency/--max-hops",
                                  value=max_latency or max_hops, accepted="--disjoint without latency or hop limits")
        pair = find_disjoint_pair(state.graph, state.ledger, src, dst, bps, **common)
        return {**pair.to_dict(), "bandwidth_bps": bps}
    path = find_path(state.graph, state.ledger, src, dst, bps, max_latency_ms=limit_ms, max_hops=max_hops, **common)
    return {**path.to_dict(), "bandwidth_bps": bps}


def path(
    src: str = typer.Argument(..., help="Source PoP."),
    dst: str = typer.Argument(..., help="Destination PoP."),
    bandwidth: str = typer.Option(..., "--bandwidth", "-b", help='Bit/s, e.g. "10G", "500M", "2.5Gbit/s".'),
    disjoint: bool = typer.Option(False, "--disjoint", help="Two link- and SRLG-disjoint paths (protection)."),
    max_latency: str | None = typer.Option(None, "--max-latency", help="Latency limit, e.g. 20 or 20ms."),
    max_hops: int | None = typer.Option(None, "--max-hops", help="Hop limit."),
    metric: str = typer.Option("latency", "--metric", help="latency | igp."),
    exclude: list[str] = typer.Option([], "--exclude", help="A PoP, link or SRLG to avoid (repeatable)."),
    start: str | None = typer.Option(None, "--start", help="Window start, ISO 8601 (default: now)."),
    end: str | None = typer.Option(None, "--end", help="Window end, ISO 8601 (default: open-ended)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The best path from SRC to DST with BANDWIDTH free on every link, given the current reservations."""
    with cli_errors(as_json):
        answer = path_answer(load_state(), src, dst, bandwidth, disjoint=disjoint, max_latency=max_latency,
                             max_hops=max_hops, metric=metric, exclude=exclude, start=start, end=end)
        if as_json:
            print_json(answer)
        elif "paths" in answer:
            for label, nodes, latency in zip(("primary", "secondary"), answer["paths"], answer["latency_ms"],
                                             strict=True):
                console.print(f"{label}: {' → '.join(nodes)}  ({latency} ms)", highlight=False)
        else:
            console.print(f"{' → '.join(answer['path'])}  ({answer['latency_ms']} ms, {answer['hops']} hops, "
                          f"{format_bandwidth(answer['bandwidth_bps'])} free on every link)", highlight=False)


# -- unilink whatif fail -----------------------------------------------------------------------------
def whatif_summary(answer: dict[str, Any]) -> str:
    """Counted in services, so that the figures add up: "3 services hit: 1 re-routed, 2 cannot be (12
    reservations)". A VPN tree counts once however many reservations it holds."""
    lost = {u["service"] for u in answer["unrestorable"]}
    moved = {r["service"] for r in answer["restored"]} - lost
    hit = len(moved) + len(lost)
    if hit == 0:
        return "no service is hit"
    return (f"{hit} service{'s' if hit != 1 else ''} hit: {len(moved)} re-routed, {len(lost)} cannot be "
            f"({answer['affected']} reservation{'s' if answer['affected'] != 1 else ''})")


def whatif_answer(state: State, targets: Iterable[str]) -> dict[str, Any]:
    targets = list(targets)
    if not targets:
        raise ValidationError("nothing to fail", field="TARGET", value="",
                              accepted="one or more link, PoP or SRLG names")
    nodes, links, srlgs = [], [], []
    for name in targets:
        if name in state.graph.link_index:
            links.append(name)
        elif name in state.graph.node_index:
            nodes.append(name)
        elif name in state.graph.srlg_links:
            srlgs.append(name)
        else:
            known = [*state.graph.link_index, *state.graph.node_index, *state.graph.srlg_links]
            raise ValidationError(f"{name!r} is neither a link, a PoP nor an SRLG{did_you_mean(name, known)}",
                                  field="TARGET", value=name,
                                  accepted="the name of a backbone link, a PoP or an SRLG (unilink network show)")
    report = fail(state.graph, state.ledger, links=links, nodes=nodes, srlgs=srlgs)
    return {**report.to_dict(), "reservations_in_ledger": state.loaded,
            "reservations_skipped": len(state.skipped)}


@whatif_app.command("fail")
def whatif_fail(
    targets: list[str] = typer.Argument(..., help="Links, PoPs or SRLGs to fail together."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fail links, PoPs or SRLGs: the services they carry, re-routed in priority order, and those that cannot be."""
    with cli_errors(as_json):
        with spinner(None if as_json else "re-routing the affected services"):
            answer = whatif_answer(load_state(), targets)
        if as_json:
            print_json(answer)
            return
        failed = answer["failed"]
        console.print(f"failed: {', '.join(failed['links'] + failed['nodes'] + failed['srlgs'])}", highlight=False)
        console.print(whatif_summary(answer), highlight=False)
        for lost in answer["unrestorable"]:
            console.print(f"  [red]lost[/] {lost['service']} (#{lost['reservation']}): {lost['reason']}")
