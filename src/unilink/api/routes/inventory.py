"""The backbone inventory: PoPs, routers, links, interconnects. Read for all roles, write for operator-admin.

A write loads the network, changes one element, validates the whole network and saves it, all in one
write transaction: a reference to a missing PoP or router is refused and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response

from unilink.api.deps import OperatorAdminDep, PrincipalDep, StoreDep, mark_tenant
from unilink.api.paging import Filter, PageDep, matching, paged
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.api.schemas import (
    InterconnectIn,
    InterconnectOut,
    LinkIn,
    LinkOut,
    Name,
    PopIn,
    PopOut,
    RouterIn,
    RouterOut,
)
from unilink.errors import ConflictError, NotFoundError
from unilink.inventory.model import (
    Interconnect,
    InterconnectKind,
    Network,
    Pop,
    Router,
    RouterRole,
    Vendor,
    make_link,
)
from unilink.store import network_repo
from unilink.store.db import Store

router = APIRouter(prefix="/api/v1", tags=["inventory"], responses=PROBLEM_RESPONSES)
T = TypeVar("T")


def _find(items: list[T], name: str, kind: str) -> T:
    for item in items:
        if item.name == name:  # type: ignore[attr-defined]
            return item
    raise NotFoundError(f"no such {kind}", field=kind, value=name, accepted=f"the name of an existing {kind}")


def _upsert(items: list[T], new: T) -> list[T]:
    names = [i.name for i in items]  # type: ignore[attr-defined]
    if new.name in names:  # type: ignore[attr-defined]
        return [new if i.name == new.name else i for i in items]  # type: ignore[attr-defined]
    return [*items, new]


def _change(store: Store, edit: Callable[[Network], Network]) -> None:
    with store.session(write=True) as session:
        network = edit(network_repo.load(session))
        network.validate()
        network_repo.sync(session, network)


def _dict(item: Any) -> dict[str, Any]:
    data = asdict(item)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}


# -- PoPs ------------------------------------------------------------------------------------------

@router.get("/pops", response_model=list[PopOut], summary="Points of presence")
def list_pops(principal: PrincipalDep, store: StoreDep, response: Response, page: PageDep,
              country: Filter = None) -> list[dict[str, Any]]:
    return paged(response, matching([_dict(p) for p in store.load_network().pops], country=country), page)


@router.get("/pops/{name}", response_model=PopOut, summary="One PoP")
def get_pop(name: Name, principal: PrincipalDep, store: StoreDep) -> dict[str, Any]:
    return _dict(_find(store.load_network().pops, name, "pop"))


@router.put("/pops/{name}", response_model=PopOut, summary="Create or replace a PoP")
def put_pop(name: Name, body: PopIn, request: Request, principal: OperatorAdminDep, store: StoreDep) -> dict[str, Any]:
    mark_tenant(request, None)
    pop = Pop(name=name, city=body.city, country=body.country, lat=body.lat, lon=body.lon)
    _change(store, lambda net: _replace(net, pops=_upsert(net.pops, pop)))
    return _dict(pop)


@router.delete("/pops/{name}", status_code=204, summary="Delete a PoP that nothing uses any more")
def delete_pop(name: Name, request: Request, principal: OperatorAdminDep, store: StoreDep) -> None:
    def edit(net: Network) -> Network:
        _find(net.pops, name, "pop")
        users = [r.name for r in net.routers if r.pop == name] + [lk.name for lk in net.links if name in (lk.a, lk.b)]
        users += [i.name for i in net.interconnects if i.pop == name]
        if users:
            raise ConflictError("the PoP is still used", field="pop", value=name,
                                accepted=f"delete first: {', '.join(users[:10])}")
        return _replace(net, pops=[p for p in net.pops if p.name != name])

    _change(store, edit)


# -- routers ---------------------------------------------------------------------------------------

@router.get("/routers", response_model=list[RouterOut], summary="Routers")
def list_routers(principal: PrincipalDep, store: StoreDep, response: Response, page: PageDep, pop: Filter = None,
                 role: Filter = None, vendor: Filter = None) -> list[dict[str, Any]]:
    routers = [_dict(r) for r in store.load_network().routers]
    return paged(response, matching(routers, pop=pop, role=role, vendor=vendor), page)


@router.get("/routers/{name}", response_model=RouterOut, summary="One router")
def get_router(name: Name, principal: PrincipalDep, store: StoreDep) -> dict[str, Any]:
    return _dict(_find(store.load_network().routers, name, "router"))


@router.put("/routers/{name}", response_model=RouterOut, summary="Create or replace a router")
def put_router(name: Name, body: RouterIn, request: Request, principal: OperatorAdminDep,
               store: StoreDep) -> dict[str, Any]:
    mark_tenant(request, None)
    new = Router(name=name, pop=body.pop, role=RouterRole(body.role), vendor=Vendor(body.vendor),
                 loopback=body.loopback, driver=body.driver)
    _change(store, lambda net: _replace(net, routers=_upsert(net.routers, new)))
    return _dict(new)


@router.delete("/routers/{name}", status_code=204, summary="Delete a router that no link uses")
def delete_router(name: Name, request: Request, principal: OperatorAdminDep, store: StoreDep) -> None:
    def edit(net: Network) -> Network:
        _find(net.routers, name, "router")
        users = [lk.name for lk in net.links if name in (lk.a_router, lk.b_router)]
        if users:
            raise ConflictError("the router still terminates links", field="router", value=name,
                                accepted=f"delete first: {', '.join(users[:10])}")
        return _replace(net, routers=[r for r in net.routers if r.name != name])

    _change(store, edit)


# -- links -----------------------------------------------------------------------------------------

@router.get("/links", response_model=list[LinkOut], summary="Backbone links")
def list_links(principal: PrincipalDep, store: StoreDep, response: Response, page: PageDep,
               pop: Annotated[str | None, Query(max_length=100, description="links with an end at this PoP")] = None,
               ) -> list[dict[str, Any]]:
    links = [_dict(lk) for lk in store.load_network().links]
    return paged(response, [lk for lk in links if pop is None or pop in (lk["a"], lk["b"])], page)


@router.get("/links/{name}", response_model=LinkOut, summary="One link")
def get_link(name: str, principal: PrincipalDep, store: StoreDep) -> dict[str, Any]:
    return _dict(_find(store.load_network().links, name, "link"))


@router.put("/links/{name}", response_model=LinkOut,
            summary="Create or replace a link (length defaults to the great-circle distance)")
def put_link(name: Name, body: LinkIn, request: Request, principal: OperatorAdminDep,
             store: StoreDep) -> dict[str, Any]:
    mark_tenant(request, None)
    made: list[Any] = []

    def edit(net: Network) -> Network:
        pops = net.pop_index()
        a = _find(net.pops, body.a, "pop") if body.a not in pops else pops[body.a]
        b = _find(net.pops, body.b, "pop") if body.b not in pops else pops[body.b]
        link = make_link(name, a, b, body.capacity_bps, length_km=body.length_km, igp_metric=body.igp_metric,
                         srlgs=tuple(body.srlgs), a_router=body.a_router, b_router=body.b_router)
        made.append(link)
        return _replace(net, links=_upsert(net.links, link))

    _change(store, edit)
    return _dict(made[0])


@router.delete("/links/{name}", status_code=204, summary="Delete a link")
def delete_link(name: str, request: Request, principal: OperatorAdminDep, store: StoreDep) -> None:
    def edit(net: Network) -> Network:
        _find(net.links, name, "link")
        return _replace(net, links=[lk for lk in net.links if lk.name != name])

    _change(store, edit)


# -- interconnects ---------------------------------------------------------------------------------

@router.get("/interconnects", response_model=list[InterconnectOut], summary="Interconnects with other networks")
def list_interconnects(principal: PrincipalDep, store: StoreDep, response: Response, page: PageDep,
                       kind: Filter = None, pop: Filter = None) -> list[dict[str, Any]]:
    interconnects = [_dict(i) for i in store.load_network().interconnects]
    return paged(response, matching(interconnects, kind=kind, pop=pop), page)


@router.get("/interconnects/{name}", response_model=InterconnectOut, summary="One interconnect")
def get_interconnect(name: Name, principal: PrincipalDep, store: StoreDep) -> dict[str, Any]:
    return _dict(_find(store.load_network().interconnects, name, "interconnect"))


@router.put("/interconnects/{name}", response_model=InterconnectOut, summary="Create or replace an interconnect")
def put_interconnect(name: Name, body: InterconnectIn, request: Request, principal: OperatorAdminDep,
                     store: StoreDep) -> dict[str, Any]:
    mark_tenant(request, None)
    new = Interconnect(name=name, kind=InterconnectKind(body.kind), pop=body.pop, partner=body.partner,
                       capacity_bps=body.capacity_bps, area=tuple(body.area))
    _change(store, lambda net: _replace(net, interconnects=_upsert(net.interconnects, new)))
    return _dict(new)


@router.delete("/interconnects/{name}", status_code=204, summary="Delete an interconnect")
def delete_interconnect(name: Name, request: Request, principal: OperatorAdminDep, store: StoreDep) -> None:
    def edit(net: Network) -> Network:
        _find(net.interconnects, name, "interconnect")
        return _replace(net, interconnects=[i for i in net.interconnects if i.name != name])

    _change(store, edit)


def _replace(net: Network, **changes: Any) -> Network:
    values = {"name": net.name, "pops": net.pops, "routers": net.routers, "links": net.links,
              "interconnects": net.interconnects, **changes}
    return Network(**values)
