"""`unilink coop member …`: a cooperative's members and subscriptions from the operator's shell
(docs/members.md).

    unilink coop member plan-add village basic --down 100M --up 50M --price-cents 2500
    unilink coop member line-add village flat-1 --router lyon-pe1 --port m1 --ceiling-down 1G --ceiling-up 1G
    unilink coop member pool-add village public --kind ipv4 --prefix 192.0.2.0/28
    unilink coop member add village --name "Ada L." --email ada@example.org --address "1 rue de l'Eglise"
    unilink coop member subscribe village --member 1 --plan basic --line flat-1
    unilink coop member activate village 1           # plan → apply: the access router shapes the member
    unilink coop member suspend village 1            # held at the trickle rate (unilink coop member trickle)
    unilink coop member resume village 1
    unilink coop member change-plan village 1 plus
    unilink coop member end village 1                # the addresses go back to the pools
    unilink coop member list village [--json]
    unilink coop member backhaul village [--plan]    # members' demand vs the backhaul; the increase as a plan

Like `unilink coop campaign`, it works on the local database with the operator's rights.
"""

from __future__ import annotations

from typing import Any

import typer

from unilink.cli.common import Table, cli_errors, console, print_json
from unilink.cli.db_cmd import DATABASE_OPTION, open_store

app = typer.Typer(help="A cooperative's members: plans, lines, pools, subscriptions and their rates.",
                  no_args_is_help=True)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
COOP = typer.Argument(..., help="The cooperative tenant.")
SUB = typer.Argument(..., help="The subscription's id.")
ACTOR = "cli"


def _m() -> Any:
    from unilink.usecases import memberships

    return memberships


def _out(value: Any, as_json: bool, text: str) -> None:
    if as_json:
        print_json(value)
    else:
        console.print(text, highlight=False)


@app.command("add")
def add(coop: str = COOP, name: str = typer.Option(..., "--name"), email: str = typer.Option(..., "--email"),
        address: str = typer.Option(..., "--address"), database: str | None = DATABASE_OPTION,
        as_json: bool = JSON_OPTION) -> None:
    """Add a member household."""
    with cli_errors(as_json), open_store(database) as store:
        row = _m().add_member(store, coop, name=name, email=email, address=address)
    _out(row, as_json, f"member {row['id']}: {row['name']} <{row['email']}>")


