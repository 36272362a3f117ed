"""Invoices in the portal (docs/invoices.md): a tenant's issued invoices and credit notes, one with its
lines and totals, and its CSV and EN 16931 e-invoice to download. Read only (operator-admins issue
and credit through the API or the CLI); another tenant's number is a 404, as in the API. Everything
comes from `unilink.usecases.invoicing`.

    GET /portal/invoices[?tenant=]
    GET /portal/invoices/{number}
    GET /portal/invoices/{number}/csv      GET /portal/invoices/{number}/xml
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import HTMLResponse, Response

from unilink.access.scope import TenantQuery, visible_tenant
from unilink.usecases import invoicing
from unilink.web.portal import PREFIX, PortalRoute, PrincipalDep, _base, _page, _store

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)
Number = Annotated[str, Path(max_length=32, pattern=r"^[A-Z][A-Z0-9]{1,7}-[0-9]{6,}$")]


@router.get("/invoices")
def invoices_page(request: Request, principal: PrincipalDep, tenant: TenantQuery = None) -> HTMLResponse:
    scope = visible_tenant(principal, tenant)
    found = invoicing.list_invoices(_store(request), scope)
    return _page(request, "invoices.html", {**_base(principal, tenant, "invoices"), "scope": scope,
                                            "invoices": found})


@router.get("/invoices/{number}")
def invoice_page(number: Number, request: Request, principal: PrincipalDep, tenant: TenantQuery = None) -> HTMLResponse:
    document = invoicing.get_invoice(_store(request), number, visible_tenant(principal, None))
    return _page(request, "invoice.html", {**_base(principal, tenant, "invoices"), "invoice": document})


@router.get("/invoices/{number}/csv")
def invoice_csv(number: Number, request: Request, principal: PrincipalDep) -> Response:
    body = invoicing.invoice_csv(_store(request), number, visible_tenant(principal, None))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{number}.csv"'})


@router.get("/invoices/{number}/xml")
def invoice_xml(number: Number, request: Request, principal: PrincipalDep) -> Response:
    body = invoicing.invoice_xml(_store(request), number, visible_tenant(principal, None))
    return Response(body, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{number}.xml"'})


def mount(app: FastAPI) -> None:
    """Add the invoice pages (called by `web.portal.mount_portal`)."""
    app.include_router(router)
