"""Delivering events to webhooks: signed POSTs, retried with exponential back-off, every attempt logged.

`WebhookDispatcher.run_due()` sends every delivery whose time has come, once; the server calls it
from a background thread (`start()`), tests call it directly. Several server processes can run it at
once: a delivery is claimed by moving its `next_attempt_at` forward with a conditional UPDATE, and only
the process whose UPDATE matched sends it.

Before each attempt the URL is checked again by the egress policy (`unilink.events.egress`): the host
is resolved, every address checked, and the POST goes to the checked address (the name travels in
`Host` and, for https, in SNI and the certificate check). A refusal is a failed attempt in the log.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import select, update

from unilink.events.egress import EgressPolicy, WebhookTargetRefused
from unilink.events.publish import row_to_event
from unilink.events.signing import SIGNATURE_HEADER, sign
from unilink.store.tables.auth import EventRow, WebhookAttemptRow, WebhookDeliveryRow, WebhookRow

if TYPE_CHECKING:
    from unilink.store.db import Store

log = logging.getLogger("unilink.webhooks")

MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_delay_s: float = 2.0   # wait after the first failure; doubles after each further one
    max_delay_s: float = 3600.0
    max_attempts: int = 8       # then the delivery is marked failed
    timeout_s: float = 5.0      # per HTTP attempt
    lease_s: float = 60.0       # how long a claimed delivery is hidden from other processes

    def delay_after(self, attempts: int) -> float:
        return min(self.max_delay_s, self.base_delay_s * 2 ** max(0, attempts - 1))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebhookDispatcher:
    def __init__(self, store: Store, policy: RetryPolicy | None = None, client: httpx.Client | None = None, *,
                 egress: EgressPolicy | None = None) -> None:
        self.store = store
        self.policy = policy or RetryPolicy()
        self.egress = egress if egress is not None else EgressPolicy.from_env()
        self._client = client or httpx.Client(timeout=self.policy.timeout_s, follow_redirects=False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self, now: datetime | None = None) -> int:
        """Attempt every pending delivery that is due; return how many were attempted."""
        moment = now or _utcnow()
        with self.store.session() as session:
            due = session.execute(
                select(WebhookDeliveryRow.id, WebhookDeliveryRow.next_attempt_at)
                .where(WebhookDeliveryRow.state == "pending", WebhookDeliveryRow.next_attempt_at <= moment)
                .order_by(WebhookDeliveryRow.id).limit(100)
            ).all()
        attempted = 0
        for delivery_id, planned in due:
            if self._claim(delivery_id, planned, moment):
                self._attempt(delivery_id)
                attempted += 1
        return attempted

    def _claim(self, delivery_id: int, planned: datetime, moment: datetime) -> bool:
        with self.store.session(write=True) as session:
            result = session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.state == "pending",
                       WebhookDeliveryRow.next_attempt_at == planned)
                .values(next_attempt_at=moment + timedelta(seconds=self.policy.lease_s))
            )
            return result.rowcount == 1

    def _attempt(self, delivery_id: int) -> None:
        with self.store.session() as session:
            delivery = session.get(WebhookDeliveryRow, delivery_id)
            hook = session.get(WebhookRow, delivery.webhook_id) if delivery else None
            event_row = session.get(EventRow, delivery.event_id) if delivery else None
            if delivery is None or hook is None or event_row is None:
                return
            url, secret, event = hook.url, hook.secret, row_to_event(event_row)
        body = json.dumps(event.to_dict(), separators=(",", ":"), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
                   "X-Unilink-Event": event.type, "X-Unilink-Delivery": str(delivery_id),
                   "User-Agent": "unilink-webhooks/1"}
        started = time.perf_counter()
        status, error = self._post(url, body, headers)
        self._record(delivery_id, status, error, (time.perf_counter() - started) * 1000)

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        """(HTTP status, error or None); the URL is checked (and its name resolved) right before connecting."""
        try:
            target = self.egress.check(url)
        except WebhookTargetRefused as exc:
            return None, f"refused by the webhook policy: {exc.why}"[:MAX_ERROR_CHARS]
        try:
            response = self._client.post(target.request_url(), content=body, headers={**headers, **target.headers()},
                                         extensions=target.extensions())
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        status = response.status_code
        return status, None if 200 <= status < 300 else f"HTTP {status}"

    def _record(self, delivery_id: int, status: int | None, error: str | None, duration_ms: float) -> None:
        now = _utcnow()
        with self.store.session(write=True) as session:
            delivery = session.get(WebhookDeliveryRow, delivery_id)
            if delivery is None:
                return
            delivery.attempts += 1
            session.add(WebhookAttemptRow(delivery_id=delivery_id, attempt=delivery.attempts, at=now, status=status,
                                          error=error, duration_ms=round(duration_ms, 3)))
            delivery.last_status, delivery.last_error = status, error
            if error is None:
                delivery.state, delivery.delivered_at = "delivered", now
            elif delivery.attempts >= self.policy.max_attempts:
                delivery.state = "failed"
                log.warning("webhook delivery %s failed after %s attempts: %s", delivery_id, delivery.attempts, error)
            else:
                delivery.next_attempt_at = now + timedelta(seconds=self.policy.delay_after(delivery.attempts))

    # -- background thread (the server) ---------------------------------------------------------

    def start(self, interval_s: float = 0.5) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(interval_s,), name="webhooks", daemon=True)
        self._thread.start()

    def _loop(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.run_due()
            except Exception:  # a broken database must not kill the thread: log and try again later
                log.exception("webhook dispatch failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._client.close()
