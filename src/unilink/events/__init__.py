"""Events: what happened (order and change state changes, capacity alarms, drift), published to
webhooks (HMAC-signed, retried with back-off, every attempt logged) and to the portal's SSE stream.

    from unilink.events import publish
    publish(store, "change.applied", tenant="acme", data={"plan_id": ..., "version": 7})

Events are rows of the `events` table, so a change applied by a local CLI reaches a running server's
stream and webhooks too: the server tails the table.
"""

from unilink.events.model import EVENT_TYPES, Event
from unilink.events.publish import publish

__all__ = ["EVENT_TYPES", "Event", "publish"]
