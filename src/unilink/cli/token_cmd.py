"""`unilink token create|list|revoke` and `unilink user create`: credentials for the API, from the shell.

The token is printed once and stored only as a hash: keep it (e.g. `export UNILINK_TOKEN=...`).
"""

from __future__ import annotations

import getpass

import typer

from unilink.access import accounts
from unilink.cli.common import cli_errors, console, print_json
from unilink.cli.db_cmd import open_store
from unilink.store.db import DATABASE_URL_ENV

DATABASE_OPTION = typer.Option(None, "--database", envvar=DATABASE_URL_ENV, show_envvar=True,
                               help="Database URL (default: ./var/unilink.db).")
ROLE_HELP = "operator-admin, operator-viewer, tenant-admin, tenant-viewer or coop-manager"

app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
user_app = typer.Typer(help="Users who log in to the portal with a password.", no_args_is_help=True)


@app.command("create")
def create(role: str = typer.Option(..., "--role", help=ROLE_HELP),
           tenant: str | None = typer.Option(None, "--tenant", help="The tenant (none for operator roles)."),
           name: str = typer.Option("cli", "--name", help="What the token is for (shown in listings)."),
           database: str | None = DATABASE_OPTION,
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create an API token and print it — the only time it is shown."""
    with cli_errors(as_json), open_store(database) as store, store.session(write=True) as session:
        minted, info = accounts.create_token(session, role=role, tenant=tenant, name=name)
    if as_json:
        print_json({"token": minted.token, **info.to_dict()})
        return
    who = f"{role} of tenant {tenant}" if tenant else role
    console.print(f"token for {who} (prefix {info.prefix}); shown once, keep it now:", highlight=False)
    print(minted.token)
    print(f"use it with: export UNILINK_TOKEN={minted.token}")  # whole, never wrapped: it is copied as is


@app.command("list")
def list_tokens(tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant's tokens."),
                database: str | None = DATABASE_OPTION,
                as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List tokens (prefix, role, tenant, state) — never the tokens themselves."""
    with cli_errors(as_json), open_store(database) as store, store.session() as session:
        tokens = accounts.list_tokens(session, tenant)
    if as_json:
        print_json([t.to_dict() for t in tokens])
        return
    for t in tokens:
        state = "revoked" if t.revoked_at else "active"
        console.print(f"{t.prefix}  {t.role:<16} {t.tenant or '-':<16} {state:<8} {t.name}", highlight=False)


@app.command("revoke")
def revoke(prefix: str = typer.Argument(..., help="The token's prefix (second part of ul_<prefix>_...)."),
           database: str | None = DATABASE_OPTION,
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Revoke a token: it stops working at once, on every running server process."""
    with cli_errors(as_json), open_store(database) as store, store.session(write=True) as session:
        info = accounts.revoke_token(session, prefix, None)
    if as_json:
        print_json(info.to_dict())
    else:
        console.print(f"revoked {info.prefix}", highlight=False)


@user_app.command("create")
def create_user(username: str = typer.Argument(..., help="Login name."),
                role: str = typer.Option(..., "--role", help=ROLE_HELP),
                tenant: str | None = typer.Option(None, "--tenant", help="The tenant (none for operator roles)."),
                database: str | None = DATABASE_OPTION,
                as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create a user; the password is read from the terminal (or UNILINK_PASSWORD), never from the command line."""
    import os

    password = os.environ.get("UNILINK_PASSWORD") or getpass.getpass("password (12+ characters): ")
    with cli_errors(as_json), open_store(database) as store, store.session(write=True) as session:
        row = accounts.create_user(session, username=username, password=password, role=role, tenant=tenant)
        created = {"username": row.username, "role": row.role, "tenant": tenant}
    if as_json:
        print_json(created)
    else:
        console.print(f"created user {username} ({role})", highlight=False)
