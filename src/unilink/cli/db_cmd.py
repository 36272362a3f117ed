"""`unilink db upgrade`, `unilink seed`, `unilink serve`: the database and the server.

Every command takes `--database URL` (or the env var UNILINK_DATABASE_URL); without either, the
database is the SQLite file ./var/unilink.db.
"""

from __future__ import annotations

import os
from typing import Any

import typer

from unilink.cli.common import cli_errors, console, print_json
from unilink.store.db import DATABASE_URL_ENV, Store, default_url
from unilink.store.health import open_reachable

DATABASE_OPTION = typer.Option(
    None, "--database", envvar=DATABASE_URL_ENV, show_envvar=True,
    help="Database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB (default: ./var/unilink.db).",
)

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)


def open_store(database: str | None) -> Store:
    """Open (and migrate) the database; a database that cannot be reached is a clear error, not a trace."""
    return open_reachable(database or default_url())


@db_app.command("upgrade")
def upgrade(database: str | None = DATABASE_OPTION,
            as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create the database or migrate it to the latest schema of every domain."""
    with cli_errors(as_json, working="migrating the database"):
        store = open_store(database)
        heads = sorted(_current_revisions(store))
        store.close()
    if as_json:
        print_json({"database": store.url, "revisions": heads})
    else:
        console.print(f"database {store.url} is at {', '.join(heads)}", highlight=False)


def _current_revisions(store: Store) -> set[str]:
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def seed(database: str | None = DATABASE_OPTION,
         if_empty: bool = typer.Option(False, "--if-empty",
                                       help="Only add what is missing; keep an existing network and tenants."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Load the sample network and demo data (without --if-empty: reset them to the sample)."""
    from unilink.store.seed import seed as run_seed

    with cli_errors(as_json, working="seeding: sample network and demo tenants through the engine"):
        store = open_store(database)
        try:
            results = run_seed(store, force=not if_empty)
        finally:
            store.close()
    if as_json:
        print_json({"steps": [{"step": r.step, "outcome": r.outcome} for r in results]})
        return
    for result in results:
        console.print(f"[bold]{result.step}[/]: {result.outcome}", highlight=False)


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
          scheduler_interval: float = typer.Option(
              30.0, "--scheduler-interval", min=0, max=86_400,
              help="Seconds between scheduler rounds (boosts that end, scheduled windows); 0: no scheduler."),
          recover: bool = typer.Option(True, "--recover/--no-recover",
                                       help="At start, finish or undo device transactions a crash left unfinished."),
          workers: int = typer.Option(1, "--workers", min=1, max=64,
                                      help="Server processes (PostgreSQL only; docs/scale-out.md)."),
          database: str | None = DATABASE_OPTION) -> None:
    """Run the API and portal (uvicorn) on HOST:PORT, with start-up recovery and the scheduler.

    With `--workers N` (PostgreSQL), N processes serve the same port; recovery and each scheduler
    round run in one of them at a time (store.locks), as they do across several machines."""
    import uvicorn

    from unilink.api.app import RECOVER_ENV, SCHEDULER_ENV

    with cli_errors():
        check_workers(workers, database or default_url())
    if database:
        os.environ[DATABASE_URL_ENV] = database  # create_app() opens the store from the environment
    os.environ[RECOVER_ENV] = "on" if recover else "off"
    os.environ[SCHEDULER_ENV] = f"{scheduler_interval:g}"
    os.environ.setdefault("UNILINK_USAGE_INTERVAL", "300")  # the usage collector (docs/usage.md)
    with cli_errors():
        store = open_store(database)  # migrate now, and fail here rather than on the first request
        try:
            announce_first_start(store, host, port)
        finally:
            store.close()
    # forwarded headers are the app's business (UNILINK_TRUSTED_PROXIES): uvicorn's own default trusts
    # X-Forwarded-For from any local peer, which would let anyone on the machine pick their address
    uvicorn.run("unilink.api.app:create_app", factory=True, host=host, port=port, proxy_headers=False,
                workers=workers if workers > 1 else None)


def check_workers(workers: int, url: str) -> None:
    """More than one worker needs PostgreSQL: SQLite has one writer, and its file is one machine's."""
    from unilink.errors import ValidationError
    from unilink.store.db import backend_of

    if workers > 1 and backend_of(url) != "postgresql":
        raise ValidationError(
            "several workers need PostgreSQL: SQLite lets one process write at a time, so more workers "
            "would only queue behind each other (and could not span machines)", field="workers", value=workers,
            accepted="1 on SQLite; or set UNILINK_DATABASE_URL (or --database) to "
                     "postgresql+psycopg://USER@HOST:PORT/DB and run N workers (docs/scale-out.md)")


def announce_first_start(store: Any, host: str, port: int) -> None:
    """When nobody can administer the platform yet: print, once, the single-use sign-in link."""
    from unilink.access import first_start

    with store.session(write=True) as session:
        code, pending = first_start.mint_link_code(session)
    if code is not None:
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        console.print("No operator administrator yet. Sign in once, within 24 hours, with:", highlight=False)
        print(f"    http://{shown_host}:{port}{first_start.PATH}?code={code}")  # whole, never wrapped
    elif pending:
        console.print("The first-start sign-in link printed earlier is still unused (it is shown once); "
                      "or mint a token: unilink token create --role operator-admin", highlight=False)


def recover(database: str | None = DATABASE_OPTION,
            as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Finish or undo the device transactions a crashed process left unfinished (as `serve` does at start)."""
    from unilink.engine.recovery import recover_applies

    with cli_errors(as_json, working="recovering unfinished device transactions"):
        store = open_store(database)
        try:
            outcomes = recover_applies(store)
        finally:
            store.close()
    rows = [{"id": o.id, "decision": o.decision, "routers": list(o.routers), "errors": o.errors} for o in outcomes]
    if as_json:
        print_json({"recovered": rows})
        return
    if not rows:
        console.print("nothing to recover: every device transaction is finished")
    for row in rows:
        console.print(f"[bold]{row['id']}[/]: {row['decision']} on {', '.join(row['routers'])}"
                      + (f" ({row['errors']})" if row["errors"] else ""), highlight=False)
    if any(o.decision == "failed" for o in outcomes):
        raise typer.Exit(5)  # a router could not be put back: the operator must look (DeviceError's code)
