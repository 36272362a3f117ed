"""Invoices: a tenant's month issued from the change history, the orders and the measured traffic;
credit notes; the reads the API, the CLI and the portal draw (docs/invoices.md).

What was in place when is the applied plans' deployed documents (each apply records one, with its
time): the one in force when the month began, then each one applied in the month. Each is priced with
the engine's price of an intent (`engine.pricing.quote_intent`, the figures a plan quotes), its boosts
and windows with the monthly difference of their rate; `billing.lines` turns these into lines by
the hour. Installations are billed in the month their order completed; a burstable Internet service
pays its 95th percentile above its commit, from the 5-minute samples of its site's access port.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from unilink.billing import cii
from unilink.billing.documents import (
    CREDIT_NOTE,
    DEFAULT_ISSUER,
    INVOICE,
    IssuedInvoice,
    Issuer,
    Party,
    check_reason,
    credit_lines,
    invoice_number,
    to_csv,
)
from unilink.billing.lines import (
    DEFAULT_VAT_PERCENT,
    BurstUse,
    Charge,
    Draft,
    Line,
    OneOff,
    PricedState,
    Temporary,
    Totals,
    boost,
    check_vat,
    draft,
    schedule,
)
from unilink.billing.month import Month, closed_month, parse_month
from unilink.catalog.prices import DEFAULT_PRICE_BOOK, PriceBook
from unilink.catalog.services import ServiceKind
from unilink.engine.admission import SCHEDULE_HORIZON, temporary_windows
from unilink.engine.pricing import install_cents, quote_intent, temporary_delta_cents, temporary_site
from unilink.errors import ConflictError
from unilink.events import change_events
from unilink.events.outbox_delivery import deliver_pending
from unilink.services.intent import Boost, Intent, InternetService, Schedule, parse_intent
from unilink.store import invoice_repo
from unilink.store.db import Store

Window = tuple[datetime, datetime]
Burstable = dict[tuple[str, str], list[tuple[int, Window]]]  # (service, site) → [(commit bit/s, window)]


# -- computing a month ------------------------------------------------------------------------------

def draft_months(store: Store, month: Month, tenants: Iterable[str] | None = None, *,
                 book: PriceBook = DEFAULT_PRICE_BOOK, vat_percent: int = DEFAULT_VAT_PERCENT) -> dict[str, Draft]:
    """Each tenant's month (all tenants when `tenants` is None), computed and not issued: a handful of
    statements for any number of tenants (the history, the orders; the samples only of the tenants
    with a burstable service)."""
    pops = {p.name: p for p in store.load_network().pops}
    with store.session() as session:
        ids = invoice_repo.tenant_ids(session, tenants)
        by_id = {tid: name for name, (tid, _) in ids.items()}
        history = invoice_repo.applied_documents(session, list(by_id), month.start, month.end)
        orders = invoice_repo.completed_orders(session, list(by_id), month.start, month.end)
        one_offs: dict[int, list[OneOff]] = {}
        for o in orders:
            one_offs.setdefault(o.tenant_id, []).append(
                OneOff(f"installation {o.order_id}", f"installation: {o.description} (order {o.order_id})",
                       install_cents(o.item, book)))
        drafts = {}
        for tid, name in by_id.items():
            states, temporaries, burstable = _priced(month, history.get(tid, []), pops, book)
            bursts = _bursts(session, name, month, burstable, book) if burstable else []
            drafts[name] = draft(month, states, temporaries, one_offs.get(tid, ()), bursts, vat_percent)
    return drafts


def _priced(month: Month, history: Sequence[invoice_repo.AppliedDocument], pops: Mapping[str, Any],
            book: PriceBook) -> tuple[list[PricedState], list[Temporary], Burstable]:
    """The priced states, the boosts' and windows' time in force, and the burstable services'
    ((service, site) → [(commit, window)]) of a tenant's history over the month."""
    states, temporaries = [], []
    burstable: Burstable = {}
    for i, applied in enumerate(history):
        until = history[i + 1].applied_at if i + 1 < len(history) else month.end
        since = max(applied.applied_at, month.start)
        intent = parse_intent(applied.document, source="deployed intent")
        quote = quote_intent(intent, pops, book)
        states.append(PricedState(applied.applied_at, tuple(Charge(line.key or line.item, line.item,
                                                                   line.monthly_cents) for line in quote.lines)))
        if until <= since:
            continue
        temporaries.extend(_temporaries(intent, since, until, pops, book))
        for svc in intent.services:
            if isinstance(svc, InternetService) and svc.billing == "burstable":
                burstable.setdefault((svc.name, svc.site), []).append((svc.rate, (since, until)))
    return states, temporaries, burstable


