"""Events (list and server-sent-events stream) and webhooks (register, list, delete, deliveries, test).

The stream itself is `unilink.events.stream` (the portal serves the same one); the webhooks' queries
are in `unilink.store.webhook_repo`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse

from unilink.access.accounts import utcnow
from unilink.access.security import Principal
from unilink.api.deps import PrincipalDep, StoreDep, TenantQuery, WriterDep, mark_tenant, visible_tenant
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.api.schemas import AttemptOut, DeliveryOut, EventOut, WebhookCreate, WebhookOut
from unilink.errors import ConflictError, NotFoundError, ValidationError
from unilink.events.model import EVENT_TYPES
from unilink.events.publish import events_after, publish
from unilink.events.stream import event_stream
from unilink.events.webhooks import MAX_HOOKS_PER_TENANT
from unilink.store import webhook_repo
from unilink.store.tables.auth import WebhookRow
from unilink.store.types import Session

router = APIRouter(prefix="/api/v1", tags=["events"], responses=PROBLEM_RESPONSES)

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
    return await event_stream(request, store, principal, scope, last_event_id, follow)


# -- webhooks --------------------------------------------------------------------------------------

def _hook_out(row: WebhookRow) -> WebhookOut:
    return WebhookOut(id=row.id, tenant=row.tenant, url=row.url, event_types=list(row.event_types or []),
                      active=row.active, created_at=row.created_at)


def _visible_hook(session: Session, principal: Principal, hook_id: int) -> WebhookRow:
    row = webhook_repo.hook(session, hook_id)
    if row is None or (not principal.is_operator and row.tenant != principal.tenant):
        raise NotFoundError("no such webhook", field="id", value=hook_id, accepted="the id of one of your webhooks")
    return row


HookId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/webhooks", response_model=list[WebhookOut], summary="Webhooks (secrets are never shown)")
def list_webhooks(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None) -> list[WebhookOut]:
    scope = visible_tenant(principal, tenant)
    with store.session() as session:
        return [_hook_out(r) for r in webhook_repo.hooks(session, scope)]


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
        row = webhook_repo.add_hook(session, tenant=scope, url=body.url, secret=body.secret,
                                    event_types=body.event_types, created_at=utcnow())
        return _hook_out(row)


def _check_hook_cap(session: Session, scope: str | None) -> None:
    """At most MAX_HOOKS_PER_TENANT webhooks per tenant (operator hooks: the same, as one scope)."""
    count = webhook_repo.count_hooks_locked(session, scope)
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
        webhook_repo.delete_hook(session, row)


@router.get("/webhooks/{hook_id}/deliveries", response_model=list[DeliveryOut],
            summary="The delivery log of a webhook, newest first")
def list_deliveries(hook_id: HookId, principal: PrincipalDep, store: StoreDep,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeliveryOut]:
    with store.session() as session:
        _visible_hook(session, principal, hook_id)
        rows = webhook_repo.deliveries(session, hook_id, limit)
        log = _attempts(session, [d.id for d, _ in rows])
        return [DeliveryOut(id=d.id, event_id=d.event_id, event_type=t, state=d.state, attempts=d.attempts,
                            last_status=d.last_status, last_error=d.last_error,
                            next_attempt_at=d.next_attempt_at, delivered_at=d.delivered_at,
                            log=log.get(d.id, []))
                for d, t in rows]


def _attempts(session: Session, delivery_ids: list[int]) -> dict[int, list[AttemptOut]]:
    """Each delivery's attempts, first to last (one query for the whole page)."""
    log: dict[int, list[AttemptOut]] = {}
    for row in webhook_repo.attempts(session, delivery_ids):
        log.setdefault(row.delivery_id, []).append(AttemptOut(attempt=row.attempt, at=row.at,
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