@app.command("plan-add")
def plan_add(coop: str = COOP, name: str = typer.Argument(...), down: str = typer.Option(..., "--down"),
             up: str = typer.Option(..., "--up"), price_cents: int = typer.Option(..., "--price-cents"),
             database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Add one of the coop's plans (rates like 300M; the monthly price in euro cents)."""
    with cli_errors(as_json), open_store(database) as store:
        row = _m().add_plan(store, coop, name=name, down=down, up=up, monthly_cents=price_cents)
    _out(row, as_json, f"plan {row['name']}: {row['down_bps']}/{row['up_bps']} bit/s, {row['monthly_cents']} cents")


@app.command("line-add")
def line_add(coop: str = COOP, name: str = typer.Argument(...), router: str = typer.Option(..., "--router"),
             port: str = typer.Option(..., "--port"), ceiling_down: str = typer.Option(..., "--ceiling-down"),
             ceiling_up: str = typer.Option(..., "--ceiling-up"), database: str | None = DATABASE_OPTION,
             as_json: bool = JSON_OPTION) -> None:
    """Add a line: a member-facing port of the coop's access router, with the line's ceiling."""
    with cli_errors(as_json), open_store(database) as store:
        row = _m().add_line(store, coop, name=name, router=router, port=port, ceiling_down=ceiling_down,
                            ceiling_up=ceiling_up)
    _out(row, as_json, f"line {row['name']}: {row['router']} {row['port']}")


@app.command("pool-add")
def pool_add(coop: str = COOP, name: str = typer.Argument(...), kind: str = typer.Option(..., "--kind"),
             prefix: str = typer.Option(..., "--prefix"), port_block: int | None = typer.Option(None, "--port-block"),
             delegated_length: int | None = typer.Option(None, "--delegated-length"),
             database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Add an address pool: ipv4 (public), cgnat (with --port-block) or ipv6 (with --delegated-length)."""
    with cli_errors(as_json), open_store(database) as store:
        row = _m().add_pool(store, coop, name=name, kind=kind, prefix=prefix, port_block=port_block,
                            delegated_length=delegated_length)
    _out(row, as_json, f"pool {row['name']}: {row['kind']} {row['prefix']}, {row['capacity']} members")


@app.command("trickle")
def trickle(coop: str = COOP, rate: str = typer.Argument(..., help="e.g. 256k"),
            database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """The rate a suspended member is held at (both ways)."""
    with cli_errors(as_json), open_store(database) as store:
        bps = _m().set_trickle(store, coop, rate)
    _out({"trickle_bps": bps}, as_json, f"trickle {bps} bit/s")


@app.command("subscribe")
def subscribe(coop: str = COOP, member: int = typer.Option(..., "--member"), plan: str = typer.Option(..., "--plan"),
              line: str = typer.Option(..., "--line"), database: str | None = DATABASE_OPTION,
              as_json: bool = JSON_OPTION) -> None:
    """A member asks for a plan on a line (requested: nothing on the network yet)."""
    with cli_errors(as_json), open_store(database) as store:
        row = _m().request(store, coop, member=member, plan=plan, line=line)
    _out(row, as_json, f"subscription {row['id']}: {row['state']}")


def _step(name: str, coop: str, subscription: int, database: str | None, as_json: bool, *args: Any) -> None:
    with cli_errors(as_json), open_store(database) as store:
        view = getattr(_m(), name)(store, coop, subscription, *args, actor=ACTOR)
    shaped = view["shaped"]["text"] if view["shaped"] else "not shaped"
    addresses = ", ".join(a["value"] for a in view["addresses"] if a["released_at"] is None) or "none"
    change = view.get("change")
    applied = f"; plan {change['plan_id']} applied on {', '.join(change['routers'])}" if change else ""
    _out(view, as_json, f"subscription {view['id']} {view['state']}: {shaped}, addresses {addresses}{applied}")


@app.command("activate")
def activate(coop: str = COOP, subscription: int = SUB, database: str | None = DATABASE_OPTION,
             as_json: bool = JSON_OPTION) -> None:
    """requested → active: addresses from the pools, shaped at the plan (plan → apply)."""
    _step("activate", coop, subscription, database, as_json)


@app.command("suspend")
def suspend(coop: str = COOP, subscription: int = SUB, database: str | None = DATABASE_OPTION,
            as_json: bool = JSON_OPTION) -> None:
    """active → suspended: held at the trickle rate."""
    _step("suspend", coop, subscription, database, as_json)


@app.command("resume")
def resume(coop: str = COOP, subscription: int = SUB, database: str | None = DATABASE_OPTION,
           as_json: bool = JSON_OPTION) -> None:
    """suspended → active: back at the plan's rates."""
    _step("resume", coop, subscription, database, as_json)


@app.command("end")
def end(coop: str = COOP, subscription: int = SUB, database: str | None = DATABASE_OPTION,
        as_json: bool = JSON_OPTION) -> None:
    """→ ended: shaping and routes removed, addresses released."""
    _step("end", coop, subscription, database, as_json)


@app.command("change-plan")
def change_plan(coop: str = COOP, subscription: int = SUB, plan: str = typer.Argument(...),
                database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Another plan of the coop on the same line (within its ceiling)."""
    _step("change_plan", coop, subscription, database, as_json, plan)


@app.command("list")
def list_subscriptions(coop: str = COOP, database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Every subscription of the coop: member, plan, line, state, rates shaped, addresses."""
    with cli_errors(as_json), open_store(database) as store:
        rows = _m().subscriptions(store, coop)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "member", "plan", "line", "state", "shaped", "addresses")
    for r in rows:
        table.add_row(str(r["id"]), r["member"]["name"], r["plan"]["name"], r["line"]["name"], r["state"],
                      r["shaped"]["text"] if r["shaped"] else "-",
                      ", ".join(a["value"] for a in r["addresses"] if a["released_at"] is None) or "-")
    console.print(table)


@app.command("backhaul")
def backhaul(coop: str = COOP, service: str | None = typer.Option(None, "--service", help="The backhaul service."),
             plan: bool = typer.Option(False, "--plan", help="Plan the offered increase (not applied)."),
             database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """The members' committed and busy-hour demand against the backhaul; with --plan, the increase as a plan."""
    with cli_errors(as_json), open_store(database) as store:
        load = _m().backhaul(store, coop, service=service)
        offer = _m().plan_backhaul(store, coop, actor=ACTOR, service=service) if plan else None
    if as_json:
        print_json({"load": load, "plan": offer})
        return
    if load["status"] == "no-backhaul":
        console.print(f"{coop} has no Internet service to serve as its backhaul", highlight=False)
        return
    console.print(f"backhaul {load['service']} {load['backhaul_bps']} bit/s: {load['members']} active members, "
                  f"committed {load['committed_down_bps']} bit/s, busy hour {load['busy_hour_bps']} bit/s, "
                  f"needed {load['needed_bps']} bit/s = {load['load_percent']} % ({load['status']})", highlight=False)
    if load["offer_bps"]:
        console.print(f"offer: {load['offer_bps']} bit/s", highlight=False)
    if offer:
        console.print(f"plan {offer['plan_id']}: {offer['price']['monthly_delta_cents']} cents a month more; "
                      f"apply it with `unilink apply {offer['plan_id']}`", highlight=False)
