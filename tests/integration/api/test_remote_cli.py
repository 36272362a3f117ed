"""`unilink.cli.remote`: the CLI's client against a real server (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import copy
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from demo_api import DemoApi

from unilink.api.app import create_app
from unilink.cli.remote import RemoteClient, remote_client
from unilink.errors import ConflictError, InfeasibleError, NotFoundError, UnilinkError, ValidationError


@pytest.fixture
def server(demo: DemoApi) -> Iterator[str]:
    app = create_app(demo.store, rate_limit="off", deliver_webhooks=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_plan_apply_history_remotely(server: str, demo: DemoApi) -> None:
    with RemoteClient(server, demo.tokens["acme-admin"]) as client:
        assert client.whoami()["tenant"] == "acme-logistics"
        desired = client.intent(None)
        desired["services"][0]["rate"] = desired["services"][0]["rate"] // 2
        content = client.plan(None, desired, devices=True)
        # a tenant token: its own attachments' changes per router, no router config (issue 11 item 2)
        assert not content["empty"] and all(set(d) == {"changes"} for d in content["devices"].values())
        result = client.apply(content["id"], "remote test")
        assert result["plan_id"] == content["id"]
        assert client.history(None, 1)[0]["reason"] == "remote test"
        assert client.status(None)["revision"] == result["revision"]


def test_server_errors_become_the_same_errors_as_locally(server: str, demo: DemoApi) -> None:
    with RemoteClient(server, demo.tokens["acme-admin"]) as client:
        desired = client.intent(None)
        with pytest.raises(NotFoundError) as missing:
            client.apply("p-20260101000000-deadbeef")
        assert missing.value.exit_code == 2 and missing.value.field == "plan_id"
        one, two = copy.deepcopy(desired), copy.deepcopy(desired)
        one["services"][0]["rate"] //= 2
        two["services"][0]["rate"] //= 4
        first, second = client.plan(None, one), client.plan(None, two)
        client.apply(first["id"])
        with pytest.raises(ConflictError) as stale:
            client.apply(second["id"])
        assert stale.value.exit_code == 4 and "stale" in str(stale.value)
        bad = copy.deepcopy(desired)
        bad["sites"][0]["access"]["down"] = "fast"
        with pytest.raises(ValidationError) as invalid:
            client.plan(None, bad)
        assert invalid.value.exit_code == 2
    with RemoteClient(server, demo.tokens["op-admin"]) as operator:
        vpn = next(s for s in desired["services"] if s["kind"] == "ipvpn")
        huge = copy.deepcopy(desired)
        for member in next(s for s in huge["services"] if s["name"] == vpn["name"])["members"]:
            member["rate"] = 10**15
        with pytest.raises((InfeasibleError, ValidationError)):
            operator.plan("acme-logistics", huge)
    with RemoteClient(server, demo.tokens["acme-viewer"]) as viewer, pytest.raises(UnilinkError) as refused:
        viewer.plan(None, desired)
    assert "403" in str(refused.value)


def test_token_from_environment_or_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UNILINK_TOKEN", raising=False)
    monkeypatch.delenv("UNILINK_API", raising=False)
    config = tmp_path / "config.toml"
    assert remote_client(None, config=config) is None  # nothing named: work locally
    with pytest.raises(ValidationError) as no_token:
        remote_client("http://127.0.0.1:1", config=config)
    assert no_token.value.field == "token"
    config.write_text('api = "http://127.0.0.1:9999"\ntoken = "ul_0123456789_secret"\n')
    client = remote_client(None, config=config)
    assert client is not None and client.base_url == "http://127.0.0.1:9999"
    with pytest.raises(UnilinkError) as unreachable:
        client.whoami()
    assert "cannot reach" in str(unreachable.value)
    monkeypatch.setenv("UNILINK_TOKEN", "ul_9999999999_fromenv")
    assert remote_client("http://example.invalid", config=config).base_url == "http://example.invalid"
