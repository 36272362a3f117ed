"""The event stream: every event a caller may see, as it happens, as server-sent events.

The API (`GET /api/v1/events/stream`, a bearer token) and the portal (`/portal/events`, the session
cookie: EventSource cannot send a header) answer with the same stream. It tails the `events` table,
so events published by any process (another server worker, a local CLI apply) reach it.
`Last-Event-ID` (sent by browsers on reconnect) resumes after that event.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from unilink.access.authn import live_prefixes
from unilink.access.security import Principal
from unilink.errors import ValidationError
from unilink.events.model import Event
from unilink.events.publish import events_after
from unilink.store import event_log_repo
from unilink.store.db import Store

POLL_INTERVAL_S = 0.25
HEARTBEAT_S = 15.0
BATCH_EVENTS = 500


async def event_stream(request: Request, store: Store, principal: Principal, scope: str | None,
                       last_event_id: str | None, follow: bool) -> StreamingResponse:
    """The stream of `scope`'s events (None: every tenant's, for operators) after Last-Event-ID, or
    from now on; `follow` False: what is there, then the end."""
    start = await run_in_threadpool(start_id, store, last_event_id)
    return StreamingResponse(_sse(request, store, principal, scope, start, follow), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def start_id(store: Store, last_event_id: str | None) -> int:
    """Resume after Last-Event-ID; a new subscriber starts with what happens from now on."""
    if last_event_id is not None:
        if not last_event_id.isdigit():
            raise ValidationError("Last-Event-ID must be an event id", field="header.last-event-id",
                                  value=last_event_id, accepted="a non-negative integer")
        return int(last_event_id)
    with store.session() as session:
        return event_log_repo.last_event_id(session)


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
        return events_after(session, after, tenant=scope, operator=principal.is_operator, limit=BATCH_EVENTS)