def _temporaries(intent: Intent, since: datetime, until: datetime, pops: Mapping[str, Any],
                 book: PriceBook) -> list[Temporary]:
    out = []
    items: list[Boost | Schedule] = [*intent.boosts, *intent.schedules]
    for item in items:
        windows = _windows(item, since, until)
        if not windows:
            continue
        site, delta = temporary_site(intent, item), temporary_delta_cents(intent, item, pops, book)
        out.append(boost(item.service, site, item.rate, delta, windows) if isinstance(item, Boost)
                   else schedule(item.name, item.service, site, item.rate, delta, windows))
    return out


def _windows(item: Boost | Schedule, since: datetime, until: datetime) -> list[Window]:
    """The windows in which `item` was in force within [since, until): the engine's own windows, asked
    a horizon at a time (recurring ones are computed SCHEDULE_HORIZON ahead)."""
    found: list[Window] = []
    at = since
    while at < until:
        step = min(until, at + SCHEDULE_HORIZON)
        for start, end in temporary_windows(item, at):
            start, end = max(start, at), min(end or step, step)
            if start < end:
                found.append((start, end))
        at = step
    return found


def _bursts(session: Any, tenant: str, month: Month, burstable: Burstable, book: PriceBook) -> list[BurstUse]:
    """A burstable service's samples while it was sold as burstable; its commit, the highest it had
    in the month (the customer is never billed as burst what a commit of the month covered)."""
    price = book.burst_cents_per_mbps[ServiceKind.INTERNET]
    uses = []
    for (service, site), spans in sorted(burstable.items()):
        rates_in, rates_out = invoice_repo.site_rates(session, tenant, site, _merged([w for _, w in spans]))
        uses.append(BurstUse(f"burst {service}", f"burst of internet {service} at {site}",
                             max(rate for rate, _ in spans), price, tuple(rates_in), tuple(rates_out)))
    return uses


def _merged(windows: list[Window]) -> list[Window]:
    """Windows that touch joined: a service burstable all month is one window, whatever its changes."""
    out: list[Window] = []
    for start, end in sorted(windows):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


# -- issuing --------------------------------------------------------------------------------------

def draft_month(store: Store, tenant: str, month: str, *, now: datetime | None = None,
                vat_percent: int = DEFAULT_VAT_PERCENT) -> dict[str, Any]:
    """What `issue_month` would issue, without issuing it (no number, nothing written)."""
    closed = closed_month(month, now or store.clock.now())
    found = draft_months(store, closed, [tenant], vat_percent=check_vat(vat_percent))[tenant]
    return {"tenant": tenant, "period": closed.label, **_totals_dict(found.totals),
            "lines": [{"position": i, **line.to_dict()} for i, line in enumerate(found.lines, start=1)]}


def issue_month(store: Store, tenant: str, month: str, *, now: datetime | None = None, actor: str = "unknown",
                vat_percent: int = DEFAULT_VAT_PERCENT, issuer: Issuer = DEFAULT_ISSUER) -> dict[str, Any]:
    """Issue `tenant`'s invoice of `month` ("2026-11"): a month that is over, once. Refused with
    nothing written (no number taken) for a malformed or unfinished month, an unknown tenant, a month
    invoiced already."""
    now = now or store.clock.now()
    closed = closed_month(month, now)
    check_vat(vat_percent)
    with store.session() as session:
        tenant_id, display = invoice_repo.tenant_ids(session, [tenant])[tenant]
        _not_invoiced(session, tenant_id, closed.label)
    found = draft_months(store, closed, [tenant], vat_percent=vat_percent)[tenant]
    buyer = Party(display)
    with store.session(write=True) as session:
        _not_invoiced(session, tenant_id, closed.label)  # again, under the write lock
        number = _insert(session, issuer, INVOICE, tenant_id, closed.label, now, found.lines, found.totals,
                         buyer, actor=actor)
        # in the issue's transaction: no event for a refused issue, none lost for one that committed
        change_events.record(session, "invoice.issued", tenant=tenant, at=now, data={
            "number": number, "period": closed.label, "total_cents": found.totals.total_cents,
            "currency": DEFAULT_PRICE_BOOK.currency})
    deliver_pending(store)
    return get_invoice(store, number)


def _not_invoiced(session: Any, tenant_id: int, period: str) -> None:
    number = invoice_repo.invoiced(session, tenant_id, period)
    if number is not None:
        raise ConflictError(f"this month is invoiced already ({number}): correct it with a credit note",
                            field="month", value=period, accepted="a month not yet invoiced")


