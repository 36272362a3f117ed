"""Webhooks against a real HTTP receiver on 127.0.0.1, and the SSE stream from a real uvicorn server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from unilink.access import accounts
from unilink.api.app import create_app
from unilink.errors import ValidationError
from unilink.events import publish
from unilink.events.egress import EgressPolicy
from unilink.events.signing import SIGNATURE_HEADER, verify
from unilink.events.webhooks import RetryPolicy, WebhookDispatcher
from unilink.store import tenancy
from unilink.store.db import Store
from unilink.store.tables.auth import WebhookAttemptRow, WebhookDeliveryRow, WebhookRow

SECRET = "a-shared-secret-of-32-characters"
LOOPBACK = EgressPolicy.parse("127.0.0.1")  # the receivers listen on 127.0.0.1, refused unless allowed


class Receiver:
    """An HTTP server that answers `failures` 500s, then 200s, and keeps what it received."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = 500 if len(receiver.received) <= receiver.failures else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tenants(store: Store) -> Store:
    with store.session(write=True) as session:
        tenancy.add_tenant(session, "acme", "enterprise", "Acme")
        tenancy.add_tenant(session, "globex", "enterprise", "Globex")
    return store


def _add_hook(store: Store, url: str, tenant: str | None, types: list[str] | None = None) -> int:
    with store.session(write=True) as session:
        row = WebhookRow(tenant=tenant, url=url, secret=SECRET, event_types=types or [], active=True,
                         created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        return row.id


def _run_until_settled(dispatcher: WebhookDispatcher, store: Store, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dispatcher.run_due()
        with store.session() as session:
            if not session.scalars(select(WebhookDeliveryRow).where(WebhookDeliveryRow.state == "pending")).first():
                return
        time.sleep(0.02)
    raise AssertionError("deliveries still pending")


def test_delivery_is_signed_retried_with_backoff_and_logged(tenants: Store) -> None:
    receiver = Receiver(failures=2)
    try:
        hook = _add_hook(tenants, receiver.url, "acme")
        event = publish(tenants, "change.applied", tenant="acme", data={"plan_id": "p1", "version": 2})
        dispatcher = WebhookDispatcher(tenants, RetryPolicy(base_delay_s=0.05, max_attempts=5), egress=LOOPBACK)
        _run_until_settled(dispatcher, tenants)
        dispatcher.stop()
    finally:
        receiver.close()
    assert len(receiver.received) == 3
    headers, body = receiver.received[-1]
    assert verify(SECRET, body, headers[SIGNATURE_HEADER.lower()])
    assert not verify("another secret", body, headers[SIGNATURE_HEADER.lower()])
    assert json.loads(body) == {**event.to_dict(), "data": {"plan_id": "p1", "version": 2}}
    assert headers["x-unilink-event"] == "change.applied"
    with tenants.session() as session:
        delivery = session.scalars(select(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == hook)).one()
        attempts = session.scalars(select(WebhookAttemptRow).order_by(WebhookAttemptRow.attempt)).all()
    assert delivery.state == "delivered" and delivery.attempts == 3 and delivery.last_status == 200
    assert [(a.attempt, a.status) for a in attempts] == [(1, 500), (2, 500), (3, 200)]
    # exponential back-off: the second wait is about twice the first
    first_gap = (attempts[1].at - attempts[0].at).total_seconds()
    second_gap = (attempts[2].at - attempts[1].at).total_seconds()
    assert first_gap >= 0.05 and second_gap >= 0.1


def test_delivery_gives_up_after_max_attempts(tenants: Store) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    _add_hook(tenants, dead_url, None)
    publish(tenants, "capacity.alarm", tenant=None, data={"link": "Paris-London", "utilisation": 0.93})
    dispatcher = WebhookDispatcher(tenants, RetryPolicy(base_delay_s=0.01, max_attempts=3, timeout_s=1),
                                   egress=LOOPBACK)
    _run_until_settled(dispatcher, tenants)
    dispatcher.stop()
    with tenants.session() as session:
        delivery = session.scalars(select(WebhookDeliveryRow)).one()
    assert delivery.state == "failed" and delivery.attempts == 3
    assert "Connect" in delivery.last_error


def test_hooks_receive_only_their_tenants_events_and_operator_hooks_all(tenants: Store) -> None:
    acme_rx, globex_rx, op_rx = Receiver(), Receiver(), Receiver()
    try:
        _add_hook(tenants, acme_rx.url, "acme")
        _add_hook(tenants, globex_rx.url, "globex")
        _add_hook(tenants, op_rx.url, None, types=["order.stateChanged"])
        publish(tenants, "order.stateChanged", tenant="acme", data={"order": "o1", "state": "inProgress"})
        publish(tenants, "change.applied", tenant="acme", data={"plan_id": "p2"})
        dispatcher = WebhookDispatcher(tenants, RetryPolicy(base_delay_s=0.01), egress=LOOPBACK)
        _run_until_settled(dispatcher, tenants)
        dispatcher.stop()
    finally:
        for rx in (acme_rx, globex_rx, op_rx):
            rx.close()
    assert [json.loads(b)["type"] for _, b in acme_rx.received] == ["order.stateChanged", "change.applied"]
    assert globex_rx.received == []
    assert [json.loads(b)["type"] for _, b in op_rx.received] == ["order.stateChanged"]  # filtered by type


def test_two_dispatchers_never_send_a_delivery_twice(tenants: Store) -> None:
    receiver = Receiver()
    try:
        _add_hook(tenants, receiver.url, "acme")
        for i in range(20):
            publish(tenants, "change.applied", tenant="acme", data={"n": i})
        first, second = (WebhookDispatcher(tenants, RetryPolicy(base_delay_s=0.01), egress=LOOPBACK) for _ in range(2))
        threads = [threading.Thread(target=d.run_due) for d in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        first.stop()
        second.stop()
    finally:
        receiver.close()
    sent = sorted(json.loads(b)["data"]["n"] for _, b in receiver.received)
    assert sent == list(range(20))


# -- the SSE stream, served by uvicorn ---------------------------------------------------------------

@pytest.fixture
def served(tenants: Store) -> Iterator[tuple[str, dict[str, str]]]:
    with tenants.session(write=True) as session:
        tokens = {who: accounts.create_token(session, role=role, tenant=tenant)[0].token
                  for who, role, tenant in (("acme", "tenant-viewer", "acme"), ("op", "operator-viewer", None))}
    app = create_app(tenants, rate_limit="off", deliver_webhooks=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", tokens
    server.should_exit = True
    thread.join(timeout=10)


def _next_event(lines: Iterator[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in fields:
                return fields
            fields = {}
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(": ")
        fields[key] = value
    raise AssertionError("stream ended")


def test_sse_stream_pushes_own_tenants_events_as_they_happen(served: tuple[str, dict[str, str]],
                                                             tenants: Store) -> None:
    base, tokens = served
    headers = {"Authorization": f"Bearer {tokens['acme']}"}
    with httpx.Client(base_url=base, timeout=10) as client, \
            client.stream("GET", "/api/v1/events/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines).startswith("retry:")  # subscribed: publish now
        publish(tenants, "change.applied", tenant="globex", data={"secret": "globex's"})
        published = publish(tenants, "order.stateChanged", tenant="acme", data={"order": "o7", "state": "completed"})
        started = time.monotonic()
        event = _next_event(lines)
        latency_s = time.monotonic() - started
    assert event["event"] == "order.stateChanged" and int(event["id"]) == published.id
    assert json.loads(event["data"])["data"] == {"order": "o7", "state": "completed"}
    assert latency_s < 2


def test_sse_stream_ends_when_its_token_is_revoked(served: tuple[str, dict[str, str]], tenants: Store) -> None:
    base, tokens = served
    headers = {"Authorization": f"Bearer {tokens['acme']}"}
    with httpx.Client(base_url=base, timeout=10) as client, \
            client.stream("GET", "/api/v1/events/stream", headers=headers) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("retry:")
        with tenants.session(write=True) as session:  # as `unilink token revoke` would, from anywhere
            accounts.revoke_token(session, tokens["acme"].split("_")[1], None)
        started = time.monotonic()
        rest = list(lines)  # the server closes the stream
        assert time.monotonic() - started < 3 and ": the token was revoked" in rest
    assert httpx.get(f"{base}/api/v1/events/stream", headers=headers, timeout=10).status_code == 401


def test_sse_resumes_after_last_event_id(served: tuple[str, dict[str, str]], tenants: Store) -> None:
    base, tokens = served
    first = publish(tenants, "change.planned", tenant="acme", data={"n": 1})
    second = publish(tenants, "change.applied", tenant="acme", data={"n": 2})
    headers = {"Authorization": f"Bearer {tokens['op']}", "Last-Event-ID": str(first.id)}
    response = httpx.get(f"{base}/api/v1/events/stream?follow=false", headers=headers, timeout=10)
    ids = [int(line[4:]) for line in response.text.splitlines() if line.startswith("id: ")]
    assert ids == [second.id]
    assert datetime.now(UTC) - first.at < timedelta(minutes=1)


# -- where webhooks may go: no internal targets (SSRF), checked at registration and at delivery ----------

INTERNAL_URLS = ["http://127.0.0.1:9/hook", "http://localhost:8000/api/v1/tokens", "http://[::1]/hook",
                 "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/hook", "http://192.168.1.1/",
                 "http://100.100.100.200/", "http://[::ffff:127.0.0.1]/hook", "http://0x7f000001/hook",
                 "http://0.0.0.0:8000/", "http://[fd00:ec2::254]/", "http://user:pw@93.184.216.34/hook"]


def _register(client: TestClient, token: str, url: str) -> httpx.Response:
    return client.post("/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"},
                       json={"url": url, "secret": SECRET})


def _admin_token(store: Store) -> str:
    with store.session(write=True) as session:
        return accounts.create_token(session, role="tenant-admin", tenant="acme")[0].token


def test_registration_refuses_internal_targets_naming_the_field(tenants: Store,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UNILINK_WEBHOOK_ALLOW", raising=False)
    token = _admin_token(tenants)
    with TestClient(create_app(tenants, rate_limit="off", deliver_webhooks=False)) as client:
        for url in INTERNAL_URLS:
            refused = _register(client, token, url)
            assert refused.status_code == 422, url
            assert refused.headers["content-type"] == "application/problem+json"
            problem = refused.json()
            assert problem["errors"][0]["field"] == "url" and problem["errors"][0]["value"] == url
            assert "public addresses" in problem["errors"][0]["accepted"] and "UNILINK_WEBHOOK_ALLOW" in \
                problem["errors"][0]["accepted"]
        assert "169.254.169.254, a link-local" in _register(client, token, INTERNAL_URLS[3]).json()["detail"]
        assert _register(client, token, "ftp://93.184.216.34/hook").json()["errors"][0]["field"] == "body.url"
        assert client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"}).json() == []
        assert _register(client, token, "https://93.184.216.34/hook").status_code == 201  # a public address


def test_the_operators_allow_list_admits_internal_targets(tenants: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    token = _admin_token(tenants)
    monkeypatch.setenv("UNILINK_WEBHOOK_ALLOW", "127.0.0.1, 10.20.0.0/16, *.corp.example")
    with TestClient(create_app(tenants, rate_limit="off", deliver_webhooks=False)) as client:
        assert _register(client, token, "http://127.0.0.1:9/hook").status_code == 201
        assert _register(client, token, "http://10.20.30.40/hook").status_code == 201
        assert _register(client, token, "http://10.21.0.1/hook").status_code == 422  # outside the block
        assert _register(client, token, "http://169.254.169.254/").status_code == 422
    monkeypatch.setenv("UNILINK_WEBHOOK_ALLOW", "127.0.0.1, not a host!")
    with pytest.raises(ValidationError) as bad:
        create_app(tenants)
    assert bad.value.field == "UNILINK_WEBHOOK_ALLOW" and bad.value.value == "not a host!"


def test_delivery_checks_the_address_again_and_connects_to_the_checked_one(tenants: Store) -> None:
    """DNS rebinding: a name that was public at registration and points inward at delivery is refused;
    an allowed one is delivered to the address that was checked (the name itself resolves nowhere)."""
    receiver = Receiver()
    port = receiver.server.server_port
    answers = {"hooks.example": ["93.184.216.34"]}
    policy = EgressPolicy.parse("", resolver=lambda host, _port: answers[host])
    try:
        url = f"http://hooks.example:{port}/hook"
        assert policy.check(url).address == "93.184.216.34"  # what registration saw
        hook = _add_hook(tenants, url, "acme")
        answers["hooks.example"] = ["127.0.0.1"]  # ... and what the name says at delivery
        publish(tenants, "change.applied", tenant="acme", data={"n": 1})
        refusing = WebhookDispatcher(tenants, RetryPolicy(max_attempts=1), egress=policy)
        _run_until_settled(refusing, tenants)
        refusing.stop()
        assert receiver.received == []
        with tenants.session() as session:
            delivery = session.scalars(select(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == hook)).one()
        assert delivery.state == "failed" and delivery.last_error == (
            "refused by the webhook policy: hooks.example resolves to 127.0.0.1, a loopback address")
        allowing = WebhookDispatcher(tenants, RetryPolicy(max_attempts=1),
                                     egress=EgressPolicy.parse("127.0.0.1", resolver=lambda h, p: answers[h]))
        publish(tenants, "change.applied", tenant="acme", data={"n": 2})
        _run_until_settled(allowing, tenants)
        allowing.stop()
    finally:
        receiver.close()
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert headers["host"] == f"hooks.example:{port}" and json.loads(body)["data"] == {"n": 2}


def test_the_delivery_log_lists_every_attempt_through_the_api(tenants: Store) -> None:
    receiver = Receiver(failures=1)
    token = _admin_token(tenants)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with TestClient(create_app(tenants, rate_limit="off", deliver_webhooks=False,
                                   webhook_allow="127.0.0.1")) as client:
            hook = _register(client, token, receiver.url).json()["id"]
            assert client.post(f"/api/v1/webhooks/{hook}/test", headers=headers).status_code == 202
            dispatcher = WebhookDispatcher(tenants, RetryPolicy(base_delay_s=0.01), egress=LOOPBACK)
            _run_until_settled(dispatcher, tenants)
            dispatcher.stop()
            deliveries = client.get(f"/api/v1/webhooks/{hook}/deliveries", headers=headers).json()
    finally:
        receiver.close()
    assert [(d["event_type"], d["state"], d["attempts"]) for d in deliveries] == [("webhook.test", "delivered", 2)]
    log = deliveries[0]["log"]
    assert [(a["attempt"], a["status"], a["error"]) for a in log] == [(1, 500, "HTTP 500"), (2, 200, None)]
    assert log[0]["at"] <= log[1]["at"] and all(a["duration_ms"] >= 0 for a in log)
