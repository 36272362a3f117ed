"""`unilink lab up|down|status`: the real FRR router lab in network namespaces (docs/lab.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from unilink.cli.common import console, print_json, run_cli
from unilink.inventory.model import Network
from unilink.lab.builder import Lab
from unilink.lab.probes import probe_all
from unilink.lab.topology import DEFAULT_PREFIX, parse_pops_option
from unilink.units import format_bandwidth

app = typer.Typer(help="The FRR router lab: real routers in Linux network namespaces.", no_args_is_help=True)

DIR_HELP = "Lab working directory (FRR configs, sockets, logs, state); default var/lab."
SOURCE_HELP = "Where the backbone comes from: store (the database), sample (the built-in sample), auto."


def _load_network(source: str) -> Network:
    """The inventory: from the store when it holds one (or when asked), else the sample network."""
    if source not in ("auto", "store", "sample"):
        from unilink.errors import ValidationError

        raise ValidationError("unknown source", field="--source", value=source, accepted="auto, store, sample")
    if source in ("auto", "store"):
        db_configured = os.environ.get("UNILINK_DATABASE_URL") or (Path.cwd() / "var" / "unilink.db").exists()
        if source == "store" or db_configured:
            from unilink.store.db import Store

            network = Store.open().load_network()
            if network.pops or source == "store":
                return network
    from unilink.inventory.sample import load_sample_network

    return load_sample_network()


def _load_tenants() -> list[dict[str, Any]]:
    from unilink.inventory.sample import load_demo_tenants

    return load_demo_tenants()


@app.command("up")
def up(pops: str = typer.Option(None, "--pops", help="How many PoPs (e.g. 4) or which (Paris,Frankfurt,...)."),
       directory: Path = typer.Option(None, "--dir", help=DIR_HELP),
       source: str = typer.Option("auto", "--source", help=SOURCE_HELP),
       prefix: str = typer.Option(DEFAULT_PREFIX, "--prefix", help="Namespace name prefix."),
       register: bool = typer.Option(False, "--register", help="Mark the lab's routers in the store as FRR "
                                     "routers driven by the lab (undone by `lab down`)."),
       as_json: bool = typer.Option(False, "--json", help="Print the lab status as JSON.")) -> None:
    """Build the lab: FRR routers (OSPF underlay, iBGP EVPN) and shaped site hosts."""

    def _up() -> None:
        lab = Lab.at(directory)
        lab.up(_load_network("store" if register else source), _load_tenants(), parse_pops_option(pops),
               prefix=prefix)
        if register:
            from unilink.store.db import Store

            lab.register(Store.open())
        _show(lab.status(), as_json)

    run_cli(_up, as_json)


@app.command("down")
def down(directory: Path = typer.Option(None, "--dir", help=DIR_HELP),
         prefix: str = typer.Option(DEFAULT_PREFIX, "--prefix", help="Namespace prefix to clean when no state."),
         as_json: bool = typer.Option(False, "--json", help="Print what was removed as JSON.")) -> None:
    """Remove every namespace, process and file the lab made (safe to run twice)."""

    def _down() -> None:
        lab = Lab.at(directory)
        if lab.registered():
            from unilink.store.db import Store

            lab.unregister(Store.open(lab.registered_store_url()))  # the database `up --register` changed
        report = lab.down(prefix=prefix)
        if as_json:
            print_json(report)
        else:
            _line(f"removed {len(report['removed_namespaces'])} namespaces, "
                  f"stopped {report['killed_processes']} stray processes; nothing left")

    run_cli(_down, as_json)


@app.command("status")
def status(directory: Path = typer.Option(None, "--dir", help=DIR_HELP),
           as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
           probe: bool = typer.Option(False, "--probe", help="Also probe kernel features (VRF, MPLS, VXLAN).")) -> None:
    """Routers (daemons, OSPF, EVPN), sites (rate, VPN) of the running lab."""

    def _status() -> None:
        data = Lab.at(directory).status()
        if probe:
            data["capabilities"] = probe_all().to_dict()
        _show(data, as_json)

    run_cli(_status, as_json)


def _show(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(data)
        return
    if not data.get("up"):
        _line(f"no lab in {data['directory']}")
        return
    _line(f"lab in {data['directory']} (prefix {data['prefix']}, tenant {data['tenant'] or '-'})")
    for r in data["routers"]:
        _line(f"  router {r['name']:<20} {r['pop']:<12} lo {r['loopback']:<15} daemons {len(r['daemons'])}/4 "
              f"ospf-full {r.get('ospf_neighbors_full', '-')} evpn-up {r.get('evpn_peers_established', '-')} "
              f"vnis {r.get('vnis', [])}")
    for s in data["sites"]:
        rate = format_bandwidth(s["down_bps"]) if s.get("down_bps") else "-"
        vpn_rate = format_bandwidth(s["vpn_down_bps"]) if s.get("vpn_down_bps") else "-"
        _line(f"  site   {s['name']:<20} {s['pop']:<12} {s['internet_addr']:<15} internet {rate:<6} "
              f"vpn {s.get('vpn_bridge') or '-'} {vpn_rate if s.get('vpn_bridge') else ''}".rstrip())
    for key, value in data.get("capabilities", {}).items():
        _line(f"  kernel {key}: {value}")


def _line(text: str) -> None:
    console.print(text, soft_wrap=True, highlight=False, markup=False)
