"""Events (list and server-sent-events stream) and webhooks (register, list, delete, deliveries, test).

The stream tails the `events` table, so events published by any process (another server worker, a
local CLI apply) reach it. `Last-Event-ID` (sent by browsers on reconnect) resumes after that event.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from unilink.api.accounts import as_utc, utcnow
from unilink.api.authn import live_prefixes
from unilink.api.deps import PrincipalDep, StoreDep, TenantQuery, WriterDep, mark_tenant, visible_tenant
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.api.schemas import AttemptOut, DeliveryOut, EventOut, WebhookCreate, WebhookOut
from unilink.api.security import Principal
from unilink.errors import ConflictError, NotFoundError, ValidationError
from unilink.events.model import EVENT_TYPES, Event
from unilink.events.publish import events_after, publish
from unilink.events.webhooks import MAX_HOOKS_PER_TENANT
from unilink.store.db import Store
from unilink.store.tables.auth import EventRow, WebhookAttemptRow, WebhookDeliveryRow, WebhookRow
from unilink.store.tables.tenancy import Tenant

router = APIRouter(prefix="/api/v1", tags=["events"], responses=PROBLEM_RESPONSES)

POLL_INTERVAL_S = 0.25
HEARTBEAT_S = 15.0


@router.get("/events", response_model=list[EventOut], summary="Recent events, oldest first, after an id")
def list_events(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None,
                after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, object]]:
    scope = visible_tenant(principal, tenant)
    with store.session() as session:
        return [e.to_dict() for e in events_after(session, after, tenant=scope, operator=principal.is_operator,
                                                  limit=limit)]


@router.get("/events/stream", summary="Server-sent events: every event you may see, as it happens",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "an endless event stream"}})
async def stream_events(request: Request, principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None,
                        last_event_id: Annotated[str | None, Header(max_length=20)] = None,
                        follow: Annotated[bool, Query(description="false: send what is there, then close")] = True,
                        ) -> StreamingResponse:
    scope = visible_tenant(principal, tenant)
    start = await run_in_threadpool(_start_id, store, last_event_id)
    return StreamingResponse(_sse(request, store, principal, scope, start, follow), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _start_id(store: Store, last_event_id: str | None) -> int:
    """Resume after Last-Event-ID; a new subscriber starts with what happens from now on."""
    if last_event_id is not None:
        if not last_event_id.isdigit():
            raise ValidationError("Last-Event-ID must be an event id", field="header.last-event-id",
                                  value=last_event_id, accepted="a non-negative integer")
        return int(last_event_id)
    with store.session() as session:
        return session.scalar(select(func.max(EventRow.id))) or 0


async def _sse(request: Request, store: Store, principal: Principal, scope: str | None, after: int,
               follow: bool) -> AsyncIterator[str]:
    yield f"retry: 2000\n: subscribed after event {after}\n\n"
    idle_s = 0.0
    while True:
        batch = await run_in_threadpool(_batch, store, after, scope, principal)
        if batch is None:  # the token was revoked while the stream was open: it ends (a reconnect gets 401)
            yield ": the token was revoked\n\n"
            return
        for event in batch:
            after = event.id
            yield f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(event.to_dict())}\n\n"
        if not follow or await request.is_disconnected():
            return
        if batch:
            idle_s = 0.0
        else:
            idle_s += POLL_INTERVAL_S
            if idle_s >= HEARTBEAT_S:  # keeps proxies from closing an idle connection
                idle_s = 0.0
                yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_INTERVAL_S)


def _batch(store: Store, after: int, scope: str | None, principal: Principal) -> list[Event] | None:
    """The next events, or None once the caller's token is no longer valid (checked at every poll)."""
    if principal.token_prefix is not None and not live_prefixes(store, [principal.token_prefix]):
        return None
    with store.session() as session:
        return events_after(session, after, tenant=scope, operator=principal.is_operator, limit=500)


# -- webhooks --------------------------------------------------------------------------------------

def _hook_out(row: WebhookRow) -> WebhookOut:
    return WebhookOut(id=row.id, tenant=row.tenant, url=row.url, event_types=list(row.event_types or []),
                      active=row.active, created_at=as_utc(row.created_at))


def _visible_hook(store_session: object, principal: Principal, hook_id: int) -> WebhookRow:
    row = store_session.get(WebhookRow, hook_id)  # type: ignore[attr-defined]
    if row is None or (not principal.is_operator and row.tenant != principal.tenant):
        raise NotFoundError("no such webhook", field="id", value=hook_id, accepted="the id of one of your webhooks")
    return row


HookId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/webhooks", response_model=list[WebhookOut], summary="Webhooks (secrets are never shown)")
def list_webhooks(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None) -> list[WebhookOut]:
    scope = visible_tenant(principal, tenant)
    query = select(WebhookRow).order_by(WebhookRow.id)
    if scope is not None:
        query = query.where(WebhookRow.tenant == scope)
    with store.session() as session:
        return [_hook_out(r) for r in session.scalars(query)]


