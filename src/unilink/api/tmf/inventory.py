"""TMF638 Service Inventory v4 at /tmf-api/serviceInventory/v4: the live services (each site's access,
its Internet, VPNs and E-Lines) with their characteristics, read from the deployed intent
(`usecases.tenant_views`), and the hub. Services change through TMF641 orders, not here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from unilink.access.security import Principal
from unilink.api.deps import PrincipalDep, StoreDep, TenantQuery, visible_tenant
from unilink.api.tmf.common import TmfRoute, base_url, list_response, one_response
from unilink.api.tmf.hub import add_hub_routes
from unilink.engine.admission import rates_at
from unilink.errors import NotFoundError
from unilink.services import tmf_mapping as tmf
from unilink.services.intent import Intent
from unilink.store.db import Store
from unilink.usecases import tenant_views

router = APIRouter(prefix=tmf.INVENTORY, route_class=TmfRoute, tags=["TMF638"])
ServiceId = Annotated[str, Path(min_length=1, max_length=64)]


def services(request: Request, store: Store, scope: str | None) -> list[dict[str, Any]]:
    base = base_url(request)
    out = []
    for name in tenant_views.tenants_in_scope(store, scope):
        document = tenant_views.deployed_document(store, name)
        for service in tmf.inventory(name, document, _in_force(store, document)):
            service["href"] = f"{base}{tmf.INVENTORY}/service/{service['id']}"
            service["serviceSpecification"]["href"] = \
                f"{base}{tmf.CATALOG}/serviceSpecification/{service['serviceSpecification']['id']}"
            for ref in service.get("supportingService", []):
                ref["href"] = f"{base}{tmf.INVENTORY}/service/{ref['id']}"
            out.append(service)
    return out


def _in_force(store: Store, document: dict[str, Any]) -> tmf.InForce | None:
    """The rates boosts and schedules put in force now (None: the document has neither)."""
    if not document.get("boosts") and not document.get("schedules"):
        return None
    intent = Intent.model_validate({k: v for k, v in document.items() if not k.startswith("_")})
    return rates_at(intent, store.clock.now())


def _scope(principal: Principal, tenant: str | None) -> str | None:
    return visible_tenant(principal, tenant)


@router.get("/service", summary="List or find Service objects")
def list_services(request: Request, principal: PrincipalDep, store: StoreDep,
                  tenant: TenantQuery = None) -> JSONResponse:
    return list_response(request, services(request, store, _scope(principal, tenant)))


@router.get("/service/{id}", summary="Retrieves a Service by ID")
def retrieve_service(id: ServiceId, request: Request, principal: PrincipalDep, store: StoreDep) -> JSONResponse:
    for service in services(request, store, _scope(principal, None)):
        if service["id"] == id:
            return one_response(request, service)
    raise NotFoundError("no such service", field="id", value=id, accepted="the id of one of your services")


add_hub_routes(router, "serviceInventory")
