"""Cooperative campaigns and connection designs (docs/campaign-pages.md).

Public (no token): a campaign's k-anonymous view, pledging, confirming and withdrawing by a mail's
token — rate-limited per client address. The coop manager (`coop-manager`, its own tenant's
campaigns) and operators (every campaign; `operator-viewer` reads only): campaigns, zones, the
ledger, the pledges (JSON or CSV), withdrawals, extensions, what-if designs and ordering a zone's
design. Another cooperative's campaign answers 404; any other role 403. The operator reads the mail
outbox. Every route calls `unilink.usecases.campaigns` or `unilink.usecases.coop_design`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response

from unilink.api.coop_bodies import (
    CampaignIn,
    DesignIn,
    ExtendIn,
    OrderIn,
    OrderOut,
    PledgeIn,
    PledgeOut,
    PledgeStatus,
    PublicCampaign,
    TokenIn,
    ZonePatch,
)
from unilink.api.deps import OperatorDep, PrincipalDep, StoreDep, TenantQuery, mark_tenant
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.errors import NotFoundError
from unilink.usecases import campaigns, coop_design, zone_orders
from unilink.web import coop_views
from unilink.web.coop_access import campaign_scope, campaign_writer_scope, check_public_rate, opening_tenant

router = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=PROBLEM_RESPONSES)

CampaignName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="the campaign's slug")]
ZoneName = Annotated[str, Path(min_length=1, max_length=64)]
PledgeId = Annotated[str, Path(pattern=r"^[0-9a-f]{8,32}$", description="as returned by the pledge")]
CSV = "text/csv"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}, CSV: {}},
                                                       "description": "the pledges, as JSON or (Accept: text/csv) CSV"}}
TOO_MANY = {429: PROBLEM_RESPONSES[429]}
Json = dict[str, Any]


# -- public -----------------------------------------------------------------------------------------

@router.get("/public/campaigns/{name}", response_model=PublicCampaign, tags=["public"],
            summary="A campaign as anyone sees it: zones, targets, k-anonymous counts (none below 5)")
def public_campaign(name: CampaignName, store: StoreDep) -> Json:
    return campaigns.public_view(store, name)


@router.post("/public/campaigns/{name}/pledges", response_model=PledgeOut, status_code=201, tags=["public"],
             summary="Pledge (no account): a confirmation link is e-mailed; the pledge counts once confirmed")
def public_pledge(name: CampaignName, body: PledgeIn, request: Request, store: StoreDep) -> Json:
    check_public_rate(request)
    return campaigns.pledge(store, name, body.model_dump())


@router.post("/public/pledges/confirm", tags=["public"], response_model=PledgeStatus,
             summary="Confirm a pledge with the token of its e-mail (single use)")
def public_confirm(body: TokenIn, request: Request, store: StoreDep) -> Json:
    check_public_rate(request)
    return campaigns.confirm_pledge(store, body.token)


@router.post("/public/pledges/withdraw", tags=["public"], response_model=PledgeStatus,
             summary="Withdraw a pledge with the withdrawal token of its e-mail")
def public_withdraw(body: TokenIn, request: Request, store: StoreDep) -> Json:
    check_public_rate(request)
    return campaigns.withdraw_pledge(store, body.token)


# -- the coop manager ---------------------------------------------------------------------------------

@router.get("/campaigns", response_model=list[dict[str, Any]], summary="The campaigns you may see")
def list_campaigns(principal: PrincipalDep, store: StoreDep) -> list[Json]:
    return campaigns.list_campaigns(store, tenant=campaign_scope(principal))


@router.post("/campaigns", response_model=dict[str, Any], status_code=201,
             summary="Open a campaign (coop-manager; an operator names the cooperative with ?tenant=)")
def open_campaign(body: CampaignIn, request: Request, principal: PrincipalDep, store: StoreDep,
                  tenant: TenantQuery = None) -> Json:
    owner = opening_tenant(principal, tenant)
    mark_tenant(request, owner)
    spec = {**body.model_dump(exclude_none=True), "tenant": owner}
    return campaigns.open_campaign(store, spec, actor=principal.subject)


@router.get("/campaigns/{name}", response_model=dict[str, Any],
            summary="A campaign as its manager sees it: zones, counts, funds, designs, orders")
def read_campaign(name: CampaignName, principal: PrincipalDep, store: StoreDep) -> Json:
    return campaigns.manager_view(store, name, tenant=campaign_scope(principal))


@router.patch("/campaigns/{name}/zones/{zone}", response_model=dict[str, Any],
              summary="Correct a zone: homes passed (with its source), target, build cost")
def patch_zone(name: CampaignName, zone: ZoneName, body: ZonePatch, request: Request, principal: PrincipalDep,
               store: StoreDep) -> Json:
    scope = campaign_writer_scope(principal)
    mark_tenant(request, scope)
    changes = body.model_dump(exclude_none=True)
    return campaigns.edit_zone(store, name, zone, changes, tenant=scope, actor=principal.subject)


@router.post("/campaigns/{name}/extend", response_model=dict[str, Any],
             summary="Move the deadline of the campaign, or of one zone (at most max_extensions times)")
def extend_campaign(name: CampaignName, body: ExtendIn, request: Request, principal: PrincipalDep,
                    store: StoreDep) -> Json:
    scope = campaign_writer_scope(principal)
    mark_tenant(request, scope)
    return campaigns.extend(store, name, until=body.until, zone=body.zone, tenant=scope, actor=principal.subject)


@router.get("/campaigns/{name}/ledger", response_model=dict[str, Any],
            summary="Pledged subscribers and committed funds against targets and build costs; refunds owed")
def read_ledger(name: CampaignName, principal: PrincipalDep, store: StoreDep) -> Json:
    return campaigns.ledger(store, name, tenant=campaign_scope(principal))


@router.get("/campaigns/{name}/pledges.csv", response_class=Response, responses={200: {"content": {CSV: {}}}},
            summary="Every pledge, as CSV (personal data: the manager's only)")
def pledges_csv(name: CampaignName, principal: PrincipalDep, store: StoreDep) -> Response:
    return _csv(store, name, campaign_scope(principal))


@router.get("/campaigns/{name}/pledges", response_model=list[dict[str, Any]], responses=CSV_RESPONSE,
            summary="Every pledge (names, e-mails, addresses: the manager's only); CSV with Accept: text/csv")
def list_pledges(name: CampaignName, principal: PrincipalDep, store: StoreDep,
                 accept: Annotated[str | None, Header(max_length=500)] = None) -> Any:
    scope = campaign_scope(principal)
    if accept and CSV in accept:
        return _csv(store, name, scope)
    return campaigns.pledges(store, name, tenant=scope)


def _csv(store: Any, name: str, scope: str | None) -> Response:
    text = campaigns.pledges_csv(store, name, tenant=scope)
    return Response(text, media_type=f"{CSV}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}-pledges.csv"',
                             "Cache-Control": "no-store"})


@router.delete("/campaigns/{name}/pledges/{pledge_id}", response_model=dict[str, Any],
               summary="Withdraw a pledge for a resident (it stops counting; a confirmed one is owed its refund)")
def withdraw_pledge(name: CampaignName, pledge_id: PledgeId, request: Request, principal: PrincipalDep,
                    store: StoreDep) -> Json:
    scope = campaign_writer_scope(principal)
    mark_tenant(request, scope)
    return campaigns.withdraw_by_manager(store, name, pledge_id, tenant=scope, actor=principal.subject)


# -- designs and orders ---------------------------------------------------------------------------------

@router.post("/coop/designs", response_model=dict[str, Any],
             summary="What-if: where an area would connect, each candidate with every figure (changes nothing)")
def what_if_design(body: DesignIn, principal: PrincipalDep, store: StoreDep) -> Json:
    campaign_scope(principal)
    return coop_design.design(store, communes=body.communes, points=[tuple(p) for p in body.points or []] or None,
                              members=body.members, plan_rates_bps=body.plan_rates_bps,
                              busy_hour_bps=body.busy_hour_bps, peak_factor=body.peak_factor,
                              growth_per_year=body.growth_per_year, horizon_years=body.horizon_years)


@router.post("/campaigns/{name}/zones/{zone}/order", response_model=OrderOut, status_code=201,
             summary="Order a zone's connection: its design's best candidate, or the one named")
def order_zone(name: CampaignName, zone: ZoneName, body: OrderIn, request: Request, principal: PrincipalDep,
               store: StoreDep) -> Json:
    scope = campaign_writer_scope(principal)
    view = campaigns.manager_view(store, name, tenant=scope)
    mark_tenant(request, view["tenant"])
    found = coop_views.zone_of(view, zone)
    if found is None:
        raise NotFoundError("no such zone in this campaign", field="zone", value=zone)
    return zone_orders.order_zone(store, name, zone, tenant=view["tenant"], candidate=body.candidate,
                                  busy_hour_bps=body.busy_hour_bps, peak_factor=body.peak_factor,
                                  actor=principal.subject)





# -- the operator ------------------------------------------------------------------------------------

@router.get("/mail", response_model=list[dict[str, Any]], tags=["campaigns"],
            summary="The mail outbox (operators): every message, sent or pending, newest first")
def mail(principal: OperatorDep, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[Json]:
    return campaigns.mail_outbox(store, limit=limit)
