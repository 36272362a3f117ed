"""The SQL of billing (tables in store/tables/billing.py): what an invoice is computed from — the
applied plans' deployed documents, the orders completed, the 5-minute samples of a site — and the
issued documents with their gap-free numbers.

Issued rows are only ever inserted: this module has no statement that updates or deletes an invoice
or its lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from unilink.errors import ConflictError, NotFoundError
from unilink.store.tables.billing import InvoiceLineRow, InvoiceRow, InvoiceSequenceRow
from unilink.store.tables.services import PlanRow, ServiceOrderRow
from unilink.store.tables.tenancy import Tenant
from unilink.store.tables.usage import UsageSampleRow, UsageSeriesRow
from unilink.store.tenancy import get_tenant

FIVE_MINUTES = 300


class AppliedDocument(NamedTuple):
    tenant_id: int
    applied_at: datetime
    document: dict[str, Any]   # the intent the apply deployed (the plan's effective, else desired)


class CompletedOrder(NamedTuple):
    tenant_id: int
    order_id: str
    site: str
    description: str
    item: dict[str, Any]
    completed_at: datetime


def tenant_ids(session: Session, names: Iterable[str] | None = None) -> dict[str, tuple[int, str]]:
    """name → (id, display name), of the named tenants (NotFoundError for one unknown) or of all."""
    if names is not None:
        found = {}
        for name in names:
            tenant = get_tenant(session, name)
            found[name] = (tenant.id, tenant.display_name)
        return found
    return {name: (tid, display) for tid, name, display in session.execute(
        select(Tenant.id, Tenant.name, Tenant.display_name).order_by(Tenant.name))}


def applied_documents(session: Session, tenants: Sequence[int], start: datetime, end: datetime
                      ) -> dict[int, list[AppliedDocument]]:
    """Per tenant, oldest first: the deployed document in force at `start` (the last apply before it)
    and every one applied in [start, end). Two statements for any number of tenants; only the two
    documents of each plan's content are read, not its device diffs."""
    doc = (PlanRow.content["effective"], PlanRow.content["desired"])
    before = (select(PlanRow.tenant_id, func.max(PlanRow.applied_at).label("at"))
              .where(PlanRow.status == "applied", PlanRow.applied_at < start, PlanRow.tenant_id.in_(tenants))
              .group_by(PlanRow.tenant_id).subquery())
    first = (select(PlanRow.tenant_id, PlanRow.applied_at, *doc)
             .join(before, (before.c.tenant_id == PlanRow.tenant_id) & (before.c.at == PlanRow.applied_at))
             .where(PlanRow.status == "applied"))
    within = (select(PlanRow.tenant_id, PlanRow.applied_at, *doc)
              .where(PlanRow.status == "applied", PlanRow.applied_at >= start, PlanRow.applied_at < end,
                     PlanRow.tenant_id.in_(tenants)))
    found: dict[int, list[AppliedDocument]] = {}
    for query in (first, within):
        for tenant_id, at, effective, desired in session.execute(query):
            found.setdefault(tenant_id, []).append(AppliedDocument(tenant_id, at, effective or desired or {}))
    for docs in found.values():
        docs.sort(key=lambda d: d.applied_at)
    return found


def completed_orders(session: Session, tenants: Sequence[int], start: datetime, end: datetime
                     ) -> list[CompletedOrder]:
    """The orders completed in [start, end): their line was delivered (its installation is billed)."""
    o = ServiceOrderRow
    rows = session.execute(select(o.tenant_id, o.id, o.site, o.description, o.item, o.updated_at)
                           .where(o.state == "completed", o.updated_at >= start, o.updated_at < end,
                                  o.tenant_id.in_(tenants)).order_by(o.updated_at, o.id))
    return [CompletedOrder(*row) for row in rows]


