"""`unilink plan / apply / status / orders / history / revert / scheduler`: changing a tenant's services.

    unilink plan -f examples/acme-rate-down.yaml --tenant acme-logistics [--devices] [--json]
    unilink apply PLAN_ID --reason "activity dropped"
    unilink revert 3 --tenant acme-logistics          # a plan back to intent version 3; then apply it

Exit codes (unilink.errors): 0 ok, 2 bad input, 3 infeasible, 4 conflict (stale plan).

Remote mode: with `--api URL` (or UNILINK_API, or `api = ...` in the config file; token from
UNILINK_TOKEN or the config file, see `unilink.cli.remote`) plan, apply, status, orders (and every
orders sub-command), history and revert go to a unilink server instead of the local database, and
print the same output with the same exit codes. A plan prints (with --json) the API's plan document in
both modes: `plan_view`. Locally, the commands that change something call the same application
services as the API (`unilink.usecases`), so they record the same history and events (delivered from
the outbox to the events table, which running servers stream and deliver to webhooks).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from unilink.catalog.prices import format_cents
from unilink.cli.common import Table, cli_errors, console, print_json
from unilink.cli.db_cmd import DATABASE_OPTION, open_store
from unilink.cli.remote import API_OPTION, RemoteClient, remote_client
from unilink.engine.plan_views import plan_view
from unilink.errors import NotFoundError, ValidationError, yaml_reason
from unilink.services.intent_diff import show_value
from unilink.services.order_states import OrderState
from unilink.units import format_bandwidth

T = TypeVar("T")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
TENANT_OPTION = typer.Option(None, "--tenant", "-t", help="Tenant name (default: the document's `tenant`).")


def _either(api: str | None, remote: Callable[[RemoteClient], T], local: Callable[[], T]) -> T:
    """`remote(client)` against the server given by --api (or the configuration), else `local()`."""
    client = remote_client(api)
    if client is None:
        return local()
    with client:
        return remote(client)


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still record something
        return "cli"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read the file: {exc.strerror}", field="file", value=str(path),
                              accepted="a readable YAML or JSON intent file") from None


def plan(file: Path = typer.Option(..., "--file", "-f", help="The desired-state document (YAML or JSON)."),
         tenant: str | None = TENANT_OPTION,
         devices: bool = typer.Option(False, "--devices", help="Show each router's config diff."),
         installed: bool = typer.Option(False, "--installed",
                                        help="Operators: take every access as installed (no field-work orders)."),
         database: str | None = DATABASE_OPTION, api: str | None = API_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Show what it takes to bring a tenant to the document: diff, capacity, price, devices. Changes nothing."""
    from unilink.services.intent import parse_intent

    with cli_errors(as_json, working="planning: checking, admission, price, router diffs"):
        text = _read(file)
        document, base_version = _document_and_base(text, str(file))
        intent = parse_intent(document, source=str(file))  # checked here in both modes: the same messages
        name = tenant or intent.tenant
        client = remote_client(api)
        if client is not None:
            with client:  # the server knows a tenant token's tenant; operators name it
                # the server's answer is already the view its caller's role may read (engine.plan_views)
                view = client.plan(name, document, devices=True, installed=installed, base_version=base_version)
        else:
            from unilink.usecases.change_plans import plan_change

            if name is None:
                raise ValidationError("which tenant?", field="tenant",
                                      accepted="--tenant NAME, or `tenant:` in the file")
            content = plan_change(open_store(database), name, intent, actor=_actor(),
                                  accesses_installed=installed, base_version=base_version).content
            view = plan_view(content, diffs=True)  # local: the operator, with the database itself
    if as_json:
        print_json(view)
        return
    show_plan(view, devices=devices)


def _document_and_base(text: str, source: str) -> tuple[Any, int | None]:
    """The intent document of a file, and the `base_version` it was exported with (None if it has none:
    planned without a check, as before `unilink intent export` wrote it)."""
    import yaml

    from unilink.engine.versions import pop_base_version

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source}: is not valid YAML/JSON: {yaml_reason(exc)}", field="document",
                              accepted="a YAML or JSON document") from None
    if isinstance(document, dict):
        return pop_base_version(document)
    return document, None


