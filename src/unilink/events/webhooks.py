"""Delivering events to webhooks: signed POSTs, retried with exponential back-off, every attempt logged.

Each webhook has its own queue — its pending deliveries, oldest first — served by its own *lane*: one
delivery of that hook in flight at a time, side by side with every other hook's lane. A receiver that
is slow (answers after the timeout) or dead (never answers, refuses) holds back only its own lane, and
so only its own deliveries: another hook's, of the same tenant or another, goes out as if it were not
there. Lanes are asyncio tasks on one event-loop thread, with one HTTP connection each at most, so a
thousand slow receivers cost a thousand idle sockets, not a thousand threads; database work and DNS
run in small thread pools. After a failed attempt a hook's lane pauses for that delivery's back-off
(its receiver is likely still down), so a dead receiver costs one attempt per back-off, not one per
pending delivery. A tenant has at most `MAX_HOOKS_PER_TENANT` webhooks (registration refuses more),
which bounds its lanes and the work one tenant can put on the dispatcher.

`WebhookDispatcher.run_due()` sends every delivery whose time has come, once (lanes side by side, each
hook's in order) and returns when they are done; tests and tools call it. The server runs `start()`:
a background thread that keeps lanes going as deliveries fall due, without rounds (a new event for a
fast hook does not wait for a slow hook's attempt to end). Several server processes can dispatch at
once: a delivery is claimed by moving its `next_attempt_at` forward with a conditional UPDATE, and only
the process whose UPDATE matched sends it.

Before each attempt the URL is checked again by the egress policy (`unilink.events.egress`): the host
is resolved, every address checked, and the POST goes to the checked address (the name travels in
`Host` and, for https, in SNI and the certificate check). A refusal is a failed attempt in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from unilink.events.egress import EgressPolicy, Target, WebhookTargetRefused
from unilink.events.publish import row_to_event
from unilink.events.signing import SIGNATURE_HEADER, sign
from unilink.store import webhook_repo

if TYPE_CHECKING:
    from unilink.store.db import Store

log = logging.getLogger("unilink.webhooks")
T = TypeVar("T")

MAX_ERROR_CHARS = 500
# Webhooks one tenant may register (operator hooks, which receive every tenant's events, count as one
# more scope with the same cap). Receivers fan out on their side; ten is what Stripe-like APIs allow
# per account for distinct endpoints, and it bounds the lanes one tenant occupies.
MAX_HOOKS_PER_TENANT = 10
MAX_LANES = 1000  # hooks in flight at once in one process (and HTTP connections); more wait a poll
_DUE_PAGE = 1000  # hooks with due deliveries read per poll


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


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What one attempt sends, read from the store."""

    url: str
    body: bytes
    headers: dict[str, str]