def _insert(session: Any, issuer: Issuer, kind: str, tenant_id: int, period: str, now: datetime,
            lines: Sequence[Line], totals: Totals, buyer: Party, *, actor: str, corrects_id: int | None = None,
            reason: str = "") -> str:
    seq = invoice_repo.next_seq(session, issuer.code)
    number = invoice_number(issuer.code, seq)
    header = {"issuer": issuer.code, "seq": seq, "number": number, "kind": kind, "tenant_id": tenant_id,
              "period": period, "issued_at": now, "currency": DEFAULT_PRICE_BOOK.currency,
              "net_cents": totals.net_cents, "vat_percent": totals.vat_percent, "vat_cents": totals.vat_cents,
              "total_cents": totals.total_cents, "buyer": _party_dict(buyer), "corrects_id": corrects_id,
              "reason": reason, "actor": actor[:100]}
    invoice_repo.insert_document(session, header, [
        {"kind": ln.kind, "key": ln.key[:300], "item": ln.item[:500], "quantity": ln.quantity, "cents": ln.cents,
         "detail": dict(ln.detail)} for ln in lines])
    return number


def credit_note(store: Store, number: str, *, reason: str, amount_cents: int | None = None,
                now: datetime | None = None, actor: str = "unknown", issuer: Issuer = DEFAULT_ISSUER
                ) -> dict[str, Any]:
    """A credit note correcting invoice `number`: all of it (`amount_cents` None) or that net amount,
    VAT at the invoice's rate; never more than is left to credit. The invoice itself is not changed."""
    now = now or store.clock.now()
    reason = check_reason(reason)
    with store.session(write=True) as session:
        header, lines = invoice_repo.document(session, number)
        invoice = _issued(header, lines)
        credited = invoice_repo.credited_cents(session, header["id"])
        new_lines, totals = credit_lines(invoice, credited, reason, amount_cents)
        tenant_id = invoice_repo.tenant_ids(session, [invoice.tenant])[invoice.tenant][0]
        created = _insert(session, issuer, CREDIT_NOTE, tenant_id, invoice.period, now, new_lines, totals,
                          invoice.buyer, actor=actor, corrects_id=header["id"], reason=reason)
        change_events.record(session, "invoice.credited", tenant=invoice.tenant, at=now, data={
            "number": created, "corrects": invoice.number, "total_cents": totals.total_cents,
            "currency": invoice.currency})
    deliver_pending(store)
    return get_invoice(store, created)


# -- reads (scope: the one tenant the caller may read, None for operators) --------------------------

def list_invoices(store: Store, scope: str | None = None, period: str | None = None) -> list[dict[str, Any]]:
    if period is not None:
        period = parse_month(period, field="period").label
    with store.session() as session:
        if scope is not None:
            invoice_repo.tenant_ids(session, [scope])   # an unknown tenant is a 404, not an empty list
        return [_summary(h) for h in invoice_repo.documents(session, scope, period)]


def issued(store: Store, number: str, scope: str | None = None) -> IssuedInvoice:
    with store.session() as session:
        header, lines = invoice_repo.document(session, number, scope)
    return _issued(header, lines)


def get_invoice(store: Store, number: str, scope: str | None = None) -> dict[str, Any]:
    return issued(store, number, scope).to_dict()


def invoice_csv(store: Store, number: str, scope: str | None = None) -> str:
    return to_csv(issued(store, number, scope))


def invoice_xml(store: Store, number: str, scope: str | None = None, issuer: Issuer = DEFAULT_ISSUER) -> bytes:
    return cii.cii_xml(issued(store, number, scope), issuer)


def _issued(header: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> IssuedInvoice:
    return IssuedInvoice(
        number=header["number"], kind=header["kind"], issuer=header["issuer"], tenant=header["tenant"],
        buyer=Party(**header["buyer"]), period=header["period"], issued_at=header["issued_at"],
        currency=header["currency"],
        lines=tuple(Line(ln["kind"], ln["key"], ln["item"], ln["quantity"], ln["cents"], ln["detail"]) for ln in lines),
        totals=Totals(header["net_cents"], header["vat_percent"], header["vat_cents"], header["total_cents"]),
        corrects=header["corrects"], reason=header["reason"])


def _summary(header: Mapping[str, Any]) -> dict[str, Any]:
    return {"number": header["number"], "kind": header["kind"], "tenant": header["tenant"],
            "period": header["period"], "issued_at": header["issued_at"].isoformat(),
            "currency": header["currency"], "net_cents": header["net_cents"], "vat_cents": header["vat_cents"],
            "total_cents": header["total_cents"], "corrects": header["corrects"]}


def _totals_dict(t: Totals) -> dict[str, int]:
    return {"net_cents": t.net_cents, "vat_percent": t.vat_percent, "vat_cents": t.vat_cents,
            "total_cents": t.total_cents}


def _party_dict(party: Party) -> dict[str, Any]:
    return {k: v for k, v in (("name", party.name), ("country", party.country), ("vat_id", party.vat_id),
                              ("street", party.street), ("city", party.city), ("postcode", party.postcode))
            if v is not None}