def _show_pending(pending: dict[str, Any] | None) -> None:
    """What lands when the field work is done, one line per site or service."""
    for group in ("sites", "services", "temporaries"):
        for item in (pending or {}).get(group, []):
            if item["action"] != "noChange":
                console.print(f"[cyan]after the field work[/]: {item['action']} {item['kind']} {item['name']}",
                              highlight=False)


def show_plan(content: dict[str, Any], *, devices: bool = False) -> None:
    console.print(f"[bold]plan {content['id']}[/] for tenant [bold]{content['tenant']}[/]", highlight=False)
    if content["empty"]:
        console.print("nothing to change: the deployed state already matches.")
        return
    table = Table("", "kind", "name", "change", show_edge=False)
    marks = {"add": "[green]+[/]", "delete": "[red]-[/]", "modify": "[yellow]~[/]"}
    for group in ("sites", "services", "temporaries"):
        for item in content["changes"][group]:
            if item["action"] == "noChange":
                continue
            fields = [f"{f}: {show_value(c['before'])} → {show_value(c['after'])}" for f, c in item["changes"].items()]
            table.add_row(marks[item["action"]], item["kind"], item["name"],
                          "\n".join(fields) if item["action"] == "modify" else "")
    console.print(table)
    _show_removals(content)
    _show_pending(content.get("pending"))
    for order in content["new_orders"]:
        console.print(f"[cyan]order[/] {order['kind']}: {order['description']} "
                      f"(lead time {order['lead_time_days']} days)", highlight=False)
    show_price(content["price"])
    # operators get each router's diff; tenants what changes on their own attachments (engine.plan_views)
    touched = [r for r, d in content["devices"].items() if d.get("diff") or d.get("changes")]
    console.print(f"routers changed: {', '.join(touched) or 'none'}; reservations: "
                  f"{len(content['bookings'])} booked, {len(content['release'])} released", highlight=False)
    if devices:
        for router in touched:
            device = content["devices"][router]
            if "changes" in device:
                for change in device["changes"]:
                    console.print(f"{router}: {change['text']}", highlight=False, markup=False)
            else:
                console.print(device.get("diff", ""), highlight=False, markup=False)
    confirm = " --confirm-removals" if content.get("removals") else ""
    console.print(f"apply with: unilink apply {content['id']}{confirm}", highlight=False)


def _show_removals(content: dict[str, Any]) -> None:
    """Live things the plan takes away, in red, with what they carry: applied only when confirmed."""
    removals = content.get("removals") or []
    for removal in removals:
        console.print(f"[bold red]REMOVES live {removal['kind']} {removal['name']}[/]: {removal['carries']}",
                      highlight=False)
    for hint in content.get("rename_hints") or []:
        console.print(f"[bold yellow]{hint}[/]", highlight=False)
    for order in content.get("cancel_orders") or []:
        console.print(f"[cyan]cancels order[/] {order['id']} ({order['site']}): {order['reason']}", highlight=False)
    if removals:
        console.print("[bold red]applying this plan needs --confirm-removals[/]", highlight=False)


def _cents(value: int | None) -> str:
    return "—" if value is None else format_cents(value)


def show_price(price: dict[str, Any]) -> None:
    """Monthly now → after this change → after the pending field work, per item; one-off charges apart."""
    pending = price.get("monthly_pending_cents", price["monthly_after_cents"])
    later = (f"; after the field work {format_cents(pending)}" if pending != price["monthly_after_cents"] else "")
    console.print(f"price per month: now {format_cents(price['monthly_before_cents'])}, after this change "
                  f"{format_cents(price['monthly_after_cents'])} ({format_cents(price['monthly_delta_cents'])})"
                  f"{later}" + (f"; one-off {format_cents(price['one_off_cents'])}" if price["one_off_cents"] else "")
                  + (f"; temporary {format_cents(price['temporary_cents'])}" if price["temporary_cents"] else ""),
                  highlight=False)
    if price.get("lines"):
        table = Table("item", "now", "after this change", "after the field work", show_edge=False)
        for line in price["lines"]:
            table.add_row(line["item"], _cents(line.get("now_cents")), _cents(line.get("after_cents")),
                          _cents(line.get("pending_cents")))
        console.print(table)
    for line in price.get("one_off", []):
        console.print(f"one-off {format_cents(line['cents'])}: {line['item']}", highlight=False)