class WebhookDispatcher:
    def __init__(self, store: Store, policy: RetryPolicy | None = None, *, egress: EgressPolicy | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, max_lanes: int = MAX_LANES) -> None:
        self.store = store
        self.policy = policy or RetryPolicy()
        self.egress = egress if egress is not None else EgressPolicy.from_env()
        self.max_lanes = max_lanes
        self._transport = transport
        self._db_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhooks-db")
        self._dns_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="webhooks-dns")
        self._paused: dict[int, float] = {}  # hook id → monotonic time before which its lane does not start
        self._paused_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    # -- one round (tests, tools) -------------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> int:
        """Attempt every pending delivery that is due at `now`, once; return how many were attempted."""
        return asyncio.run(self._round(now))

    async def _round(self, now: datetime | None) -> int:
        moment = now or _utcnow()
        due = await self._db(self._due_hooks, moment, frozenset())
        async with self._client() as client:
            counts = await asyncio.gather(*(self._lane(client, hook, moment, once=True) for hook, _ in due))
        return sum(counts)

    # -- the server's background thread -------------------------------------------------------------

    def start(self, interval_s: float = 0.5) -> None:
        if self._thread is not None:
            return
        ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve(interval_s, ready)),
                                        name="webhooks", daemon=True)
        self._thread.start()
        ready.wait(5)

    async def _serve(self, interval_s: float, ready: threading.Event) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        lanes: dict[int, asyncio.Task[int]] = {}
        async with self._client() as client:
            while not self._stopping.is_set():
                try:
                    due = await self._db(self._due_hooks, _utcnow(), frozenset(lanes))
                    for hook, _tenant in due:
                        if len(lanes) >= self.max_lanes:
                            break
                        task = asyncio.create_task(self._lane(client, hook, None, once=False))
                        lanes[hook] = task
                        task.add_done_callback(lambda t, h=hook: self._lane_ended(lanes, h, t))
                except Exception:  # a broken database must not end the loop: log and try again later
                    log.exception("webhook dispatch failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), interval_s)
            # stopping: an attempt in flight may finish within its timeout, then the lanes end
            if lanes:
                _, pending = await asyncio.wait(list(lanes.values()), timeout=self.policy.timeout_s)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)

    @staticmethod
    def _lane_ended(lanes: dict[int, asyncio.Task[int]], hook: int, task: asyncio.Task[int]) -> None:
        if lanes.get(hook) is task:
            del lanes[hook]
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook lane of hook %s failed", hook, exc_info=task.exception())

    def stop(self) -> None:
        if self._thread is not None:
            if self._loop is not None and self._stopping is not None:
                self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(timeout=self.policy.timeout_s + 5)
            self._thread = None
        self._db_pool.shutdown(wait=False, cancel_futures=True)
        self._dns_pool.shutdown(wait=False, cancel_futures=True)

    # -- a lane: one hook's deliveries, oldest first, one at a time ----------------------------------

    async def _lane(self, client: httpx.AsyncClient, hook: int, now: datetime | None, *, once: bool) -> int:
        """Send `hook`'s due deliveries in order until none is due (or, `once`, those due at `now`)."""
        attempted = 0
        done: set[int] = set()
        while self._stopping is None or not self._stopping.is_set():
            if self._is_paused(hook):
                break
            moment = now or _utcnow()
            nxt = await self._db(self._next_due, hook, moment, frozenset(done))
            if nxt is None:
                break
            delivery_id, planned = nxt
            done.add(delivery_id)
            if not await self._db(self._claim, delivery_id, planned, moment):
                continue  # another process took it
            ok = await self._attempt(client, delivery_id)
            attempted += 1
            if not ok:
                break  # paused by _record: the receiver failed, its other deliveries wait their turn
            if not once:
                done.clear()  # in the server, a delivery sent is no longer pending: nothing to skip
        return attempted

    def _is_paused(self, hook: int) -> bool:
        with self._paused_lock:
            until = self._paused.get(hook)
            if until is None:
                return False
            if until <= time.monotonic():
                del self._paused[hook]
                return False
            return True

    def _pause(self, hook: int, seconds: float) -> None:
        with self._paused_lock:
            if len(self._paused) > 100_000:
                self._paused.clear()
            self._paused[hook] = time.monotonic() + seconds

    # -- database work (in the db pool) -------------------------------------------------------------

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db_pool, fn, *args)

    def _due_hooks(self, moment: datetime, busy: frozenset[int]) -> list[tuple[int, str | None]]:
        """(hook, tenant) of the hooks with a due delivery and no lane, oldest due delivery first."""
        with self.store.session() as session:
            rows = webhook_repo.due_hooks(session, moment, busy, _DUE_PAGE)
        return [(hook, tenant) for hook, tenant in rows if hook not in busy and not self._is_paused(hook)]

    def _next_due(self, hook: int, moment: datetime, skip: frozenset[int]) -> tuple[int, datetime] | None:
        with self.store.session() as session:
            for delivery_id, planned in webhook_repo.due_deliveries(session, hook, moment, len(skip) + 1):
                if delivery_id not in skip:
                    return delivery_id, planned
        return None

    def _claim(self, delivery_id: int, planned: datetime, moment: datetime) -> bool:
        with self.store.session(write=True) as session:
            return webhook_repo.claim(session, delivery_id, planned,
                                      moment + timedelta(seconds=self.policy.lease_s))

    def _prepare(self, delivery_id: int) -> tuple[int, _Prepared] | None:
        with self.store.session() as session:
            parts = webhook_repo.delivery_parts(session, delivery_id)
            if parts is None:
                return None
            hook, event_row = parts
            url, secret, event, hook_id = hook.url, hook.secret, row_to_event(event_row), hook.id
        body = json.dumps(event.wire(), separators=(",", ":"), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
                   "X-Unilink-Event": event.type, "X-Unilink-Delivery": str(delivery_id),
                   "User-Agent": "unilink-webhooks/1"}
        return hook_id, _Prepared(url, body, headers)

    def _record(self, delivery_id: int, hook: int, status: int | None, error: str | None,
                duration_ms: float) -> None:
        now = _utcnow()
        with self.store.session(write=True) as session:
            delivery = webhook_repo.log_attempt(session, delivery_id, at=now, status=status, error=error,
                                                duration_ms=round(duration_ms, 3))
            if delivery is None:
                return
            if error is None:
                delivery.state, delivery.delivered_at = "delivered", now
                return
            delay_s = self.policy.delay_after(delivery.attempts)
            self._pause(hook, delay_s)
            if delivery.attempts >= self.policy.max_attempts:
                delivery.state = "failed"
                log.warning("webhook delivery %s failed after %s attempts: %s", delivery_id, delivery.attempts, error)
            else:
                delivery.next_attempt_at = now + timedelta(seconds=delay_s)

    # -- HTTP ------------------------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        # one connection per lane at most: the pool must never make a lane wait for another's socket
        limits = httpx.Limits(max_connections=self.max_lanes, max_keepalive_connections=min(100, self.max_lanes))
        return httpx.AsyncClient(timeout=self.policy.timeout_s, follow_redirects=False, limits=limits,
                                 transport=self._transport)

    async def _attempt(self, client: httpx.AsyncClient, delivery_id: int) -> bool:
        """One attempt at one delivery, recorded; True when the receiver accepted it."""
        prepared = await self._db(self._prepare, delivery_id)
        if prepared is None:
            return True
        hook, what = prepared
        started = time.perf_counter()
        status, error = await self._post(client, what)
        await self._db(self._record, delivery_id, hook, status, error, (time.perf_counter() - started) * 1000)
        return error is None

    async def _post(self, client: httpx.AsyncClient, what: _Prepared) -> tuple[int | None, str | None]:
        """(HTTP status, error or None); the URL is checked (and its name resolved) right before connecting."""
        loop = asyncio.get_running_loop()
        try:
            target: Target = await loop.run_in_executor(self._dns_pool, self.egress.check, what.url)
        except WebhookTargetRefused as exc:
            return None, f"refused by the webhook policy: {exc.why}"[:MAX_ERROR_CHARS]
        try:
            # the whole attempt — connect, send, wait, read — is bounded, not each phase alone
            async with asyncio.timeout(self.policy.timeout_s):
                response = await client.post(target.request_url(), content=what.body,
                                             headers={**what.headers, **target.headers()},
                                             extensions=target.extensions())
        except TimeoutError:
            return None, f"no answer within {self.policy.timeout_s:g} s"
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        status = response.status_code
        return status, None if 200 <= status < 300 else f"HTTP {status}"
