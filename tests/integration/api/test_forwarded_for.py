"""The login rate limit per client address, behind a real uvicorn on 127.0.0.1: X-Forwarded-For moves a
client to another bucket only when the peer is a trusted proxy (UNILINK_TRUSTED_PROXIES)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from unilink.access.ratelimit import TokenBucketLimiter
from unilink.api.app import create_app
from unilink.store.db import Store

PORT = 18101  # this worktree's ports (18100-18199)


@contextmanager
def served(store: Store, trusted: str) -> Iterator[str]:
    app = create_app(store, rate_limit="off", deliver_webhooks=False, trusted_proxies=trusted)
    # bursts of 10 per address as in production, but no refill during the test: the count is exact
    app.state.login_limiter = TokenBucketLimiter(rate_per_s=1e-6, burst=10)
    # proxy_headers=False as `unilink serve` runs it: uvicorn's own default trusts 127.0.0.1
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=PORT, log_level="warning",
                                           proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{PORT}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _statuses(base: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=base, timeout=30) as client:
        return [client.post("/api/v1/auth/login", json={"username": f"guess{i}", "password": "x"},
                            headers={"X-Forwarded-For": xff}).status_code for i, xff in enumerate(forwarded)]


def test_forwarded_for_from_an_untrusted_peer_is_ignored(store: Store) -> None:
    """Before: any local peer could send a new X-Forwarded-For with each guess and never be limited."""
    with served(store, "") as base:
        statuses = _statuses(base, [f"203.0.113.{i}" for i in range(14)])
    assert statuses == [401] * 10 + [429] * 4  # one bucket: the peer's


def test_a_trusted_proxy_names_the_client(store: Store) -> None:
    with served(store, "127.0.0.1") as base:
        spread = _statuses(base, [f"203.0.113.{i}" for i in range(14)])
        same = _statuses(base, ["198.51.100.7"] * 14)
    assert spread == [401] * 14  # fourteen clients behind the proxy, each with its own bucket
    assert same == [401] * 10 + [429] * 4  # one client, limited


def test_unilink_serve_turns_uvicorns_forwarded_headers_off(tmp_path: object, monkeypatch: object) -> None:
    """uvicorn's default trusts X-Forwarded-For from 127.0.0.1: a local client could pick any address."""
    import uvicorn as uvicorn_module
    from typer.testing import CliRunner

    from unilink.cli.main import app as cli

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn_module, "run", lambda *args, **kwargs: calls.append(kwargs))  # type: ignore[attr-defined]
    for env in ("UNILINK_RECOVER", "UNILINK_SCHEDULER_INTERVAL", "UNILINK_DATABASE_URL", "UNILINK_USAGE_INTERVAL"):
        monkeypatch.setenv(env, "")  # type: ignore[attr-defined]  # serve sets them: undone after the test
    result = CliRunner().invoke(cli, ["serve", "--database", f"sqlite:///{tmp_path}/u.db"])
    assert result.exit_code == 0, result.output
    assert calls and calls[0]["proxy_headers"] is False
