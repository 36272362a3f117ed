"""`unilink intent export`: the tenant's latest intent as YAML, with the version it is — the safe
starting point for an edit.

    unilink intent export --tenant acme-logistics -o acme.yaml
    $EDITOR acme.yaml
    unilink plan -f acme.yaml          # refused (exit 4) if someone changed the intent since the export

The file carries a top-level `base_version: N` key (a key, not a comment, so that it survives tools
that load and dump YAML). `unilink plan` sends it as the plan's base (If-Match remotely): a plan from
an older version is refused, naming the newer one, instead of silently undoing a colleague's change.
A file without the key is planned without that check (last write wins), as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml

from unilink.cli.common import cli_errors, console
from unilink.cli.db_cmd import DATABASE_OPTION, open_store
from unilink.cli.remote import API_OPTION, remote_client
from unilink.errors import ValidationError

app = typer.Typer(help="The tenant's desired-state document.", no_args_is_help=True)

EMPTY: dict[str, Any] = {"sites": [], "services": [], "boosts": [], "schedules": []}


def export_text(tenant: str, document: dict[str, Any] | None, version: int) -> str:
    """The exported file: a comment saying what it is, `base_version`, then the intent (rates as 100M, 1G)."""
    from unilink.services.intent import parse_intent

    body = parse_intent({**(document or EMPTY), "tenant": tenant}).to_yaml()
    header = (f"# intent of tenant {tenant}, version {version}: edit it, then `unilink plan -f FILE`.\n"
              "# base_version is the version this file starts from: a plan from it is refused if the intent\n"
              "# changed since (export again and redo the edit). Remove it to plan without that check.\n")
    return header + yaml.safe_dump({"base_version": version}, sort_keys=False) + body


def _local(database: str | None, tenant: str) -> tuple[dict[str, Any] | None, int]:
    from unilink.store.intents import tenant_intent_head

    with open_store(database).session() as session:
        head = tenant_intent_head(session, tenant)
    return head.document, head.version


@app.command("export")
def export(tenant: str | None = typer.Option(None, "--tenant", "-t",
                                             help="The tenant (remotely, a tenant token's own by default)."),
           output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file (default: stdout)."),
           database: str | None = DATABASE_OPTION, api: str | None = API_OPTION) -> None:
    """The latest intent as YAML with its `base_version`: edit it and plan it."""
    with cli_errors():
        client = remote_client(api)
        if client is not None:
            with client:
                document, version = client.intent_with_version(tenant)
                name = tenant or (document or {}).get("tenant") or client.whoami().get("tenant")
        else:
            if tenant is None:
                raise ValidationError("which tenant?", field="tenant", value=None, accepted="--tenant NAME")
            document, version = _local(database, tenant)
            name = tenant
        if not name:
            raise ValidationError("which tenant?", field="tenant", value=None, accepted="--tenant NAME")
        text = export_text(name, document, version)
        if output is None:
            typer.echo(text, nl=False)
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"cannot write the file: {exc.strerror}", field="output", value=str(output),
                                  accepted="a writable path") from None
    console.print(f"wrote intent version {version} of {name} to {output}", highlight=False)
