"""Invoices under /api/v1 (docs/invoices.md): a tenant's issued invoices and credit notes, their lines,
CSV and EN 16931 e-invoice (Factur-X CII XML); operator-admins issue a month and credit an invoice.

Tenant roles read only their own tenant's documents: another tenant's number answers 404, the same as
a number nobody has. Every route calls `usecases.invoicing`; nothing is computed here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import Field

from unilink.access.security import Principal
from unilink.api.deps import OperatorAdminDep, PrincipalDep, StoreDep, TenantQuery, mark_tenant, visible_tenant
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.api.schemas import Name, Strict
from unilink.usecases import invoicing

router = APIRouter(prefix="/api/v1", tags=["invoices"], responses=PROBLEM_RESPONSES)
Number = Annotated[str, Path(max_length=32, pattern=r"^[A-Z][A-Z0-9]{1,7}-[0-9]{6,}$",
                             description="an invoice or credit note number, e.g. UL-000001")]
Period = Annotated[str | None, Query(max_length=7, description="only this month's (YYYY-MM)")]


class IssueBody(Strict):
    tenant: Name
    month: str = Field(max_length=16, description="the month to invoice, YYYY-MM; it must be over")
    vat_percent: int = Field(default=invoicing.DEFAULT_VAT_PERCENT, description="VAT rate in percent (France: 20)")


class CreditBody(Strict):
    reason: str = Field(max_length=500, description="what the credit note corrects")
    amount_cents: int | None = Field(default=None, description="net amount to credit; omitted: the whole invoice")


def _scope(principal: Principal) -> str | None:
    return visible_tenant(principal, None)


@router.get("/invoices", summary="Issued invoices and credit notes (a tenant's own; operators: all or ?tenant=)")
def list_invoices(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None,
                  period: Period = None) -> list[dict[str, Any]]:
    return invoicing.list_invoices(store, visible_tenant(principal, tenant), period)


@router.get("/invoices/{number}", summary="One invoice or credit note, with its lines and totals")
def get_invoice(number: Number, principal: PrincipalDep, store: StoreDep) -> dict[str, Any]:
    return invoicing.get_invoice(store, number, _scope(principal))


@router.get("/invoices/{number}/lines", summary="The lines of an invoice (amounts in cents)")
def invoice_lines(number: Number, principal: PrincipalDep, store: StoreDep) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = invoicing.get_invoice(store, number, _scope(principal))["lines"]
    return lines


@router.get("/invoices/{number}/csv", summary="An invoice as CSV (amounts in euros)", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def invoice_csv(number: Number, principal: PrincipalDep, store: StoreDep) -> Response:
    body = invoicing.invoice_csv(store, number, _scope(principal))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{number}.csv"'})


@router.get("/invoices/{number}/xml", summary="The EN 16931 e-invoice (Factur-X / ZUGFeRD CII XML)",
            response_class=Response, responses={200: {"content": {"application/xml": {}}}})
def invoice_xml(number: Number, principal: PrincipalDep, store: StoreDep) -> Response:
    body = invoicing.invoice_xml(store, number, _scope(principal))
    return Response(body, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{number}.xml"'})


@router.post("/invoices", status_code=201, summary="Operator-admin: issue a tenant's invoice of a month that is over")
def issue_invoice(body: IssueBody, request: Request, principal: OperatorAdminDep, store: StoreDep) -> dict[str, Any]:
    mark_tenant(request, body.tenant)
    return invoicing.issue_month(store, body.tenant, body.month, actor=principal.subject,
                                 vat_percent=body.vat_percent)


@router.post("/invoices/{number}/credit-notes", status_code=201,
             summary="Operator-admin: a credit note correcting an invoice (all of it, or a net amount)")
def credit_invoice(number: Number, body: CreditBody, request: Request, principal: OperatorAdminDep,
                   store: StoreDep) -> dict[str, Any]:
    note = invoicing.credit_note(store, number, reason=body.reason, amount_cents=body.amount_cents,
                                 actor=principal.subject)
    mark_tenant(request, note["tenant"])
    return note