@router.post("/webhooks", response_model=WebhookOut, status_code=201,
             summary="Register a webhook: events are POSTed to it, signed with HMAC-SHA256 of the secret")
def create_webhook(body: WebhookCreate, request: Request, principal: WriterDep, store: StoreDep,
                   tenant: TenantQuery = None) -> WebhookOut:
    scope = visible_tenant(principal, tenant)  # operators without ?tenant=: a hook for every tenant's events
    unknown = [t for t in body.event_types if t not in EVENT_TYPES]
    if unknown:
        raise ValidationError("unknown event type", field="event_types", value=unknown[0],
                              accepted=", ".join(EVENT_TYPES))
    mark_tenant(request, scope)
    request.app.state.webhook_egress.check(body.url)  # 422 naming `url`: no internal address (SSRF)
    with store.session(write=True) as session:
        _check_hook_cap(session, scope)
        row = WebhookRow(tenant=scope, url=body.url, secret=body.secret, event_types=body.event_types, active=True,
                         created_at=utcnow())
        session.add(row)
        session.flush()
        return _hook_out(row)


def _check_hook_cap(session: Session, scope: str | None) -> None:
    """At most MAX_HOOKS_PER_TENANT webhooks per tenant (operator hooks: the same, as one scope)."""
    if scope is not None:  # PostgreSQL: two registrations of one tenant count one after the other
        session.execute(select(Tenant.id).where(Tenant.name == scope).with_for_update())
    owned = WebhookRow.tenant.is_(None) if scope is None else WebhookRow.tenant == scope
    count = session.scalar(select(func.count()).select_from(WebhookRow).where(owned)) or 0
    if count >= MAX_HOOKS_PER_TENANT:
        whose = f"tenant {scope}" if scope is not None else "the operator (hooks for every tenant)"
        raise ConflictError(f"{whose} has {count} webhooks, the most there may be", field="webhooks", value=count,
                            accepted=f"at most {MAX_HOOKS_PER_TENANT} webhooks per tenant: delete one first "
                                     "(DELETE /api/v1/webhooks/ID)")


@router.delete("/webhooks/{hook_id}", status_code=204, summary="Delete a webhook")
def delete_webhook(hook_id: HookId, request: Request, principal: WriterDep, store: StoreDep) -> None:
    with store.session(write=True) as session:
        row = _visible_hook(session, principal, hook_id)
        mark_tenant(request, row.tenant)
        session.delete(row)


@router.get("/webhooks/{hook_id}/deliveries", response_model=list[DeliveryOut],
            summary="The delivery log of a webhook, newest first")
def list_deliveries(hook_id: HookId, principal: PrincipalDep, store: StoreDep,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeliveryOut]:
    with store.session() as session:
        _visible_hook(session, principal, hook_id)
        rows = session.execute(
            select(WebhookDeliveryRow, EventRow.type).join(EventRow, EventRow.id == WebhookDeliveryRow.event_id)
            .where(WebhookDeliveryRow.webhook_id == hook_id).order_by(WebhookDeliveryRow.id.desc()).limit(limit)
        ).all()
        log = _attempts(session, [d.id for d, _ in rows])
        return [DeliveryOut(id=d.id, event_id=d.event_id, event_type=t, state=d.state, attempts=d.attempts,
                            last_status=d.last_status, last_error=d.last_error,
                            next_attempt_at=as_utc(d.next_attempt_at), delivered_at=as_utc(d.delivered_at),
                            log=log.get(d.id, []))
                for d, t in rows]


def _attempts(session: Session, delivery_ids: list[int]) -> dict[int, list[AttemptOut]]:
    """Each delivery's attempts, first to last (one query for the whole page)."""
    log: dict[int, list[AttemptOut]] = {}
    rows = session.scalars(select(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(delivery_ids))
                           .order_by(WebhookAttemptRow.delivery_id, WebhookAttemptRow.attempt))
    for row in rows:
        log.setdefault(row.delivery_id, []).append(AttemptOut(attempt=row.attempt, at=as_utc(row.at),
                                                              status=row.status, error=row.error,
                                                              duration_ms=row.duration_ms))
    return log


@router.post("/webhooks/{hook_id}/test", response_model=EventOut, status_code=202,
             summary="Send a webhook.test event to this webhook only, to check its receiver")
def test_webhook(hook_id: HookId, request: Request, principal: WriterDep, store: StoreDep) -> dict[str, object]:
    with store.session() as session:
        row = _visible_hook(session, principal, hook_id)
        tenant = row.tenant
    mark_tenant(request, tenant)
    # one delivery, to this hook (whatever event types it asked for); the tenant's other hooks and the
    # operator's hooks get nothing: a test is not an event of the tenant's network
    return publish(store, "webhook.test", tenant=tenant, data={"webhook": hook_id}, only_hook=hook_id).to_dict()
