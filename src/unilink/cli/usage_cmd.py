"""`unilink usage collect [--once]`: poll the routers' interface counters into the database.

    unilink usage collect --once [--source sim|netconf|lab] [--json]  one cycle (a baseline on first run)
    unilink usage collect [--interval 300] [--source …]            on a schedule until Ctrl-C

The interval is `--interval` or UNILINK_USAGE_INTERVAL (default 300 s; the lab: a few seconds), the
counter source `--source` or UNILINK_USAGE_SOURCE, else UNILINK_DRIVER, else `sim` (docs/usage.md).
"""

from __future__ import annotations

import threading

import typer

from unilink.cli.common import cli_errors, console, print_json
from unilink.cli.db_cmd import DATABASE_OPTION, open_store
from unilink.usage.alarms import watch_from_env
from unilink.usage.poller import (
    INTERVAL_ENV,
    SOURCE_ENV,
    CycleResult,
    Poller,
    configured_source,
    parse_interval,
    reader_for,
    run_forever,
)

app = typer.Typer(help="Measured traffic: interface counters into time series.", no_args_is_help=True)


def _show(result: CycleResult, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
        return
    failed = f", routers not answering: {', '.join(result.failed_routers)}" if result.failed_routers else ""
    console.print(f"{result.at.isoformat()}: {result.readings} counters read, {result.deltas} rates, "
                  f"{result.samples} samples written, {result.flagged} flagged{failed}", highlight=False)


@app.command("collect")
def collect(once: bool = typer.Option(False, "--once", help="One poll cycle, then exit."),
            interval: str = typer.Option(None, "--interval", envvar=INTERVAL_ENV, show_envvar=True,
                                         help="Seconds between polls (default 300)."),
            source: str = typer.Option(None, "--source", envvar=SOURCE_ENV, show_envvar=True,
                                       help="Counter source: sim, netconf or lab (default: UNILINK_DRIVER, else sim)."),
            database: str | None = DATABASE_OPTION,
            as_json: bool = typer.Option(False, "--json", help="Print JSON (one object per cycle).")) -> None:
    """Poll the interface counters and store rates at 5 min / 1 h / 1 day."""
    with cli_errors(as_json):
        seconds = parse_interval(interval, field="--interval")
        name = source or configured_source()
        if name == "lab":
            import unilink.lab  # noqa: F401  (registers the lab's counter source)
        store = open_store(database)
        try:
            reader, routers = reader_for(store, name)
            poller = Poller(store, reader, routers, interval_s=seconds, after_cycle=watch_from_env(store))
            if once:
                _show(poller.poll_once(), as_json)
                return
            stop = threading.Event()
            try:
                run_forever(poller, stop, on_cycle=lambda r: _show(r, as_json))
            except KeyboardInterrupt:
                stop.set()
        finally:
            store.close()
