"""Cooperative campaigns in the portal (docs/campaign-pages.md).

Public pages, no account, no JavaScript: `/c/{name}` (zones, progress bars, the offline map, the
pledge form), `/c/{name}/confirm?token=` and `/c/{name}/withdraw?token=` — a GET only shows a button
(mail scanners fetch links), the POST does it. Public forms carry the double-submit token and are
rate-limited per client address (`web.coop_access`).

Manager pages under `/portal/coop` (coop-manager of the tenant, operators): the campaigns, a campaign
(zones with their editable counts, the ledger, the pledges, CSV), a zone's design with its candidates
side by side (a GET form re-runs the what-if with other model inputs) and "order this design".
Every page calls `unilink.usecases.campaigns` / `unilink.usecases.coop_design`.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from unilink.errors import NotFoundError, UnilinkError, ValidationError
from unilink.usecases import campaigns, zone_orders
from unilink.web import coop_views, views
from unilink.web.coop_access import (
    FORM_FIELD,
    campaign_scope,
    campaign_writer_scope,
    check_form_token,
    check_public_rate,
    form_token,
    keep_form_token,
)
from unilink.web.portal import PREFIX, PortalRoute, PrincipalDep, _base, _form, _page, _with_tenant
from unilink.web.zone_map import zone_map_svg

NAME = r"^[a-z0-9][a-z0-9-]{1,62}$"
CampaignName = Annotated[str, views.PathParam(pattern=NAME)]
ZoneName = Annotated[str, views.PathParam(min_length=1, max_length=64)]
PledgeId = Annotated[str, views.PathParam(pattern=r"^[0-9a-f]{8,32}$")]
TokenQuery = Annotated[str, Query(min_length=1, max_length=200)]
M = 10**6
PLEDGE_FIELDS = ("name", "email", "address", "lat", "lon", "plan", "deposit", "shares", "voucher")
# the use case's field → the form's input
FORM_FIELD_OF = {"deposit_cents": "deposit", "voucher_cents": "voucher", "body": "name"}
# what a resident reads beside the field (the use case's own message and what it accepts follow)
FIELD_HELP = {
    "name": "Please give your name, as the cooperative should write it.",
    "email": "Please check your e-mail address: we send the confirmation link there.",
    "address": "Please give the postal address of the home to connect (one pledge per home).",
    "lat": "These coordinates are not inside a zone of this campaign. Check them (see “Finding your "
           "coordinates”), or ask the cooperative whether your home is covered.",
    "lon": "Please check the longitude: degrees east, e.g. 1.7969.",
    "plan": "Please choose one of the plans offered.",
    "deposit": "The deposit is an amount in euros, e.g. 10 or 12.50 (or leave it empty).",
    "shares": "Member shares are a whole number (or leave it empty).",
    "voucher": "The voucher is an amount in euros (or leave it empty).",
}

public_router = APIRouter(prefix="/c", route_class=PortalRoute, include_in_schema=False)
router = APIRouter(prefix=f"{PREFIX}/coop", route_class=PortalRoute, include_in_schema=False)


# -- public: the campaign page and the pledge ---------------------------------------------------------

def _public_page(request: Request, view: dict[str, Any], *, form: dict[str, str] | None = None,
                 error: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    token = form_token(request)
    context = {"view": view, "zones": coop_views.public_zone_rows(view), "map": Markup(zone_map_svg(view["zones"])),
               "form": form or {}, "error": error, "error_field": (error or {}).get("input"),
               "form_token": token, "FORM_FIELD": FORM_FIELD, "user": None}
    response = _page(request, "campaign_public.html", context, status_code=status_code)
    keep_form_token(response, request, token)
    return response


@public_router.get("/{name}")
def public_campaign(name: CampaignName, request: Request) -> HTMLResponse:
    return _public_page(request, campaigns.public_view(_store(request), name))


@public_router.post("/{name}/pledge")
async def public_pledge(name: CampaignName, request: Request) -> Response:
    fields = await _form(request)
    check_form_token(request, fields)
    check_public_rate(request)
    store = _store(request)
    kept = {key: fields.get(key, "")[:300] for key in PLEDGE_FIELDS}
    try:
        made = await run_in_threadpool(campaigns.pledge, store, name, pledge_body(fields))
    except UnilinkError as exc:
        view = await run_in_threadpool(campaigns.public_view, store, name)
        return _public_page(request, view, form=kept, error=pledge_error(exc), status_code=exc.http_status)
    return _page(request, "campaign_pledged.html", {"user": None, "made": made, "name": name})


def pledge_body(fields: dict[str, str]) -> dict[str, Any]:
    """The form's text → the pledge's JSON body (euros → cents); a number that is not one names its input."""
    body: dict[str, Any] = {key: fields.get(key, "").strip() for key in ("name", "email", "address", "plan")}
    body["lat"] = _number(fields.get("lat", ""), "lat")
    body["lon"] = _number(fields.get("lon", ""), "lon")
    body["deposit_cents"] = _euros(fields.get("deposit", ""), "deposit_cents")
    body["voucher_cents"] = _euros(fields.get("voucher", ""), "voucher_cents")
    shares = fields.get("shares", "").strip()
    if shares and not shares.isdigit():
        raise ValidationError("not a whole number", field="shares", value=shares, accepted="0, 1, 2, …")
    body["shares"] = int(shares) if shares else 0
    return body


def _number(text: str, field: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValidationError("not a number of degrees", field=field, value=text[:40],
                              accepted="decimal degrees, e.g. 48.8672") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationError("not a number of degrees", field=field, value=text[:40])
    return value


def _euros(text: str, field: str) -> int:
    text = text.strip().replace(",", ".").removeprefix("€").strip()
    if not text:
        return 0
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError("not an amount in euros", field=field, value=text[:40],
                              accepted="e.g. 10 or 12.50") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or amount > 1_000_000:
        raise ValidationError("not an amount in euros", field=field, value=text[:40],
                              accepted="euros with at most 2 decimals, e.g. 12.50")
    return int(amount * 100)


def pledge_error(exc: UnilinkError) -> dict[str, Any]:
    """The refusal as the page shows it: the input it concerns and the words for a resident."""
    error = views.error_dict(exc)
    field = str(exc.field or "")
    field = FORM_FIELD_OF.get(field, field)
    error["input"] = field if field in PLEDGE_FIELDS else None
    error["help"] = FIELD_HELP.get(field) if error["input"] else None
    return error


# -- public: the links of the e-mail ----------------------------------------------------------------------

ACTIONS = {"confirm": ("Confirm my pledge", campaigns.confirm_pledge),
           "withdraw": ("Withdraw my pledge", campaigns.withdraw_pledge)}


def _token_page(request: Request, name: str, action: str, token: str, *, done: dict[str, Any] | None = None,
                error: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    form_value = form_token(request)
    response = _page(request, "campaign_token.html", {
        "user": None, "name": name, "action": action, "button": ACTIONS[action][0], "token": token,
        "done": done, "error": error, "form_token": form_value, "FORM_FIELD": FORM_FIELD}, status_code=status_code)
    keep_form_token(response, request, form_value)
    return response


@public_router.get("/{name}/confirm")
def confirm_page(name: CampaignName, request: Request, token: TokenQuery) -> HTMLResponse:
    return _token_page(request, name, "confirm", token)  # nothing changes on a GET (mail scanners fetch links)


@public_router.get("/{name}/withdraw")
def withdraw_page(name: CampaignName, request: Request, token: TokenQuery) -> HTMLResponse:
    return _token_page(request, name, "withdraw", token)


@public_router.post("/{name}/confirm")
async def confirm(name: CampaignName, request: Request) -> Response:
    return await _spend_token(name, request, "confirm")


@public_router.post("/{name}/withdraw")
async def withdraw(name: CampaignName, request: Request) -> Response:
    return await _spend_token(name, request, "withdraw")


async def _spend_token(name: str, request: Request, action: str) -> Response:
    fields = await _form(request)
    check_form_token(request, fields)
    check_public_rate(request)
    token = fields.get("token", "")[:200]
    try:
        done = await run_in_threadpool(ACTIONS[action][1], _store(request), token)
    except UnilinkError as exc:
        return _token_page(request, name, action, token, error=views.error_dict(exc), status_code=exc.http_status)
    return _token_page(request, done.get("campaign", name), action, "", done=done)


# -- manager pages ---------------------------------------------------------------------------------------

def _store(request: Request) -> Any:
    return request.app.state.store_holder.get()


def _link(principal: Any, path: str) -> str:
    return _with_tenant(f"{PREFIX}/coop{path}", principal, None)


@router.get("")
def campaigns_page(request: Request, principal: PrincipalDep) -> HTMLResponse:
    rows = campaigns.list_campaigns(_store(request), tenant=campaign_scope(principal))
    return _page(request, "coop_campaigns.html", {**_base(principal, None, "coop"), "rows": rows})


def _manager_context(store: Any, principal: Any, name: str) -> dict[str, Any]:
    scope = campaign_scope(principal)
    view = campaigns.manager_view(store, name, tenant=scope)
    pledges = campaigns.pledges(store, name, tenant=scope)
    return {**_base(principal, None, "coop"), "view": view, "ledger": campaigns.ledger(store, name, tenant=scope),
            "pledges": pledges, "map": Markup(zone_map_svg(view["zones"], title=f"Zones of {view['title']}")),
            "can_write": principal.can_write and principal.role.value != "operator-viewer",
            "error": None, "error_zone": None, "notice": None, "edit": {}}


@router.get("/{name}")
def campaign_page(name: CampaignName, request: Request, principal: PrincipalDep,
                  done: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    context = _manager_context(_store(request), principal, name)
    context["notice"] = NOTICES.get(done or "")
    return _page(request, "coop_campaign.html", context)


NOTICES = {"edited": "The zone is changed.", "withdrawn": "The pledge is withdrawn.",
           "extended": "The deadline is moved."}


@router.post("/{name}/zones/{zone}")
async def edit_zone(name: CampaignName, zone: ZoneName, request: Request, principal: PrincipalDep) -> Response:
    scope = campaign_writer_scope(principal)
    fields = await _form(request)
    store = _store(request)
    try:
        changes = zone_changes(fields)
        await run_in_threadpool(functools.partial(campaigns.edit_zone, store, name, zone, changes, tenant=scope,
                                                  actor=principal.subject))
    except UnilinkError as exc:
        context = await run_in_threadpool(_manager_context, store, principal, name)
        context.update(error=views.error_dict(exc), error_zone=zone, edit=fields)
        return _page(request, "coop_campaign.html", context, status_code=exc.http_status)
    return RedirectResponse(_link(principal, f"/{name}?done=edited"), status_code=303)


def zone_changes(fields: dict[str, str]) -> dict[str, Any]:
    """The zone form → `edit_zone` changes: only what differs from what the form was drawn with."""
    changes: dict[str, Any] = {}
    for key in ("homes_passed", "target"):
        text = fields.get(key, "").strip()
        if text == fields.get(f"was_{key}", "").strip():
            continue
        if not text.isdigit():
            raise ValidationError("not a whole number", field=key, value=text[:40], accepted="1, 2, 3, …")
        changes["homes_passed" if key == "homes_passed" else "target"] = (
            int(text) if key == "homes_passed" else {"subscribers": int(text)})
    source = fields.get("homes_source", "").strip()
    if source != fields.get("was_homes_source", "").strip() or "homes_passed" in changes:
        changes["homes_source"] = source
    if not changes:
        raise ValidationError("nothing was changed", field="homes_passed", value=None,
                              accepted="a new count of homes passed (with its source) or a new target")
    return changes


@router.post("/{name}/pledges/{pledge_id}/withdraw")
async def manager_withdraw(name: CampaignName, pledge_id: PledgeId, request: Request,
                           principal: PrincipalDep) -> Response:
    scope = campaign_writer_scope(principal)
    await _form(request)
    await run_in_threadpool(functools.partial(campaigns.withdraw_by_manager, _store(request), name, pledge_id,
                                              tenant=scope, actor=principal.subject))
    return RedirectResponse(_link(principal, f"/{name}?done=withdrawn"), status_code=303)


@router.post("/{name}/extend")
async def extend(name: CampaignName, request: Request, principal: PrincipalDep) -> Response:
    scope = campaign_writer_scope(principal)
    fields = await _form(request)
    until = fields.get("until", "").strip()
    until = f"{until}:00+00:00" if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", until) else until
    await run_in_threadpool(functools.partial(campaigns.extend, _store(request), name, until=until,
                                              zone=fields.get("zone") or None, tenant=scope, actor=principal.subject))
    return RedirectResponse(_link(principal, f"/{name}?done=extended"), status_code=303)


@router.get("/{name}/pledges.csv")
def pledges_csv(name: CampaignName, request: Request, principal: PrincipalDep) -> Response:
    text = campaigns.pledges_csv(_store(request), name, tenant=campaign_scope(principal))
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}-pledges.csv"'})


# -- a zone's design ----------------------------------------------------------------------------------------

def model_query(busy_hour_mbps: str | None, peak_factor: str | None, members: str | None) -> dict[str, Any]:
    """The what-if form's text → the design's inputs (empty: the default)."""
    out: dict[str, Any] = {"busy_hour_bps": None, "peak_factor": None, "members": None}
    for key, text in (("busy_hour_bps", busy_hour_mbps), ("peak_factor", peak_factor), ("members", members)):
        text = (text or "").strip().replace(",", ".")
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 < value < 1e9:
            raise ValidationError("not a positive number", field=key, value=text[:40], accepted="e.g. 2.4, 1.25, 120")
        out[key] = round(value * M) if key == "busy_hour_bps" else int(value) if key == "members" else value
    return out


def _zone_or_404(view: dict[str, Any], zone: str) -> dict[str, Any]:
    found = coop_views.zone_of(view, zone)
    if found is None:
        raise NotFoundError("no such zone in this campaign", field="zone", value=zone)
    return found


@router.get("/{name}/zones/{zone}/design")
def design_page(name: CampaignName, zone: ZoneName, request: Request, principal: PrincipalDep,
                busy_hour_mbps: Annotated[str | None, Query(max_length=20)] = None,
                peak_factor: Annotated[str | None, Query(max_length=20)] = None,
                members: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    store = _store(request)
    view = campaigns.manager_view(store, name, tenant=campaign_scope(principal))
    found = _zone_or_404(view, zone)
    inputs = model_query(busy_hour_mbps, peak_factor, members)
    design = zone_orders.redesign_zone(store, name, zone, tenant=view["tenant"], **inputs)
    return _page(request, "coop_design.html", {
        **_base(principal, None, "coop"), "view": view, "zone": found, "design": design,
        "candidates": coop_views.candidate_rows(design), "model": coop_views.model_inputs(design),
        "asked": {"busy_hour_mbps": busy_hour_mbps or "", "peak_factor": peak_factor or "", "members": members or ""},
        "can_write": principal.role.value in ("operator-admin", "coop-manager")})


@router.post("/{name}/zones/{zone}/order")
async def order(name: CampaignName, zone: ZoneName, request: Request, principal: PrincipalDep) -> Response:
    scope = campaign_writer_scope(principal)
    fields = await _form(request)
    store = _store(request)
    view = await run_in_threadpool(functools.partial(campaigns.manager_view, store, name, tenant=scope))
    found = _zone_or_404(view, zone)
    inputs = model_query(fields.get("busy_hour_mbps"), fields.get("peak_factor"), fields.get("members"))
    candidate = fields.get("candidate", "")
    if not candidate.isdigit():
        raise ValidationError("choose a candidate", field="candidate", value=candidate[:20], accepted="0, 1, 2, …")
    inputs.pop("members")  # an order is sized for the zone's members; the count is a what-if's only
    result = await run_in_threadpool(functools.partial(
        zone_orders.order_zone, store, name, zone, tenant=view["tenant"], candidate=int(candidate),
        actor=principal.subject, **inputs))
    plan_link = _with_tenant(f"{PREFIX}/plans/{quote(str(result['plan_id']))}", principal, view["tenant"])
    return _page(request, "coop_ordered.html", {**_base(principal, None, "coop"), "view": view, "zone": found,
                                                "result": result, "plan_link": plan_link})


def mount(app: FastAPI) -> None:
    """Add the public campaign pages and the manager's pages (called by `web.portal.mount_portal`)."""
    app.include_router(router)
    app.include_router(public_router)
