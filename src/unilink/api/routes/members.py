"""A cooperative's members and their subscriptions under /api/v1/coops/{coop}/… (docs/members.md).

Who: the coop's own coop-manager and the operator roles (operator-viewer reads only; lines — ports
of the operator's routers — are given by operator-admins only); another
cooperative's manager gets 404 for everything of this coop — the same as a coop that does not
exist —, every other role 403 by its role. Each route calls `usecases.memberships`; a step that
changes the network (activate, suspend, resume, end, a new plan) answers with the plan it applied.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import Field

from unilink.access.security import Principal
from unilink.api.deps import OperatorAdminDep, PrincipalDep, StoreDep, mark_tenant
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.api.schemas import Name, Strict
from unilink.errors import NotFoundError
from unilink.usecases import memberships
from unilink.web.coop_access import campaign_scope, campaign_writer_scope

router = APIRouter(prefix="/api/v1/coops/{coop}", tags=["members"], responses=PROBLEM_RESPONSES)
Coop = Annotated[str, Path(max_length=64, description="the cooperative tenant")]
SubscriptionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Json = dict[str, Any]
Rate = int | str  # bit/s, or "100M"


class MemberIn(Strict):
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    address: str = Field(max_length=300)


class PlanIn(Strict):
    name: Name
    down: Rate = Field(description="bit/s or e.g. 300M")
    up: Rate
    monthly_cents: int = Field(description="the monthly price in euro cents")


class LineIn(Strict):
    name: Name
    router: Name = Field(description="the coop's access router (an edge router of the backbone)")
    port: str = Field(max_length=48, description="its member-facing port")
    ceiling_down: Rate
    ceiling_up: Rate


class PoolIn(Strict):
    name: Name
    kind: Literal["ipv4", "cgnat", "ipv6"]
    prefix: str = Field(max_length=64)
    port_block: int | None = Field(default=None, description="cgnat: ports per member")
    delegated_length: int | None = Field(default=None, description="ipv6: the members' prefix length")


class SubscriptionIn(Strict):
    member: int = Field(ge=1)
    plan: Name
    line: Name


class NewPlanIn(Strict):
    plan: Name


def _reader(principal: Principal, coop: str, request: Request) -> str:
    own = campaign_scope(principal)  # 403 for roles without cooperative rights
    if own is not None and own != coop:
        raise NotFoundError("no such cooperative", field="coop", value=coop)
    mark_tenant(request, coop)
    return coop


def _writer(principal: Principal, coop: str, request: Request) -> str:
    own = campaign_writer_scope(principal)
    if own is not None and own != coop:
        raise NotFoundError("no such cooperative", field="coop", value=coop)
    mark_tenant(request, coop)
    return coop


@router.get("/members", summary="The coop's member households")
def list_members(coop: Coop, request: Request, principal: PrincipalDep, store: StoreDep) -> list[Json]:
    return memberships.members(store, _reader(principal, coop, request))


@router.post("/members", status_code=201, summary="Add a member household (name, e-mail, address)")
def add_member(coop: Coop, body: MemberIn, request: Request, principal: PrincipalDep, store: StoreDep) -> Json:
    return memberships.add_member(store, _writer(principal, coop, request), **body.model_dump())


@router.post("/plans", status_code=201, summary="Add one of the coop's plans (down/up, monthly price)")
def add_plan(coop: Coop, body: PlanIn, request: Request, principal: PrincipalDep, store: StoreDep) -> Json:
    return memberships.add_plan(store, _writer(principal, coop, request), **body.model_dump())


@router.post("/lines", status_code=201,
             summary="Give the coop a line: a member-facing port of an access router (operator-admin)")
def add_line(coop: Coop, body: LineIn, request: Request, principal: OperatorAdminDep, store: StoreDep) -> Json:
    # the routers are the operator's: only the operator hands a cooperative its ports
    mark_tenant(request, coop)
    return memberships.add_line(store, coop, **body.model_dump())


@router.post("/pools", status_code=201, summary="Add an address pool (public IPv4, CGNAT, IPv6 prefixes)")
def add_pool(coop: Coop, body: PoolIn, request: Request, principal: PrincipalDep, store: StoreDep) -> Json:
    return memberships.add_pool(store, _writer(principal, coop, request), **body.model_dump())


@router.get("/subscriptions", summary="Every subscription: state, dates, plan, line, rates shaped, addresses")
def list_subscriptions(coop: Coop, request: Request, principal: PrincipalDep, store: StoreDep) -> list[Json]:
    return memberships.subscriptions(store, _reader(principal, coop, request))


@router.post("/subscriptions", status_code=201, summary="A member asks for a plan on a line (requested)")
def request_subscription(coop: Coop, body: SubscriptionIn, request: Request, principal: PrincipalDep,
                         store: StoreDep) -> Json:
    return memberships.request(store, _writer(principal, coop, request), **body.model_dump())


@router.get("/subscriptions/{subscription}", summary="One subscription")
def read_subscription(coop: Coop, subscription: SubscriptionId, request: Request, principal: PrincipalDep,
                      store: StoreDep) -> Json:
    return memberships.view(store, _reader(principal, coop, request), subscription)


STEPS = {"activate": memberships.activate, "suspend": memberships.suspend, "resume": memberships.resume,
         "end": memberships.end}


@router.post("/subscriptions/{subscription}/{step}",
             summary="activate | suspend | resume | end: one plan → apply on the access router")
def step_subscription(coop: Coop, subscription: SubscriptionId, step: str, request: Request,
                      principal: PrincipalDep, store: StoreDep) -> Json:
    owner = _writer(principal, coop, request)
    if step not in STEPS:
        raise HTTPException(404, f"no such step {step!r} (accepted: {', '.join(STEPS)})")
    return STEPS[step](store, owner, subscription, actor=principal.subject)


@router.put("/subscriptions/{subscription}/plan", summary="Another of the coop's plans, within the line's ceiling")
def change_plan(coop: Coop, subscription: SubscriptionId, body: NewPlanIn, request: Request,
                principal: PrincipalDep, store: StoreDep) -> Json:
    owner = _writer(principal, coop, request)
    return memberships.change_plan(store, owner, subscription, body.plan, actor=principal.subject)


@router.get("/backhaul", summary="Members' committed and busy-hour demand against the backhaul; the increase to buy")
def read_backhaul(coop: Coop, request: Request, principal: PrincipalDep, store: StoreDep,
                  service: Annotated[str | None, Query(max_length=64)] = None) -> Json:
    return memberships.backhaul(store, _reader(principal, coop, request), service=service)


@router.post("/backhaul/plan", status_code=201,
             summary="Plan the offered backhaul increase (a plan with its price; apply it like any plan)")
def plan_backhaul(coop: Coop, request: Request, principal: PrincipalDep, store: StoreDep,
                  service: Annotated[str | None, Query(max_length=64)] = None) -> Json:
    owner = _writer(principal, coop, request)
    return memberships.plan_backhaul(store, owner, actor=principal.subject, service=service)
