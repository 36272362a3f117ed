"""The auth and events tables on PostgreSQL (skipped with the reason when no server is reachable)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from unilink.access import accounts
from unilink.api.app import create_app
from unilink.events import publish
from unilink.events.egress import EgressPolicy
from unilink.events.webhooks import RetryPolicy, WebhookDispatcher
from unilink.store import tenancy
from unilink.store.db import Store


@pytest.mark.postgres
def test_tokens_audit_events_and_deliveries_on_postgres(pg_store: Store) -> None:
    with pg_store.session(write=True) as session:
        tenancy.add_tenant(session, "acme", "enterprise", "Acme")
        admin = accounts.create_token(session, role="tenant-admin", tenant="acme")[0].token
    app = create_app(pg_store, rate_limit="off", deliver_webhooks=False, webhook_allow="127.0.0.1")
    headers = {"Authorization": f"Bearer {admin}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/auth/whoami", headers=headers).json()["tenant"] == "acme"
        hook = client.post("/api/v1/webhooks", headers=headers,
                           json={"url": "http://127.0.0.1:9/x", "secret": "0123456789abcdef"})
        assert hook.status_code == 201
        event = publish(pg_store, "change.applied", tenant="acme", data={"n": 1})
        listed = client.get("/api/v1/events", headers=headers).json()
        assert [e["id"] for e in listed] == [event.id]
        stream = client.get("/api/v1/events/stream?follow=false", headers={**headers, "Last-Event-ID": "0"})
        assert f"id: {event.id}" in stream.text
        dispatcher = WebhookDispatcher(pg_store, RetryPolicy(base_delay_s=0.01, max_attempts=1, timeout_s=1),
                                       egress=EgressPolicy.parse("127.0.0.1"))
        assert dispatcher.run_due() == 1  # port 9 refuses: one attempt, then failed
        dispatcher.stop()
        deliveries = client.get(f"/api/v1/webhooks/{hook.json()['id']}/deliveries", headers=headers).json()
        assert deliveries[0]["state"] == "failed" and deliveries[0]["attempts"] == 1
        audit = client.get("/api/v1/audit", headers=headers).json()
        assert audit[0]["action"] == "POST /api/v1/webhooks" and audit[0]["status"] == 201
