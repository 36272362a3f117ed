"""`unilink network import | show | export`: the backbone inventory from and to files.

The `--json` shapes are a public contract (scripts rely on them):
- import → {"nodes": N, "links": M, "skipped": [...], "merged": [...]}
- show   → {"nodes": [{"name", "city", "country", "lat", "lon", "routers": [...]}],
            "links": [{"name", "a", "b", "capacity_bps", "length_km", "latency_ms", "igp_metric", "srlgs"}],
            "interconnects": [{"name", "kind", "pop", "partner", "capacity_bps", "area"}]}
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from unilink.cli.common import Table, cli_errors, console, print_json
from unilink.cli.db_cmd import DATABASE_OPTION, open_store
from unilink.errors import ValidationError
from unilink.inventory.model import ImportResult, Network
from unilink.store.network_repo import NetworkChange
from unilink.units import format_bandwidth

app = typer.Typer(help="The backbone: PoPs, routers, links, interconnects.", no_args_is_help=True)


class ImportFormat(StrEnum):
    GRAPHML = "graphml"
    SNDLIB = "sndlib"
    REPETITA = "repetita"
    YAML = "yaml"


class ExportFormat(StrEnum):
    YAML = "yaml"
    GRAPHML = "graphml"


@app.command("import")
def import_network(
    path: Path = typer.Argument(..., help="The file to read."),
    fmt: ImportFormat | None = typer.Option(None, "--format", help="File format (default: from the extension)."),
    merge: bool = typer.Option(False, "--merge", help="Add to the current network instead of replacing it."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database: str | None = DATABASE_OPTION,
) -> None:
    """Import a network file; it replaces the current network (or is merged into it with --merge).

    The file is read and checked completely before the database is touched: a malformed file
    changes nothing.
    """
    from unilink.inventory.importers import import_file

    with cli_errors(as_json, working="importing the network"):
        result = import_file(path, str(fmt) if fmt else None)
        store = open_store(database)
        try:
            change = store.merge_network(result.network) if merge else store.replace_network(result.network)
        finally:
            store.close()
    if as_json:
        print_json(import_summary(result))
    else:
        _print_import(path, result, change, merge)


def import_summary(result: ImportResult) -> dict[str, Any]:
    return {"nodes": len(result.network.pops), "links": len(result.network.links),
            "skipped": list(result.skipped), "merged": list(result.merged)}


def _print_import(path: Path, result: ImportResult, change: NetworkChange, merge: bool) -> None:
    network = result.network
    console.print(f"[bold]{'merged' if merge else 'imported'}[/] {path}: {len(network.pops)} PoPs, "
                  f"{len(network.routers)} routers, {len(network.links)} links, "
                  f"{len(network.interconnects)} interconnects", highlight=False)
    for label, counts in (("added", change.added), ("updated", change.updated), ("removed", change.removed)):
        if counts:
            console.print(f"  {label}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()), highlight=False)
    console.print(f"  topology version {change.version}", highlight=False)
    for title, items in (("skipped", result.skipped), ("merged", result.merged),
                         ("notes", getattr(result, "notes", ()))):
        for item in items:
            console.print(f"  [yellow]{title}[/]: {item}", highlight=False, markup=True)
    if result.demands:
        console.print(f"  {len(result.demands)} traffic demands read (import stores the network only)",
                      highlight=False)


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON."),
         database: str | None = DATABASE_OPTION) -> None:
    """Show the current network: PoPs with their routers, links, interconnects."""
    with cli_errors(as_json):
        store = open_store(database)
        try:
            network = store.load_network()
            version = store.topology_version()
        finally:
            store.close()
    if as_json:
        print_json(network_document(network))
    else:
        _print_network(network, version)


def network_document(network: Network) -> dict[str, Any]:
    """The `network show --json` document (a public contract: keep keys and meaning)."""
    routers_at: dict[str, list[dict[str, Any]]] = {p.name: [] for p in network.pops}
    for r in network.routers:
        routers_at[r.pop].append({"name": r.name, "role": str(r.role), "vendor": str(r.vendor),
                                  "loopback": r.loopback, "driver": r.driver})
    return {
        "nodes": [{"name": p.name, "city": p.city, "country": p.country, "lat": p.lat, "lon": p.lon,
                   "routers": routers_at[p.name]} for p in network.pops],
        "links": [{"name": lk.name, "a": lk.a, "b": lk.b, "capacity_bps": lk.capacity_bps, "length_km": lk.length_km,
                   "latency_ms": lk.latency_ms, "igp_metric": lk.igp_metric, "srlgs": list(lk.srlgs)}
                  for lk in network.links],
        "interconnects": [{"name": ic.name, "kind": str(ic.kind), "pop": ic.pop, "partner": ic.partner,
                           "capacity_bps": ic.capacity_bps, "area": list(ic.area)} for ic in network.interconnects],
    }


def _print_network(network: Network, version: int) -> None:
    if not network.pops:
        console.print("no network yet: `unilink seed` loads the sample, `unilink network import FILE` a file")
        return
    routers_at: dict[str, list[str]] = {p.name: [] for p in network.pops}
    for r in network.routers:
        routers_at[r.pop].append(f"{r.name} ({r.role})")
    pops = Table(title=f"{network.name}: {len(network.pops)} PoPs (topology version {version})")
    for column in ("PoP", "city", "country", "lat", "lon", "routers"):
        pops.add_column(column)
    for p in network.pops:
        pops.add_row(p.name, p.city, p.country, f"{p.lat:.4f}", f"{p.lon:.4f}", ", ".join(routers_at[p.name]))
    links = Table(title=f"{len(network.links)} links")
    numeric = ("capacity", "length km", "latency ms", "IGP")
    for column in ("link", "a", "b", *numeric, "SRLGs"):
        links.add_column(column, justify="right" if column in numeric else "left")
    for lk in network.links:
        links.add_row(lk.name, lk.a, lk.b, format_bandwidth(lk.capacity_bps), f"{lk.length_km:.1f}",
                      f"{lk.latency_ms:.3f}", str(lk.igp_metric), ", ".join(lk.srlgs))
    console.print(pops)
    console.print(links)
    if network.interconnects:
        ics = Table(title=f"{len(network.interconnects)} interconnects")
        for column in ("interconnect", "kind", "PoP", "partner", "capacity", "area"):
            ics.add_column(column)
        for ic in network.interconnects:
            ics.add_row(ic.name, str(ic.kind), ic.pop, ic.partner, format_bandwidth(ic.capacity_bps),
                        ", ".join(ic.area))
        console.print(ics)


@app.command("export")
def export(fmt: ExportFormat = typer.Option(ExportFormat.YAML, "--format", help="File format."),
           output: Path | None = typer.Option(None, "-o", "--output", help="Write to FILE (default: stdout)."),
           database: str | None = DATABASE_OPTION) -> None:
    """Write the current network as YAML (unilink's own format) or GraphML."""
    from unilink.inventory.exporters import to_graphml, to_yaml

    with cli_errors():
        store = open_store(database)
        try:
            network = store.load_network()
        finally:
            store.close()
        text = to_yaml(network) if fmt == ExportFormat.YAML else to_graphml(network)
        if output is None:
            typer.echo(text, nl=not text.endswith("\n"))
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"cannot write the file: {exc.strerror}", field="output", value=str(output),
                                  accepted="a writable file path") from exc
    console.print(f"wrote {output} ({fmt}, {len(network.pops)} PoPs, {len(network.links)} links)", highlight=False)
