"""`unilink invoice …`: monthly invoices (docs/invoices.md), over `usecases.invoicing`.

    unilink invoice issue --tenant acme --month 2026-11 [--dry-run] [--vat 20] [--json]
    unilink invoice list [--tenant acme] [--month 2026-11] [--json]
    unilink invoice show UL-000001 [--json]
    unilink invoice csv UL-000001 [-o file.csv]
    unilink invoice xml UL-000001 [-o file.xml]          the EN 16931 e-invoice (Factur-X CII)
    unilink invoice credit UL-000001 --reason "…" [--amount 12.50]

Exit codes: 0 ok, 2 bad input (a malformed month, one not over, an unknown tenant or number), 4 a
month invoiced already.
"""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer

from unilink.catalog.prices import format_cents
from unilink.cli.common import cli_errors, console, print_json
from unilink.cli.db_cmd import DATABASE_OPTION, open_store
from unilink.errors import ValidationError
from unilink.usecases import invoicing

app = typer.Typer(help="Monthly invoices and credit notes; CSV and the EN 16931 e-invoice.", no_args_is_help=True)
OUTPUT = typer.Option(None, "-o", "--output", help="Write to this file instead of standard output.")


def _show(document: dict[str, Any]) -> None:
    kind = "credit note" if document.get("kind") == "credit_note" else "invoice"
    head = f"{kind} {document['number']}" if "number" in document else "draft (not issued)"
    corrects = f", corrects {document['corrects']}" if document.get("corrects") else ""
    console.print(f"{head} — {document['tenant']}, {document['period']}{corrects}", highlight=False, soft_wrap=True)
    for line in document["lines"]:
        hours = f"{line['quantity']} h" if line["unit"] == "hour" else ""
        console.print(f"  {line['position']:>3}  {line['item'][:78]:<78} {hours:>7} {format_cents(line['cents']):>13}",
                      highlight=False, soft_wrap=True)
    console.print(f"  net {format_cents(document['net_cents'])}, VAT {document['vat_percent']} % "
                  f"{format_cents(document['vat_cents'])}, total {format_cents(document['total_cents'])}",
                  highlight=False, soft_wrap=True)


def _write(text: str | bytes, output: Path | None) -> None:
    data = text.encode() if isinstance(text, str) else text
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)


def _cents(amount: str | None) -> int | None:
    """"12.50" (euros) → 1250; None stays None (credit the whole invoice)."""
    if amount is None:
        return None
    try:
        value = Decimal(amount)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or value <= 0:
        raise ValidationError("not an amount in euros", field="--amount", value=amount,
                              accepted="a positive amount with at most two decimals, e.g. 12.50")
    return int(value * 100)


@app.command("issue")
def issue(tenant: str = typer.Option(..., "--tenant", help="The tenant to invoice."),
          month: str = typer.Option(..., "--month", help="The month, YYYY-MM; it must be over."),
          vat: int = typer.Option(invoicing.DEFAULT_VAT_PERCENT, "--vat", help="VAT rate in percent."),
          dry_run: bool = typer.Option(False, "--dry-run", help="Compute and show; issue nothing."),
          database: str | None = DATABASE_OPTION, as_json: bool = typer.Option(False, "--json")) -> None:
    """Issue (or with --dry-run, compute) a tenant's invoice of a month."""
    with cli_errors(as_json):
        store = open_store(database)
        try:
            document = (invoicing.draft_month(store, tenant, month, vat_percent=vat) if dry_run
                        else invoicing.issue_month(store, tenant, month, actor="cli", vat_percent=vat))
        finally:
            store.close()
        print_json(document) if as_json else _show(document)


@app.command("list")
def list_(tenant: str | None = typer.Option(None, "--tenant"), month: str | None = typer.Option(None, "--month"),
          database: str | None = DATABASE_OPTION, as_json: bool = typer.Option(False, "--json")) -> None:
    """Issued invoices and credit notes, by number."""
    with cli_errors(as_json):
        store = open_store(database)
        try:
            found = invoicing.list_invoices(store, tenant, month)
        finally:
            store.close()
        if as_json:
            print_json(found)
            return
        for d in found:
            kind = "credit" if d["kind"] == "credit_note" else "invoice"
            corrects = f"  corrects {d['corrects']}" if d["corrects"] else ""
            console.print(f"{d['number']}  {kind:<7} {d['tenant']:<20} {d['period']}  "
                          f"{format_cents(d['total_cents']):>13}{corrects}", highlight=False, soft_wrap=True)


@app.command("show")
def show(number: str, database: str | None = DATABASE_OPTION, as_json: bool = typer.Option(False, "--json")) -> None:
    """One invoice or credit note with its lines."""
    with cli_errors(as_json):
        store = open_store(database)
        try:
            document = invoicing.get_invoice(store, number)
        finally:
            store.close()
        print_json(document) if as_json else _show(document)


@app.command("csv")
def csv_(number: str, output: Path | None = OUTPUT, database: str | None = DATABASE_OPTION) -> None:
    """An invoice as CSV (amounts in euros)."""
    with cli_errors():
        store = open_store(database)
        try:
            _write(invoicing.invoice_csv(store, number), output)
        finally:
            store.close()


@app.command("xml")
def xml(number: str, output: Path | None = OUTPUT, database: str | None = DATABASE_OPTION) -> None:
    """The EN 16931 e-invoice of an invoice or credit note (Factur-X / ZUGFeRD CII XML)."""
    with cli_errors():
        store = open_store(database)
        try:
            _write(invoicing.invoice_xml(store, number), output)
        finally:
            store.close()


@app.command("credit")
def credit(number: str, reason: str = typer.Option(..., "--reason", help="What the credit note corrects."),
           amount: str | None = typer.Option(None, "--amount", help="Net euros to credit (default: all of it)."),
           database: str | None = DATABASE_OPTION, as_json: bool = typer.Option(False, "--json")) -> None:
    """A credit note correcting an invoice."""
    with cli_errors(as_json):
        cents = _cents(amount)
        store = open_store(database)
        try:
            note = invoicing.credit_note(store, number, reason=reason, amount_cents=cents, actor="cli")
        finally:
            store.close()
        print_json(note) if as_json else _show(note)
