"""The FastAPI application: `create_app(store)` wires routes, errors, auth, metrics and webhooks.

The store is opened lazily (on the first request that needs it) when none is given, so that building
the app never touches a database. Configuration from the environment:
- `UNILINK_RATE_LIMIT` = "<requests per second>/<burst>" per token (default "50/100"; "off" disables);
- `UNILINK_WEBHOOKS` = "off" stops this process from delivering webhooks (another one does);
- `UNILINK_WEBHOOK_ALLOW` = the internal addresses, CIDR blocks and host names webhooks may go to
  besides public addresses (`unilink.events.egress`; default: none);
- `UNILINK_RECOVER` = "on" finishes or undoes, at start-up, the device transactions a crashed
  process left unfinished (`unilink serve` sets it; default off, so that tests and embedders decide);
- `UNILINK_BODY_LIMITS` = byte limits of request bodies per kind of endpoint, e.g. "login=4096"
  (`unilink.api.bodies.BodyLimits`: login, accounts, intent, default);
- `UNILINK_TRUSTED_PROXIES` = the reverse proxies whose `X-Forwarded-For` names the client (addresses
  or CIDR blocks; default none: the header is ignored) — `unilink.api.proxies`;
- `UNILINK_SCHEDULER_INTERVAL` = seconds between rounds of the engine's scheduler (boosts that end,
  scheduled windows), run in a background thread; unset or "0" means no scheduler in this process.
- `UNILINK_USAGE_INTERVAL` = seconds between polls of the interface counters (docs/usage.md), run in
  a background thread; unset or "0" means no collector in this process (`unilink serve` sets 300).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from unilink import __version__
from unilink.access.backoff import LoginBackoff
from unilink.access.ratelimit import TokenBucketLimiter
from unilink.api.bodies import BodyGuard, BodyLimits
from unilink.api.deps import Authenticator
from unilink.api.middleware import Metrics, ObserveMiddleware
from unilink.api.problems import install_problem_handlers
from unilink.api.proxies import ClientAddress, TrustedProxies
from unilink.api.query_check import reject_unknown_query
from unilink.api.schemas import Health
from unilink.errors import ValidationError
from unilink.events.egress import EgressPolicy
from unilink.store.health import ping

if TYPE_CHECKING:
    from unilink.store.db import Store

API_PREFIX = "/api/v1"
RATE_LIMIT_ENV = "UNILINK_RATE_LIMIT"
WEBHOOKS_ENV = "UNILINK_WEBHOOKS"
RECOVER_ENV = "UNILINK_RECOVER"
SCHEDULER_ENV = "UNILINK_SCHEDULER_INTERVAL"
DEFAULT_RATE_LIMIT = "50/100"
log = logging.getLogger(__name__)


class StoreHolder:
    """Opens the default store on first use; tests pass their own store instead."""

    def __init__(self, store: Store | None) -> None:
        self._store = store
        self.owned = store is None

    def get(self) -> Store:
        if self._store is None:
            from unilink.store.db import Store

            self._store = Store.open()
        return self._store

    def close(self) -> None:
        if self.owned and self._store is not None:
            self._store.close()
            self._store = None


def parse_rate_limit(value: str) -> TokenBucketLimiter | None:
    if value.strip().lower() in ("off", "0", "none"):
        return None
    try:
        rate, _, burst = value.partition("/")
        return TokenBucketLimiter(rate_per_s=float(rate), burst=int(burst or max(1, int(float(rate) * 2))))
    except ValueError:
        raise ValidationError("bad rate limit", field=RATE_LIMIT_ENV, value=value,
                              accepted="'<requests/s>/<burst>', e.g. 50/100, or 'off'") from None


def parse_scheduler_interval(value: str | None) -> float:
    """Seconds between scheduler rounds; 0 means no scheduler."""
    if value is None or not value.strip():
        return 0.0
    try:
        interval_s = float(value)
    except ValueError:
        interval_s = -1.0
    if not 0 <= interval_s <= 86_400:
        raise ValidationError("bad scheduler interval", field=SCHEDULER_ENV, value=value,
                              accepted="seconds between 0 (no scheduler) and 86400, e.g. 30")
    return interval_s


class SchedulerThread:
    """The scheduler loop (`usecases.scheduled_changes.run_forever`) in a daemon thread, with a stop event."""

    def __init__(self, store: Store, interval_s: float) -> None:
        from unilink.usecases.scheduled_changes import run_forever

        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=run_forever, args=(store, self.stop_event, interval_s),
                                       name="unilink-scheduler", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self.stop_event.set()  # a round in progress finishes its apply first
        self.thread.join(timeout_s)


def recover_at_start(store: Store) -> None:
    """Finish or undo what a crashed process left half-pushed, before serving anything."""
    from unilink.engine.recovery import recover_applies

    for outcome in recover_applies(store):
        log.warning("recovery: device transaction %s %s on %s%s", outcome.id, outcome.decision,
                    ", ".join(outcome.routers), f" ({outcome.errors})" if outcome.errors else "")


def deliver_outbox_at_start(store: Store) -> None:
    """Deliver the events a process killed right after its commit left in the outbox."""
    from unilink.events.outbox_delivery import deliver_pending

    try:
        delivered = deliver_pending(store)
    except Exception:  # the server still starts; the scheduler loop and the next change retry
        log.exception("could not deliver the outbox at start-up")
        return
    if delivered:
        log.warning("outbox: delivered %d events left undelivered by an earlier process", delivered)


def create_app(store: Store | None = None, *, rate_limit: str | None = None,
               deliver_webhooks: bool | None = None, recover: bool | None = None,
               scheduler_interval_s: float | None = None, webhook_allow: str | None = None,
               body_limits: BodyLimits | None = None, trusted_proxies: str | None = None) -> FastAPI:
    holder = StoreHolder(store)
    body_limits = body_limits or BodyLimits.from_env()
    proxies = TrustedProxies.from_env() if trusted_proxies is None else TrustedProxies.parse(trusted_proxies)
    egress = EgressPolicy.from_env() if webhook_allow is None else EgressPolicy.parse(webhook_allow)
    limiter = parse_rate_limit(rate_limit or os.environ.get(RATE_LIMIT_ENV, DEFAULT_RATE_LIMIT))
    if deliver_webhooks is None:
        deliver_webhooks = os.environ.get(WEBHOOKS_ENV, "on").lower() not in ("off", "0", "no")
    if recover is None:
        recover = os.environ.get(RECOVER_ENV, "off").lower() in ("on", "1", "yes")
    if scheduler_interval_s is None:
        scheduler_interval_s = parse_scheduler_interval(os.environ.get(SCHEDULER_ENV))
    from unilink.api.routes.usage_metrics import collector_from_env  # UNILINK_USAGE_INTERVAL

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if recover:
            await run_in_threadpool(recover_at_start, app.state.store_holder.get())
        await run_in_threadpool(deliver_outbox_at_start, app.state.store_holder.get())
        scheduler = None
        if scheduler_interval_s:
            scheduler = SchedulerThread(app.state.store_holder.get(), scheduler_interval_s)
            scheduler.start()
        usage = collector_from_env(app.state.store_holder.get())
        if usage is not None:
            usage.start()
        dispatcher = None
        if deliver_webhooks:
            from unilink.events.webhooks import WebhookDispatcher

            dispatcher = WebhookDispatcher(app.state.store_holder.get(), egress=egress)
            dispatcher.start()
        try:
            yield
        finally:
            if scheduler is not None:
                await run_in_threadpool(scheduler.stop)
            if dispatcher is not None:
                await run_in_threadpool(dispatcher.stop)
            if usage is not None:
                await run_in_threadpool(usage.stop)
            app.state.authenticator.close()
            app.state.store_holder.close()

    app = FastAPI(
        title="unilink API",
        version=__version__,
        description=("Unified connectivity: sites, services, intents, plans and orders on a pan-European backbone. "
                     "Authenticate with `Authorization: Bearer <token>` (create one with `unilink token create`). "
                     "Errors are RFC 9457 problem+json documents naming the offending field."),
        openapi_url="/openapi.json",
        docs_url=None,  # served offline by api/docs_pages.py, with /redoc
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],  # an unknown ?param is a 422, not ignored
    )
    app.state.store_holder = holder
    app.state.authenticator = Authenticator(limiter)
    app.state.login_backoff = LoginBackoff()  # per account, this process (access/backoff.py)
    app.state.login_limiter = TokenBucketLimiter(rate_per_s=2, burst=10)  # per client address (proxies.py)
    app.state.webhook_egress = egress  # checked at registration, and by the dispatcher before each delivery
    metrics = Metrics()
    app.state.metrics = metrics
    install_problem_handlers(app)
    from unilink.api.docs_pages import mount_docs

    mount_docs(app)
    # added before ObserveMiddleware, so inside it: a refused body is counted in the metrics too
    app.add_middleware(BodyGuard, limits=body_limits)
    app.add_middleware(ObserveMiddleware, metrics=metrics, store_getter=lambda: app.state.store_holder.get())
    if proxies.networks:  # outermost: the audit log and the login limit see the forwarded client
        app.add_middleware(ClientAddress, proxies=proxies)

    @app.get(f"{API_PREFIX}/health", tags=["health"], response_model=Health,
             summary="Liveness and database reachability",
             responses={503: {"model": Health, "description": "the database is unreachable"}})
    def health(request: Request) -> Health | JSONResponse:
        try:
            ping(request.app.state.store_holder.get())
        except Exception:  # health must answer, whatever the database does
            body = Health(status="degraded", version=__version__, database="unreachable")
            return JSONResponse(body.model_dump(), status_code=503)
        return Health(status="ok", version=__version__, database="ok")

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics of this server process",
             response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
    def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    from unilink.api.routes import usage, usage_metrics  # before the catch-alls: /metrics/usage (operators)

    app.include_router(usage_metrics.router)
    app.include_router(usage.router)  # /sites/{site}/usage…, /services/{service}/usage…, advice, alarms

    from unilink.api.routes import accounts, billing, coop, events, inventory, members, network, tenant_changes

    # Routes are matched in order: the tenants' services (the busiest reads) first.
    for module in (tenant_changes, accounts, inventory, network, events, coop, members, billing):
        app.include_router(module.router)
    from unilink.api import tmf  # TM Forum TMF641/638/633 at their basePaths (docs/tmf.md)

    tmf.mount(app)
    from unilink.web.portal import mount_portal  # the web portal: pages under /portal

    mount_portal(app)
    return app
