"""TM Forum event hubs (`POST {basePath}/hub`, `DELETE {basePath}/hub/{id}`): a registration is a webhook
of the native machinery (`store.webhook_repo`, delivered by `events.webhooks`, retried and logged the
same way) for the API's event types, plus the subscription as TMF shows it (`store.tmf_repo`).

The callback gets each event as the spec defines it (`events.model.Event.wire`: the TMF event is the
body). A hub counts towards the tenant's webhook cap, and its callback passes the same egress policy
as any webhook (checked by the adapter before `register`). `query` may narrow the event types:
`eventType=ServiceOrderStateChangeEvent` (several: comma-separated); empty means every type of the API.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from unilink.errors import ConflictError, NotFoundError, ValidationError
from unilink.events.webhooks import MAX_HOOKS_PER_TENANT
from unilink.store import tmf_repo, webhook_repo

EVENT_TYPES_OF: dict[str, tuple[str, ...]] = {
    "serviceOrdering": ("ServiceOrderCreateEvent", "ServiceOrderStateChangeEvent",
                        "ServiceOrderAttributeValueChangeEvent", "CancelServiceOrderCreateEvent",
                        "CancelServiceOrderStateChangeEvent"),
    "serviceInventory": ("ServiceCreateEvent", "ServiceAttributeValueChangeEvent", "ServiceDeleteEvent"),
    "serviceCatalog": ("ServiceSpecificationChangeEvent",),
}


def event_types(api: str, query: str | None) -> list[str]:
    """The event types a registration's `query` asks for (all of the API's when it names none)."""
    offered = EVENT_TYPES_OF[api]
    if query is None or not query.strip():
        return list(offered)
    key, _, value = query.strip().partition("=")
    names = [v.strip() for v in value.split(",") if v.strip()]
    if key.strip() != "eventType" or not names or any(n not in offered for n in names):
        raise ValidationError("unknown event query", field="query", value=query,
                              accepted="empty, or eventType=<one or more of " + ", ".join(offered) + ">")
    return names


def register(store: Any, *, api: str, scope: str | None, callback: str, query: str | None,
             now: datetime | None = None) -> dict[str, Any]:
    """A hub registration of `scope` (a tenant; None: an operator's, for every tenant's events)."""
    now = now or store.clock.now()
    types = event_types(api, query)
    hub_id = str(uuid.uuid4())
    with store.session(write=True) as session:
        count = webhook_repo.count_hooks_locked(session, scope)
        if count >= MAX_HOOKS_PER_TENANT:
            raise ConflictError(f"{count} webhooks and hubs already, the most there may be", field="callback",
                                value=callback, accepted=f"at most {MAX_HOOKS_PER_TENANT} webhooks and hubs per "
                                "tenant: unregister one first (DELETE .../hub/ID)")
        # TMF callbacks have no shared secret: the signature is still sent, with a key nobody is told
        hook = webhook_repo.add_hook(session, tenant=scope, url=callback, secret=secrets.token_hex(32),
                                     event_types=types, created_at=now)
        tmf_repo.add_hub(session, hub_id=hub_id, api=api, tenant=scope, webhook_id=hook.id, callback=callback,
                         query=query, at=now)
    return {"id": hub_id, "callback": callback, **({"query": query} if query is not None else {})}


def unregister(store: Any, *, api: str, hub_id: str, caller_tenant: str | None) -> str | None:
    """Remove a registration (and its webhook); the tenant it belonged to. Another tenant's is a 404."""
    with store.session(write=True) as session:
        row = tmf_repo.hub(session, hub_id)
        if row is None or row.api != api or (caller_tenant is not None and row.tenant != caller_tenant):
            raise NotFoundError("no such hub registration", field="id", value=hub_id,
                                accepted="the id POST /hub answered")
        hook = webhook_repo.hook(session, row.webhook_id)
        if hook is not None:
            webhook_repo.delete_hook(session, hook)
        tmf_repo.delete_hub(session, hub_id)
        return row.tenant
