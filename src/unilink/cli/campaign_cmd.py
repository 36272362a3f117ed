"""`unilink coop campaign …` and `unilink mail …`: a cooperative's campaigns from the operator's shell.

    unilink coop campaign list
    unilink coop campaign open -f campaign.yaml          # zones, targets, deadline, plans (docs/campaigns.md)
    unilink coop campaign show mahieu-2027               # zones, progress, funds, design, order
    unilink coop campaign ledger mahieu-2027 --json      # pledged vs target, funds vs build cost, refunds
    unilink coop campaign pledges mahieu-2027 > pledges.csv
    unilink coop campaign zone mahieu-2027 Thoiry --homes 540 --source "mairie, 2026 count"
    unilink coop campaign extend mahieu-2027 --until 2027-05-01T00:00:00Z
    unilink coop campaign expire                         # close zones past their deadline (the scheduler does too)
    unilink mail list                                    # the outbox of mail to residents
    unilink mail deliver                                 # send what waits (SMTP when UNILINK_SMTP_HOST is set)

The shell works on the local database with the operator's rights (tenant None): it is the operator's
tool. A coop manager uses the portal or the API, which scope every read to their own tenant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
import yaml

from unilink.cli.common import Table, cli_errors, console, print_json
from unilink.cli.db_cmd import DATABASE_OPTION, open_store
from unilink.errors import ParseError, yaml_reason
from unilink.units import format_bandwidth

app = typer.Typer(help="Demand-aggregation campaigns of cooperatives: zones, pledges, ledger.",
                  no_args_is_help=True)
mail_app = typer.Typer(help="Mail to residents (confirmation links): the outbox, and its delivery.",
                       no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
ACTOR = "cli"


def _campaigns() -> Any:
    from unilink.usecases import campaigns

    return campaigns


def _euros(cents: int | None) -> str:
    return "-" if cents is None else f"€{cents / 100:,.2f}"


def _read_spec(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc.strerror}", path=str(path)) from None
    except yaml.YAMLError as exc:
        raise ParseError(f"not valid YAML: {yaml_reason(exc)}", path=str(path)) from None
    if not isinstance(data, dict):
        raise ParseError("a campaign file is a mapping (name, tenant, deadline, plans, zones)", path=str(path))
    return data


@app.command("list")
def list_campaigns(tenant: str | None = typer.Option(None, "--tenant", "-t", help="Only this cooperative's."),
                   database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Every campaign, with its state and deadline."""
    with cli_errors(as_json), open_store(database) as store:
        rows = _campaigns().list_campaigns(store, tenant=tenant)
    if as_json:
        print_json(rows)
        return
    table = Table("campaign", "tenant", "status", "deadline", "title")
    for row in rows:
        table.add_row(row["name"], row["tenant"], row["status"], str(row["deadline"]), row.get("title", ""))
    console.print(table)


