"""TMF633 Service Catalog v4 at /tmf-api/serviceCatalogManagement/v4: the catalog's service
specifications (access, internet, ipvpn, eline) and their characteristics (`catalog`, through
`services.tmf_mapping.specifications`), one serviceCatalog holding them, and the hub. Read-only: the
catalog changes with unilink's releases, not through the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from unilink.api.deps import PrincipalDep
from unilink.api.tmf.common import TmfRoute, base_url, list_response, one_response
from unilink.api.tmf.hub import add_hub_routes
from unilink.errors import NotFoundError
from unilink.services import tmf_mapping as tmf

router = APIRouter(prefix=tmf.CATALOG, route_class=TmfRoute, tags=["TMF633"])
SpecId = Annotated[str, Path(min_length=1, max_length=64)]
CATALOG_ID = "unilink"


def specifications(request: Request) -> list[dict[str, Any]]:
    base = base_url(request)
    return [{**spec, "href": f"{base}{tmf.CATALOG}/serviceSpecification/{spec['id']}"}
            for spec in tmf.specifications()]


def catalog(request: Request) -> dict[str, Any]:
    return {"id": CATALOG_ID, "href": f"{base_url(request)}{tmf.CATALOG}/serviceCatalog/{CATALOG_ID}",
            "name": "unilink unified connectivity", "lifecycleStatus": "Active", "version": "1",
            "description": "Sites with their access lines, Internet access, IP-VPNs and E-Lines",
            "@type": "ServiceCatalog"}


@router.get("/serviceSpecification", summary="List or find ServiceSpecification objects")
def list_specifications(request: Request, principal: PrincipalDep) -> JSONResponse:
    return list_response(request, specifications(request))


@router.get("/serviceSpecification/{id}", summary="Retrieves a ServiceSpecification by ID")
def retrieve_specification(id: SpecId, request: Request, principal: PrincipalDep) -> JSONResponse:
    for spec in specifications(request):
        if spec["id"] == id:
            return one_response(request, spec)
    raise NotFoundError("no such service specification", field="id", value=id, accepted=", ".join(tmf.SPEC_IDS))


@router.get("/serviceCatalog", summary="List or find ServiceCatalog objects")
def list_catalogs(request: Request, principal: PrincipalDep) -> JSONResponse:
    return list_response(request, [catalog(request)])


@router.get("/serviceCatalog/{id}", summary="Retrieves a ServiceCatalog by ID")
def retrieve_catalog(id: SpecId, request: Request, principal: PrincipalDep) -> JSONResponse:
    if id != CATALOG_ID:
        raise NotFoundError("no such service catalog", field="id", value=id, accepted=CATALOG_ID)
    return one_response(request, catalog(request))


add_hub_routes(router, "serviceCatalog")
