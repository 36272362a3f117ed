"""Delivering the outbox to the publishers (`events.publish`: the `events` table the streams tail, and
the webhook deliveries): after every change's commit, and on start-up for rows a process left behind.

At least once, in order: each row becomes one event in the transaction that marks it delivered (a
row is never half-delivered); two processes draining at once meet on the claim (`outbox_repo.claim`)
and only one delivers. A row whose delivery fails is retried on the next drain, up to MAX_ATTEMPTS;
meanwhile the later rows of the same tenant wait, so that a tenant's events keep their order.
"""

from __future__ import annotations

import logging
from typing import Any

from unilink.events.publish import publish_in
from unilink.store import outbox_repo

MAX_ATTEMPTS = 5
BATCH = 200
log = logging.getLogger(__name__)


class _DeliveredElsewhere(Exception):
    """Another process claimed the row first: undo this copy of its event."""


def deliver_pending(store: Any, *, batch: int = BATCH) -> int:
    """Deliver every pending outbox row, oldest first; how many were delivered."""
    total = 0
    while True:
        delivered, full = _deliver_batch(store, batch)
        total += delivered
        if not (full and delivered):
            return total


def _deliver_batch(store: Any, batch: int) -> tuple[int, bool]:
    """One transaction: up to `batch` rows → events. (delivered, whether the batch was full)."""
    with store.session(write=True) as session:
        messages = outbox_repo.pending(session, limit=batch, max_attempts=MAX_ATTEMPTS)
        held_back: set[str | None] = set()  # tenants with a failed row this round: their later rows wait
        delivered = 0
        for message in messages:
            if message.tenant in held_back:
                continue
            try:
                with outbox_repo.savepoint(session):
                    event = publish_in(session, message.topic, tenant=message.tenant, data=message.payload,
                                       at=message.created_at)
                    if not outbox_repo.claim(session, message.id, at=store.clock.now(), event_id=event.id):
                        raise _DeliveredElsewhere
                delivered += 1
            except _DeliveredElsewhere:
                continue
            except Exception as exc:  # noqa: BLE001 - one bad row must not stop the others' delivery
                log.exception("outbox row %s (%s) could not be delivered", message.id, message.topic)
                outbox_repo.failed(session, message.id, f"{type(exc).__name__}: {exc}")
                held_back.add(message.tenant)
    return delivered, len(messages) == batch
