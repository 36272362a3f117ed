"""One receiver's trouble stays its own: a slow or dead webhook delays only itself (real HTTP servers
on 127.0.0.1), a tenant has at most MAX_HOOKS_PER_TENANT webhooks, and a test goes to one hook."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from unilink.access import accounts
from unilink.api.app import create_app
from unilink.events import publish
from unilink.events.egress import EgressPolicy
from unilink.events.webhooks import MAX_HOOKS_PER_TENANT, RetryPolicy, WebhookDispatcher
from unilink.store import tenancy
from unilink.store.db import Store
from unilink.store.tables.auth import WebhookDeliveryRow, WebhookRow

SECRET = "a-shared-secret-of-32-characters"
LOOPBACK = EgressPolicy.parse("127.0.0.1")
PORTS = iter(range(18120, 18190))  # this worktree's ports; each receiver takes the next


class Receiver:
    """An HTTP server on 127.0.0.1 that waits `delay_s` before answering 200, and notes when each
    event arrived (monotonic time, by the event's id)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.arrived: dict[int, float] = {}
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                import json

                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.arrived[json.loads(body)["id"]] = time.monotonic()
                receiver.release.wait(receiver.delay_s)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the dispatcher gave up waiting and closed
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = _bind(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _bind(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    for port in PORTS:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError:
            continue
        server.daemon_threads = True
        return server
    raise RuntimeError("no free port in 18120-18189")


def _dead_url() -> str:
    """A port that accepts connections and never answers (a hung receiver): a listening socket nobody reads."""
    for port in PORTS:
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sock.listen(64)
        _DEAD.append(sock)
        return f"http://127.0.0.1:{port}/hook"
    raise RuntimeError("no free port")


_DEAD: list[socket.socket] = []


@pytest.fixture
def tenants(store: Store) -> Iterator[Store]:
    with store.session(write=True) as session:
        for name in ("slowco", "fastco", "acme"):
            tenancy.add_tenant(session, name, "enterprise", name.title())
    yield store
    while _DEAD:
        _DEAD.pop().close()


def _add_hook(store: Store, url: str, tenant: str | None, types: list[str] | None = None) -> int:
    with store.session(write=True) as session:
        row = WebhookRow(tenant=tenant, url=url, secret=SECRET, event_types=types or [], active=True,
                         created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        return row.id


def _wait_for(predicate: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("trouble", ["slow", "hung"])
def test_a_slow_or_hung_receiver_delays_only_itself(tenants: Store, trouble: str) -> None:
    """A receiver that takes 8 s (or never answers), with a backlog of events, must not hold back
    another tenant's delivery, nor another hook of its own tenant: each arrives within a small bound
    of its publication (the dispatcher polls every 50 ms)."""
    slow = Receiver(delay_s=8.0)
    fast, sibling = Receiver(), Receiver()
    slow_url = slow.url if trouble == "slow" else _dead_url()
    _add_hook(tenants, slow_url, "slowco")
    _add_hook(tenants, sibling.url, "slowco", types=["order.stateChanged"])
    _add_hook(tenants, fast.url, "fastco")
    dispatcher = WebhookDispatcher(tenants, RetryPolicy(timeout_s=6.0, max_attempts=1), egress=LOOPBACK)
    dispatcher.start(interval_s=0.05)
    try:
        for n in range(5):  # the slow hook's backlog
            publish(tenants, "change.applied", tenant="slowco", data={"n": n})
        if trouble == "slow":
            assert _wait_for(lambda: slow.arrived, 5), "the slow receiver got nothing"
        else:
            time.sleep(0.3)  # the dispatcher is now connected to the hung port, waiting
        latencies = []
        for n in range(3):
            other = publish(tenants, "change.applied", tenant="fastco", data={"n": n})
            own = publish(tenants, "order.stateChanged", tenant="slowco", data={"order": f"o{n}", "state": "held"})
            published = time.monotonic()
            assert _wait_for(lambda o=other, w=own: o.id in fast.arrived and w.id in sibling.arrived, 3), \
                "a delivery waited for the slow receiver"
            latencies.append(max(fast.arrived[other.id], sibling.arrived[own.id]) - published)
            time.sleep(0.1)
    finally:
        dispatcher.stop()
        for rx in (slow, fast, sibling):
            rx.close()
    assert max(latencies) < 2.0, latencies  # 0.05-0.3 s on an idle machine; >= 6 s (the timeout) if it waited
    if trouble == "slow":
        assert len(slow.arrived) == 1  # one at a time per hook: the backlog waits for the first answer


def test_each_hook_receives_its_own_deliveries_in_order(tenants: Store) -> None:
    rx = Receiver()
    try:
        _add_hook(tenants, rx.url, "acme")
        ids = [publish(tenants, "change.applied", tenant="acme", data={"n": n}).id for n in range(30)]
        dispatcher = WebhookDispatcher(tenants, RetryPolicy(), egress=LOOPBACK)
        assert dispatcher.run_due() == 30
        dispatcher.stop()
    finally:
        rx.close()
    assert sorted(rx.arrived, key=rx.arrived.__getitem__) == ids


def test_a_failing_hook_pauses_for_its_back_off_instead_of_trying_its_whole_backlog(tenants: Store) -> None:
    with socket.socket() as s:  # a port nobody listens on: refused at once
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    hook = _add_hook(tenants, refused, "acme")
    for n in range(10):
        publish(tenants, "change.applied", tenant="acme", data={"n": n})
    dispatcher = WebhookDispatcher(tenants, RetryPolicy(base_delay_s=60), egress=LOOPBACK)
    assert dispatcher.run_due() == 1
    assert dispatcher.run_due() == 0  # paused: the other nine wait for the receiver to come back
    dispatcher.stop()
    with tenants.session() as session:
        attempts = session.scalars(select(WebhookDeliveryRow.attempts).where(WebhookDeliveryRow.webhook_id == hook))
        assert sorted(attempts) == [0] * 9 + [1]


# -- the API: the cap, and the test of one hook -----------------------------------------------------

def _client(store: Store) -> tuple[TestClient, dict[str, str]]:
    with store.session(write=True) as session:
        tokens = {who: accounts.create_token(session, role=role, tenant=tenant)[0].token
                  for who, role, tenant in (("acme", "tenant-admin", "acme"), ("fastco", "tenant-admin", "fastco"),
                                            ("op", "operator-admin", None))}
    app = create_app(store, rate_limit="off", deliver_webhooks=False, webhook_allow="127.0.0.1")
    return TestClient(app, raise_server_exceptions=False), tokens


def test_a_tenant_has_at_most_the_cap_of_webhooks(tenants: Store) -> None:
    client, tokens = _client(tenants)
    with client:
        def register(who: str, n: int) -> object:
            return client.post("/api/v1/webhooks", headers={"Authorization": f"Bearer {tokens[who]}"},
                               json={"url": f"http://127.0.0.1:9/{who}/{n}", "secret": SECRET})

        for n in range(MAX_HOOKS_PER_TENANT):
            assert register("acme", n).status_code == 201
        refused = register("acme", 99)
        assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["field"] == "webhooks" and problem["value"] == MAX_HOOKS_PER_TENANT
        assert f"at most {MAX_HOOKS_PER_TENANT} webhooks per tenant" in problem["accepted"]
        assert register("fastco", 0).status_code == 201  # another tenant's count is its own
        listed = client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {tokens['acme']}"}).json()
        assert len(listed) == MAX_HOOKS_PER_TENANT
        first = listed[0]["id"]
        assert client.delete(f"/api/v1/webhooks/{first}",
                             headers={"Authorization": f"Bearer {tokens['acme']}"}).status_code == 204
        assert register("acme", 100).status_code == 201  # room again


def test_testing_a_webhook_delivers_to_that_hook_only(tenants: Store) -> None:
    chosen, other, operator = Receiver(), Receiver(), Receiver()
    try:
        hook = _add_hook(tenants, chosen.url, "acme", types=["change.applied"])  # a test goes whatever the types
        other_hook = _add_hook(tenants, other.url, "acme")
        _add_hook(tenants, operator.url, None)
        client, tokens = _client(tenants)
        with client:
            answer = client.post(f"/api/v1/webhooks/{hook}/test", headers={"Authorization": f"Bearer {tokens['acme']}"})
            assert answer.status_code == 202
            event_id = answer.json()["id"]
            # another tenant cannot test it (404, as if it did not exist), nor cause a delivery
            assert client.post(f"/api/v1/webhooks/{hook}/test",
                               headers={"Authorization": f"Bearer {tokens['fastco']}"}).status_code == 404
        with tenants.session() as session:
            queued = session.execute(select(WebhookDeliveryRow.webhook_id, WebhookDeliveryRow.event_id)).all()
        assert queued == [(hook, event_id)]
        dispatcher = WebhookDispatcher(tenants, RetryPolicy(), egress=LOOPBACK)
        assert dispatcher.run_due() == 1
        dispatcher.stop()
    finally:
        for rx in (chosen, other, operator):
            rx.close()
    assert list(chosen.arrived) == [event_id] and not other.arrived and not operator.arrived
    assert other_hook != hook