def apply(plan_id: str = typer.Argument(..., help="The id printed by `unilink plan`."),
          reason: str = typer.Option("", "--reason", "-r", help="Why (kept in the history)."),
          confirm_removals: bool = typer.Option(
              False, "--confirm-removals",
              help="Yes, remove: needed when the plan removes a live site, service or VPN member."),
          database: str | None = DATABASE_OPTION, api: str | None = API_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Apply exactly that plan; refused (exit 4) when the state changed since it was made, (exit 2) when it
    removes something live and --confirm-removals is not given."""
    with cli_errors(as_json, working="applying: booking capacity, pushing to the routers"):
        result = _either(api, lambda client: client.apply(plan_id, reason, confirm_removals=confirm_removals),
                         lambda: _apply_locally(open_store(database), plan_id, reason, confirm_removals))
    if as_json:
        print_json(result)
        return
    console.print(f"applied {result['plan_id']}: tenant {result['tenant']} at revision {result['revision']}"
                  f" (intent version {result['intent_version']}); routers: {', '.join(result['routers']) or 'none'}"
                  + (f"; orders: {', '.join(result['orders'])}" if result["orders"] else "")
                  + (f"; cancelled orders: {', '.join(result['cancelled_orders'])}"
                     if result.get("cancelled_orders") else ""), highlight=False)


def _apply_locally(store: Any, plan_id: str, reason: str, confirm_removals: bool = False) -> dict[str, Any]:
    """The apply use case, as the API runs it: the same history and events."""
    from unilink.usecases.plan_applying import apply_plan

    return apply_plan(store, plan_id, actor=_actor(), reason=reason, confirm_removals=confirm_removals).to_dict()


def status(tenant: str | None = typer.Option(None, "--tenant", "-t", help="One tenant (default: all)."),
           database: str | None = DATABASE_OPTION, api: str | None = API_OPTION, as_json: bool = JSON_OPTION) -> None:
    """What is deployed: per tenant, or one tenant's sites and services with their rates."""
    with cli_errors(as_json):
        client = remote_client(api)
        if client is not None:
            with client:
                states = _remote_states(client, tenant)
        else:
            from unilink.engine.core import status as get_status
            from unilink.store.tenancy import list_tenants

            store = open_store(database)
            if tenant is None:
                with store.session() as session:
                    names = [t.name for t in list_tenants(session)]
            else:
                names = [tenant]
            states = [get_status(store, name) for name in names]
    if as_json:
        print_json(states if tenant is None else states[0])
        return
    for state in states:
        deployed = state["deployed"] or {"sites": [], "services": []}
        console.print(f"[bold]{state['tenant']}[/] revision {state['revision']}, intent version "
                      f"{state['intent_version']}, {state['reservations']} reservations"
                      + (f", open orders: {', '.join(state['open_orders'])}" if state["open_orders"] else ""),
                      highlight=False)
        if tenant is None:
            continue
        table = Table("site", "PoP", "access", "down/up", show_edge=False)
        for site in deployed["sites"]:
            a = site["access"]
            table.add_row(site["name"], site["pop"], f"{a['technology']} {format_bandwidth(a['port'])}",
                          f"{format_bandwidth(a['down'])}/{format_bandwidth(a['up'])}")
        console.print(table)
        services = Table("service", "kind", "sites and rates", show_edge=False)
        for svc in deployed["services"]:
            if svc["kind"] == "ipvpn":
                where = ", ".join(f"{m['site']} {format_bandwidth(m['rate'])}" for m in svc["members"])
            elif svc["kind"] == "eline":
                where = f"{svc['a']} ↔ {svc['b']} {format_bandwidth(svc['rate'])}"
            else:
                where = f"{svc['site']} {format_bandwidth(svc['rate'])}"
            services.add_row(svc["name"], svc["kind"], where)
        console.print(services)


def _remote_states(client: RemoteClient, tenant: str | None) -> list[dict[str, Any]]:
    """Every tenant the token sees (all of them for operators), as the local command lists them."""
    if tenant is not None:
        return [client.status(tenant)]
    # in the server's order, which is the local command's (store.tenancy.list_tenants); no helper in RemoteClient
    names = [t["name"] for t in client._call("GET", "/api/v1/tenants")]
    return [client.status(name) for name in names]


orders_app = typer.Typer(help="Field-work orders (TMF641 states).", invoke_without_command=True)
# `unilink orders <verb> ID`: the state each verb moves the order to
STATE_OF_VERB = {"start": OrderState.IN_PROGRESS, "hold": OrderState.HELD, "pend": OrderState.PENDING,
                 "cancel": OrderState.CANCELLED, "fail": OrderState.FAILED, "complete": OrderState.COMPLETED}


@orders_app.callback()
def orders(ctx: typer.Context, tenant: str | None = typer.Option(None, "--tenant", "-t"),
           open_only: bool = typer.Option(False, "--open", help="Only orders not closed yet."),
           database: str | None = DATABASE_OPTION, api: str | None = API_OPTION, as_json: bool = JSON_OPTION) -> None:
    """List orders; sub-commands show one or move it along (start, hold, pend, cancel, fail, complete)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"database": database, "api": api}  # `unilink orders --api URL cancel ID` counts too
        return
    with cli_errors(as_json):
        from unilink.engine.orders import list_orders

        rows = _either(api, lambda client: client.orders(tenant, open_only=open_only),
                       lambda: list_orders(open_store(database), tenant, open_only=open_only))
    if as_json:
        print_json(rows)
        return
    table = Table("id", "tenant", "state", "kind", "site", "due", show_edge=False)
    for row in rows:
        table.add_row(row["id"], row["tenant"], row["state"], row["kind"], row["site"], row["due_at"][:10])
    console.print(table)


def _group_option(ctx: typer.Context, name: str, value: str | None) -> str | None:
    """An option given to the sub-command, else to `unilink orders` itself."""
    return value if value is not None else (ctx.obj or {}).get(name)


@orders_app.command("show")
def show_order(ctx: typer.Context, order_id: str = typer.Argument(..., help="The id listed by `unilink orders`."),
               database: str | None = DATABASE_OPTION, api: str | None = API_OPTION,
               as_json: bool = JSON_OPTION) -> None:
    """One order: its state, site, work, dates and the plan that raised it."""
    with cli_errors(as_json):
        client = remote_client(_group_option(ctx, "api", api))
        if client is not None:
            with client:
                order = client.order(order_id)
        else:
            order = _local_order(open_store(_group_option(ctx, "database", database)), order_id)
    if as_json:
        print_json(order)
        return
    for key in ("id", "tenant", "state", "kind", "site", "description", "lead_time_days", "requested_at", "due_at",
                "updated_at", "plan_id"):
        console.print(f"{key:<15} {order[key]}", highlight=False)


def _local_order(store: Any, order_id: str) -> dict[str, Any]:
    from unilink.engine.orders import list_orders

    found = [row for row in list_orders(store) if row["id"] == order_id]
    if not found:
        raise NotFoundError("no such order", field="order_id", value=order_id,
                            accepted="an id from `unilink orders`")
    return found[0]


def _move_order(client: RemoteClient | None, database: str | None, order_id: str, state: str) -> dict[str, Any]:
    """Move an order, through the server or on the local database; the same answer either way."""
    if client is not None:
        with client:
            moved = client.set_order_state(order_id, state)
        if state == "completed":
            return {"order": order_id, "state": moved["state"], "applied": moved.get("applied")}
        return moved
    from unilink.usecases.order_moves import move_order

    moved, result = move_order(open_store(database), order_id, state, actor=_actor())
    if state != "completed":
        return moved
    return {"order": order_id, "state": "completed", "applied": result.to_dict() if result else None}


def _order_command(state: str) -> Any:
    def command(ctx: typer.Context, order_id: str = typer.Argument(..., help="The id listed by `unilink orders`."),
                database: str | None = DATABASE_OPTION, api: str | None = API_OPTION,
                as_json: bool = JSON_OPTION) -> None:
        with cli_errors(as_json, working="moving the order (a completed one applies its logical part)"):
            client = remote_client(_group_option(ctx, "api", api))
            out = _move_order(client, _group_option(ctx, "database", database), order_id, state)
        if as_json:
            print_json(out)
        else:
            console.print(f"order {order_id}: {state}", highlight=False)
    command.__doc__ = f"Move an order to {state}" + (" (operator-admin when remote)." if state != "cancelled"
                                                      else " (any writer role of its tenant when remote).")
    return command


for _name, _state in STATE_OF_VERB.items():
    orders_app.command(_name)(_order_command(_state))


def history(tenant: str | None = typer.Option(None, "--tenant", "-t"),
            limit: int = typer.Option(50, "--limit", min=1, max=10_000),
            database: str | None = DATABASE_OPTION, api: str | None = API_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Who changed what, when, and why (newest first)."""
    with cli_errors(as_json):
        from unilink.engine.core import history as get_history

        rows = _either(api, lambda client: client.history(tenant, limit),
                       lambda: get_history(open_store(database), tenant, limit))
    if as_json:
        print_json(rows)
        return
    table = Table("when", "tenant", "actor", "action", "version", "what", "why", show_edge=False)
    for row in rows:
        what = "; ".join(row["summary"].get("changes", [])) or str(row["summary"].get("state", ""))
        table.add_row(row["at"][:19], row["tenant"], row["actor"], row["action"], str(row["intent_version"] or ""),
                      what, row["reason"])
    console.print(table)


def revert(version: int = typer.Argument(..., help="The intent version to go back to."),
           tenant: str | None = typer.Option(None, "--tenant", "-t",
                                             help="The tenant (remotely, a tenant token's own by default)."),
           database: str | None = DATABASE_OPTION, api: str | None = API_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Plan a return to an earlier intent version (then `unilink apply` it)."""
    with cli_errors(as_json, working="planning the return to that version"):
        client = remote_client(api)
        if client is not None:
            with client:
                made = client.revert(tenant, version)
                # the revert answers the plan's summary; its device diffs come with the full plan document
                view = client._call("GET", f"/api/v1/plans/{made['id']}", params={"devices": "full"})
        else:
            from unilink.usecases.change_plans import revert_to

            if tenant is None:
                raise ValidationError("which tenant?", field="tenant", value=None, accepted="--tenant NAME")
            content = revert_to(open_store(database), tenant, version, actor=_actor()).content
            view = plan_view(content, diffs=True)
    if as_json:
        print_json(view)
        return
    show_plan(view)


scheduler_app = typer.Typer(help="Time-driven changes: boosts ending, scheduled windows.", no_args_is_help=True)


@scheduler_app.command("run-once")
def run_once(database: str | None = DATABASE_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Fire every boost return and schedule due now."""
    from unilink.usecases.scheduled_changes import run_due

    with cli_errors(as_json, working="firing what is due"):
        fired = run_due(open_store(database))
    if as_json:
        print_json([f.to_dict() for f in fired])
        return
    for f in fired:
        outcome = f"applied {f.plan_id}" if f.error is None else f"failed: {f.error}"
        console.print(f"{f.tenant}: {f.reason}: {outcome}", highlight=False)
    if not fired:
        console.print("nothing due")
