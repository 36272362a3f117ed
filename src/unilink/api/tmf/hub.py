"""The event hub of a TMF API (`POST /hub`, `DELETE /hub/{id}`), the same for the three of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import JSONResponse, Response

from unilink.api.deps import StoreDep, TenantQuery, WriterDep, mark_tenant, visible_tenant
from unilink.api.tmf.common import read_body
from unilink.errors import ValidationError
from unilink.usecases import tmf_hubs

HubId = Annotated[str, Path(min_length=1, max_length=40)]


def add_hub_routes(router: APIRouter, api: str) -> None:
    @router.post("/hub", status_code=201, summary="Register a listener")
    def register_listener(raw: Annotated[Any, Body()], request: Request, principal: WriterDep, store: StoreDep,
                          tenant: TenantQuery = None) -> JSONResponse:
        body = read_body(raw, "EventSubscriptionInput")
        scope = visible_tenant(principal, tenant)  # operators without ?tenant=: every tenant's events
        mark_tenant(request, scope)
        callback, query = body.get("callback"), body.get("query")
        if not isinstance(callback, str) or not callback:
            raise ValidationError("a listener needs a callback", field="callback", value=callback,
                                  accepted="the URL events are POSTed to")
        if query is not None and (not isinstance(query, str) or len(query) > 500):
            raise ValidationError("not a query", field="query", value=query, accepted="eventType=<type>[,<type>]")
        try:
            request.app.state.webhook_egress.check(callback)  # no internal address (as native webhooks)
        except ValidationError as exc:
            raise ValidationError(exc.message, field="callback", value=callback, accepted=exc.accepted) from None
        answer = tmf_hubs.register(store, api=api, scope=scope, callback=callback, query=query)
        return JSONResponse(answer, status_code=201)

    @router.delete("/hub/{id}", status_code=204, summary="Unregister a listener")
    def unregister_listener(id: HubId, request: Request, principal: WriterDep, store: StoreDep) -> Response:
        caller = None if principal.is_operator else principal.tenant
        mark_tenant(request, caller)
        owner = tmf_hubs.unregister(store, api=api, hub_id=id, caller_tenant=caller)
        mark_tenant(request, owner)
        return Response(status_code=204)
