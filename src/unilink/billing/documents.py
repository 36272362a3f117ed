"""Issued documents: an invoice or a credit note as it is kept (never changed once issued), its
number, its CSV, and the lines of a credit note that corrects an invoice.

Numbers are sequential per issuer with no gap (`store.invoice_repo` takes the next one in the
transaction that writes the document: a refused issue takes none). Invoices and credit notes share
the issuer's sequence, so the numbers of one issuer are one chronological series.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unilink.billing.lines import Line, Totals, check_vat, totals
from unilink.errors import ConflictError, ValidationError

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
KINDS = (INVOICE, CREDIT_NOTE)
ISSUER_RE = re.compile(r"\A[A-Z][A-Z0-9]{1,7}\Z")
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Party:
    """Who issues or receives the invoice, as EN 16931 needs it (name, country; the seller's VAT id)."""

    name: str
    country: str = "FR"
    vat_id: str | None = None
    street: str | None = None
    city: str | None = None
    postcode: str | None = None


@dataclass(frozen=True, slots=True)
class Issuer:
    code: str     # the prefix of its numbers: "UL" → UL-000001
    party: Party
    payment_days: int = 30


# The operator's details as printed on its invoices: placeholders until a setting exists (the use cases
# take `issuer=`; docs/invoices.md). The VAT number is well formed (FR, the key of SIREN 000000000, that
# SIREN) and no real company's.
DEFAULT_ISSUER = Issuer("UL", Party("Unilink Networks SAS", "FR", "FR12000000000", "1 rue de la Fibre",
                                    "Paris", "75002"))


def invoice_number(issuer: str, seq: int) -> str:
    return f"{issuer}-{seq:06d}"


def check_issuer(code: object) -> str:
    if not isinstance(code, str) or not ISSUER_RE.match(code):
        raise ValidationError("not an issuer code", field="issuer", value=code,
                              accepted="2-8 capital letters or digits, starting with a letter, e.g. UL")
    return code


@dataclass(frozen=True, slots=True)
class IssuedInvoice:
    number: str
    kind: str            # KINDS
    issuer: str
    tenant: str
    buyer: Party
    period: str          # "2026-11"
    issued_at: datetime
    currency: str
    lines: tuple[Line, ...]
    totals: Totals
    corrects: str | None = None   # a credit note: the number of the invoice it corrects
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        t = self.totals
        return {"number": self.number, "kind": self.kind, "issuer": self.issuer, "tenant": self.tenant,
                "buyer": self.buyer.name, "period": self.period, "issued_at": self.issued_at.isoformat(),
                "currency": self.currency, "net_cents": t.net_cents, "vat_percent": t.vat_percent,
                "vat_cents": t.vat_cents, "total_cents": t.total_cents, "corrects": self.corrects,
                "reason": self.reason, "lines": [{"position": i, **line.to_dict()}
                                                 for i, line in enumerate(self.lines, start=1)]}


def euros(cents: int) -> str:
    """1234 → "12.34", -5 → "-0.05": the decimal amount an accounting file reads."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def to_csv(invoice: IssuedInvoice) -> str:
    """One row per line, then the net, the VAT and the total (amounts in euros, a dot for decimals)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["number", "position", "kind", "item", "quantity", "unit", "amount_eur"])
    for i, line in enumerate(invoice.lines, start=1):
        writer.writerow([invoice.number, i, line.kind, line.item, line.quantity,
                         "hour" if line.kind in ("service", "temporary") else "each", euros(line.cents)])
    t = invoice.totals
    writer.writerow([invoice.number, "", "net", "", "", "", euros(t.net_cents)])
    writer.writerow([invoice.number, "", "vat", f"VAT {t.vat_percent} %", "", "", euros(t.vat_cents)])
    writer.writerow([invoice.number, "", "total", "", "", "", euros(t.total_cents)])
    return out.getvalue()


def check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise ValidationError("a credit note needs a reason", field="reason", value=reason,
                              accepted=f"1-{MAX_REASON} characters saying what is corrected")
    return reason.strip()


def credit_lines(invoice: IssuedInvoice, credited_cents: int, reason: str, amount_cents: int | None
                 ) -> tuple[tuple[Line, ...], Totals]:
    """The lines and totals of a credit note on `invoice`, of which `credited_cents` (net) were credited
    already: the whole invoice (its lines again) when `amount_cents` is None, else one correction line
    of `amount_cents` net. Never more than what is left to credit."""
    if invoice.kind != INVOICE:
        raise ValidationError("only an invoice can be credited", field="number", value=invoice.number,
                              accepted="the number of an invoice (not of a credit note)")
    left = invoice.totals.net_cents - credited_cents
    if amount_cents is None:
        if invoice.totals.net_cents <= 0:
            raise ConflictError("this invoice has nothing to credit", field="number", value=invoice.number,
                                accepted="an invoice with a net amount above zero")
        if credited_cents:
            raise ConflictError("part of this invoice was credited already: credit what is left as an amount",
                                field="amount_cents", value=None, accepted=f"an amount up to {left} cents")
        lines: Sequence[Line] = invoice.lines
    else:
        if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or not 0 < amount_cents <= left:
            raise ValidationError("not an amount this invoice can be credited", field="amount_cents",
                                  value=amount_cents, accepted=f"whole cents from 1 to {left} (net, before VAT)"
                                  if left > 0 else "nothing: the invoice is fully credited")
        lines = [Line("correction", f"correction {invoice.number}", f"correction of {invoice.number}: {reason}",
                      1, amount_cents)]
    return tuple(lines), totals(lines, check_vat(invoice.totals.vat_percent))
