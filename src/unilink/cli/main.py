"""The `unilink` command. Each domain adds its own sub-commands here."""

from __future__ import annotations

import typer

from unilink.cli import (
    campaign_cmd,
    capacity_cmd,
    change_cmd,
    coop_cmd,
    db_cmd,
    intent_cmd,
    invoice_cmd,
    lab_cmd,
    member_cmd,
    network_cmd,
    path_cmd,
    token_cmd,
    usage_cmd,
)

app = typer.Typer(
    name="unilink",
    help="unilink — unified connectivity on a pan-European backbone.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Sub-command registration: one block per domain.
app.add_typer(db_cmd.db_app, name="db")
app.command("seed")(db_cmd.seed)
app.command("serve")(db_cmd.serve)
app.command("recover")(db_cmd.recover)
app.add_typer(network_cmd.app, name="network")
app.add_typer(lab_cmd.app, name="lab")
app.add_typer(capacity_cmd.app, name="capacity")
app.command("path")(path_cmd.path)
app.add_typer(path_cmd.whatif_app, name="whatif")
app.add_typer(token_cmd.app, name="token")
app.add_typer(token_cmd.user_app, name="user")
app.add_typer(intent_cmd.app, name="intent")
app.command("plan")(change_cmd.plan)
app.command("apply")(change_cmd.apply)
app.command("status")(change_cmd.status)
app.add_typer(change_cmd.orders_app, name="orders")
app.command("history")(change_cmd.history)
app.command("revert")(change_cmd.revert)
app.add_typer(change_cmd.scheduler_app, name="scheduler")
app.add_typer(usage_cmd.app, name="usage")
app.add_typer(invoice_cmd.app, name="invoice")
coop_cmd.app.add_typer(campaign_cmd.app, name="campaign")
coop_cmd.app.add_typer(member_cmd.app, name="member")
app.add_typer(coop_cmd.app, name="coop")
app.add_typer(campaign_cmd.mail_app, name="mail")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