def site_rates(session: Session, tenant: str, site: str, windows: Sequence[tuple[datetime, datetime]]
               ) -> tuple[list[int], list[int]]:
    """(rates in, rates out) in bit/s of a site's access port(s): one per measured 5-minute sample that
    starts in one of `windows`, its octets over the seconds it covers (a sample no poll covered is not
    a zero: it is absent). The site's series first, then their samples by primary key — not the
    month's samples of every series."""
    s, u = UsageSeriesRow, UsageSampleRow
    series = list(session.scalars(select(s.id).where(s.kind == "site", s.tenant == tenant, s.site == site)))
    if not series or not windows:
        return [], []
    in_windows = or_(*(and_(u.start >= start, u.start < end) for start, end in windows))
    # Core, not the ORM's result machinery: a month is 8,640 rows per site
    rows = session.connection().execute(
        select(func.sum(u.octets_in), func.sum(u.octets_out), func.max(u.covered_s))
        .where(u.series_id.in_(series), u.resolution == FIVE_MINUTES, u.covered_s > 0, in_windows)
        .group_by(u.start))
    rates_in, rates_out = [], []
    for octets_in, octets_out, covered in rows:
        rates_in.append(int(octets_in) * 8 // int(covered))
        rates_out.append(int(octets_out) * 8 // int(covered))
    return rates_in, rates_out


# -- issued documents --------------------------------------------------------------------------------

def next_seq(session: Session, issuer: str) -> int:
    """The issuer's next number, taken in the caller's transaction (gap-free: a rollback gives it back)."""
    taken = session.execute(update(InvoiceSequenceRow).where(InvoiceSequenceRow.issuer == issuer)
                            .values(last_number=InvoiceSequenceRow.last_number + 1)
                            .returning(InvoiceSequenceRow.last_number)).scalar_one_or_none()
    if taken is not None:
        return int(taken)
    try:
        with session.begin_nested():
            session.execute(insert(InvoiceSequenceRow).values(issuer=issuer, last_number=1))
    except IntegrityError:  # another first issue of this issuer won the insert: take the next one
        return next_seq(session, issuer)
    return 1


def insert_document(session: Session, header: dict[str, Any], lines: Sequence[dict[str, Any]]) -> int:
    """Write an issued document and its lines; ConflictError when the tenant's month is invoiced already."""
    try:
        with session.begin_nested():
            invoice_id = session.execute(insert(InvoiceRow).values(**header).returning(InvoiceRow.id)).scalar_one()
            if lines:
                session.execute(insert(InvoiceLineRow),
                                [{"invoice_id": invoice_id, "position": i, **line}
                                 for i, line in enumerate(lines, start=1)])
    except IntegrityError as exc:
        if "period" in str(exc.orig) or "uq_invoices_tenant_period" in str(exc.orig):
            raise ConflictError("this month is invoiced already: correct it with a credit note", field="month",
                                value=header["period"], accepted="a month not yet invoiced") from exc
        raise
    return int(invoice_id)


def invoiced(session: Session, tenant_id: int, period: str) -> str | None:
    """The number of the tenant's invoice of `period`, if there is one."""
    return session.scalars(select(InvoiceRow.number).where(InvoiceRow.tenant_id == tenant_id,
                                                           InvoiceRow.period == period,
                                                           InvoiceRow.kind == "invoice")).one_or_none()


def _header(row: InvoiceRow, tenant: str, corrects: str | None) -> dict[str, Any]:
    return {"id": row.id, "number": row.number, "kind": row.kind, "issuer": row.issuer, "seq": row.seq,
            "tenant": tenant, "period": row.period, "issued_at": row.issued_at, "currency": row.currency,
            "net_cents": row.net_cents, "vat_percent": row.vat_percent, "vat_cents": row.vat_cents,
            "total_cents": row.total_cents, "buyer": dict(row.buyer), "corrects": corrects, "reason": row.reason,
            "actor": row.actor}


def _headers(session: Session, *where: Any) -> list[dict[str, Any]]:
    corrected = InvoiceRow.__table__.alias("corrected")
    query = (select(InvoiceRow, Tenant.name, corrected.c.number)
             .join(Tenant, Tenant.id == InvoiceRow.tenant_id)
             .outerjoin(corrected, corrected.c.id == InvoiceRow.corrects_id)
             .where(*where).order_by(InvoiceRow.issuer, InvoiceRow.seq))
    return [_header(row, tenant, corrects) for row, tenant, corrects in session.execute(query)]


def documents(session: Session, tenant: str | None = None, period: str | None = None) -> list[dict[str, Any]]:
    """The issued documents (headers), by issuer and number; of one tenant and month when given."""
    where = []
    if tenant is not None:
        where.append(Tenant.name == tenant)
    if period is not None:
        where.append(InvoiceRow.period == period)
    return _headers(session, *where)


def document(session: Session, number: str, tenant: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(header, lines) of document `number`; NotFoundError when there is none — or when `tenant` is
    given and it is another tenant's (the same answer: the caller cannot tell them apart)."""
    where = [InvoiceRow.number == number] + ([Tenant.name == tenant] if tenant is not None else [])
    found = _headers(session, *where)
    if not found:
        raise NotFoundError("no such invoice", field="number", value=number,
                            accepted="the number of one of your invoices, e.g. UL-000001")
    lines = session.execute(select(InvoiceLineRow).where(InvoiceLineRow.invoice_id == found[0]["id"])
                            .order_by(InvoiceLineRow.position)).scalars()
    return found[0], [{"kind": r.kind, "key": r.key, "item": r.item, "quantity": r.quantity, "cents": r.cents,
                       "detail": dict(r.detail)} for r in lines]


def credited_cents(session: Session, invoice_id: int) -> int:
    """The net already credited on an invoice by its credit notes."""
    total = session.scalar(select(func.sum(InvoiceRow.net_cents)).where(InvoiceRow.corrects_id == invoice_id,
                                                                        InvoiceRow.kind == "credit_note"))
    return int(total or 0)