@app.command("open")
def open_campaign(file: Path = typer.Option(..., "--file", "-f", help="The campaign as YAML (docs/campaigns.md)."),
                  database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Open a campaign from a file: its zones (communes or polygons), targets, deadline and plans."""
    with cli_errors(as_json), open_store(database) as store:
        view = _campaigns().open_campaign(store, _read_spec(file), actor=ACTOR)
    _show(view, as_json)


@app.command("show")
def show(name: str = typer.Argument(..., help="The campaign."),
         database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """A campaign's zones: progress, funds, design and order."""
    with cli_errors(as_json), open_store(database) as store:
        view = _campaigns().manager_view(store, name, tenant=None)
    _show(view, as_json)


def _show(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(view)
        return
    console.print(f"[bold]{view['name']}[/] — {view.get('title', '')} ({view['tenant']}), {view['status']}, "
                  f"deadline {view['deadline']}", highlight=False)
    table = Table("zone", "homes passed", "target", "confirmed", "unconfirmed", "funds", "build cost", "status")
    for zone in view["zones"]:
        table.add_row(zone["name"], str(zone["homes_passed"]), str(zone["target_subscribers"]),
                      str(zone["confirmed"]), str(zone["unconfirmed"]), _euros(zone["funds"]["total_cents"]),
                      _euros(zone["build_cost_cents"]), zone["status"])
    console.print(table)
    for zone in view["zones"]:
        _show_design(zone)


def _show_design(zone: dict[str, Any]) -> None:
    design = zone.get("design")
    if not design:
        return
    best = design.get("best")
    chosen = design["candidates"][best] if best is not None else None
    if chosen is None:
        console.print(f"{zone['name']}: no feasible connection — see `unilink coop design`", highlight=False)
        return
    console.print(f"{zone['name']}: {chosen['kind']} at {chosen['attach']}, "
                  f"{format_bandwidth(chosen['backhaul_bps'])}, {_euros(chosen['monthly_cents'])}/month"
                  f"{', plan ' + zone['plan_id'] if zone.get('plan_id') else ''}", highlight=False)


@app.command("ledger")
def ledger(name: str = typer.Argument(..., help="The campaign."),
           database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Pledged subscribers against each target, committed funds against the build cost, refunds owed."""
    with cli_errors(as_json), open_store(database) as store:
        book = _campaigns().ledger(store, name, tenant=None)
    if as_json:
        print_json(book)
        return
    table = Table("zone", "confirmed / target", "funds", "build cost", "covered", "refunds owed", "status")
    for zone in book["zones"]:
        owed = zone["refunds_owed"]
        covered = zone["funds"]["total_cents"] / zone["build_cost_cents"] if zone["build_cost_cents"] else 0.0
        table.add_row(zone["zone"], f"{zone['confirmed']} / {zone['target_subscribers']}",
                      _euros(zone["funds"]["total_cents"]), _euros(zone["build_cost_cents"]), f"{covered:.1%}",
                      _euros(owed["to_residents_cents"] + owed["to_funders_cents"]), zone["status"])
    console.print(table)
    console.print(f"refund rule: {book['refund_rule']}", highlight=False)


@app.command("pledges")
def pledges(name: str = typer.Argument(..., help="The campaign."),
            database: str | None = DATABASE_OPTION) -> None:
    """Every pledge as CSV on stdout (names and addresses: the coop's own data, keep it so)."""
    with cli_errors(), open_store(database) as store:
        text = _campaigns().pledges_csv(store, name, tenant=None)
    sys.stdout.write(text)


@app.command("zone")
def edit_zone(name: str = typer.Argument(..., help="The campaign."),
              zone: str = typer.Argument(..., help="The zone."),
              homes: int | None = typer.Option(None, "--homes", help="Homes passed (a corrected count)."),
              source: str | None = typer.Option(None, "--source", help="Where the count comes from."),
              target: int | None = typer.Option(None, "--target", help="Target number of subscribers."),
              target_share: float | None = typer.Option(None, "--target-share",
                                                        help="Target as a share of homes passed (0-1]."),
              build_cost_cents: int | None = typer.Option(None, "--build-cost-cents", help="Build cost (cents)."),
              database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Correct a zone: homes passed and their source, target, build cost."""
    changes: dict[str, Any] = {}
    if homes is not None:
        changes["homes_passed"] = homes
    if source is not None:
        changes["homes_source"] = source
    if target is not None:
        changes["target"] = {"subscribers": target}
    if target_share is not None:
        changes["target"] = {"share": target_share}
    if build_cost_cents is not None:
        changes["build_cost_cents"] = build_cost_cents
    with cli_errors(as_json), open_store(database) as store:
        view = _campaigns().edit_zone(store, name, zone, changes, tenant=None, actor=ACTOR)
    _show(view, as_json)


@app.command("extend")
def extend(name: str = typer.Argument(..., help="The campaign."),
           until: str = typer.Option(..., "--until", help="The new deadline (ISO 8601, e.g. 2027-05-01T00:00:00Z)."),
           zone: str | None = typer.Option(None, "--zone", help="Only this zone (default: the whole campaign)."),
           database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Push the deadline back (at most the campaign's number of extensions)."""
    with cli_errors(as_json), open_store(database) as store:
        view = _campaigns().extend(store, name, until=until, zone=zone, tenant=None, actor=ACTOR)
    _show(view, as_json)


@app.command("expire")
def expire(database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Close every zone past its deadline without reaching its target, and record the refunds owed."""
    with cli_errors(as_json), open_store(database) as store:
        expired = _campaigns().expire_due(store)
    if as_json:
        print_json(expired)
        return
    console.print(f"{len(expired)} zone(s) expired", highlight=False)


@mail_app.command("list")
def list_mail(limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="At most this many, newest first."),
              database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """The mail outbox: what was sent to residents, and what waits."""
    with cli_errors(as_json), open_store(database) as store:
        rows = _campaigns().mail_outbox(store, limit=limit)
    if as_json:
        print_json(rows)
        return
    table = Table("created", "to", "subject", "sent", "attempts", "last error")
    for row in rows:
        table.add_row(str(row["created_at"]), row["to"], row["subject"], str(row.get("sent_at") or "waiting"),
                      str(row.get("attempts", 0)), row.get("last_error") or "")
    console.print(table)


@mail_app.command("deliver")
def deliver(database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Send the mail that waits (over SMTP when UNILINK_SMTP_HOST is set; otherwise it stays listed)."""
    with cli_errors(as_json), open_store(database) as store:
        sent = _campaigns().deliver_mail(store)
    if as_json:
        print_json({"sent": sent})
        return
    console.print(f"{sent} message(s) sent", highlight=False)
