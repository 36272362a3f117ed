"""One ASGI middleware for what every request shares: Prometheus metrics and the audit log of writes.

Pure ASGI (no BaseHTTPMiddleware) so that reads pay only a timer and a counter. A write (POST, PUT,
PATCH, DELETE) by an authenticated caller is recorded after the response with its status, whether it
succeeded or was refused: who (token or user, role), what (method, path, route), when, from where.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unilink.access import accounts
from unilink.api.deps import PRINCIPAL_SCOPE_KEY, TENANT_SCOPE_KEY

log = logging.getLogger("unilink.api")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNAUDITED_PATHS = frozenset({"/api/v1/auth/login"})  # a login is a read of credentials, not a change


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("unilink_http_requests_total", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.duration = Histogram("unilink_http_request_duration_seconds", "HTTP request duration",
                                  ["method", "route"], registry=self.registry,
                                  buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


def route_template(scope: Scope) -> str:
    """The matched route's path template (bounded label values), not the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, store_getter: Any) -> None:
        self.app = app
        self.metrics = metrics
        self.store_getter = store_getter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            method = scope["method"]
            route = route_template(scope)
            status = status_holder["status"]
            if route != "/api/v1/events/stream":  # a stream's duration is its lifetime, not a latency
                self.metrics.duration.labels(method, route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(method, route, str(status)).inc()
            if method in WRITE_METHODS and scope.get(PRINCIPAL_SCOPE_KEY) is not None \
                    and scope["path"] not in UNAUDITED_PATHS:
                await run_in_threadpool(self._audit, scope, route, status)

    def _audit(self, scope: Scope, route: str, status: int) -> None:
        client = scope.get("client")
        try:
            with self.store_getter().connection(write=True) as connection:
                accounts.record_audit(
                    connection, principal=scope[PRINCIPAL_SCOPE_KEY], method=scope["method"], path=scope["path"],
                    action=f"{scope['method']} {route}", status=status,
                    client=f"{client[0]}:{client[1]}" if client else "unknown",
                    tenant=scope.get(TENANT_SCOPE_KEY),
                )
        except Exception:  # the response is already sent; a failed audit write must be loud in the log
            log.exception("could not write the audit record of %s %s", scope["method"], scope["path"])
