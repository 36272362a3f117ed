"""A REAL Prometheus server (Debian's `prometheus`) scrapes unilink's /metrics/usage with an operator
token, and its query API answers with the octets the seeded traffic model sent.

unilink runs in uvicorn in a thread on a free port; Prometheus on another, with a temporary config
(scrape every second) and storage; both stop at the end.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn

from seeded_template import make_seeded_template
from unilink.api.app import create_app
from unilink.clock import FrozenClock
from unilink.store.db import Store
from unilink.usage.poller import Poller, reader_for

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]
PROMETHEUS = shutil.which("prometheus")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Store, str, int]]:
    """A seeded store served by uvicorn on 127.0.0.1 (store, operator token, port)."""
    tokens = make_seeded_template(tmp_path / "unilink.db", {"op": ("operator-viewer", None)})
    store = Store.open(f"sqlite:///{tmp_path / 'unilink.db'}", migrate=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store, rate_limit="off", deliver_webhooks=False),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield store, tokens["op"], port
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()


def _prometheus(tmp_path: Path, target_port: int, token: str) -> tuple[subprocess.Popen[bytes], int]:
    assert PROMETHEUS is not None
    (tmp_path / "token").write_text(token)
    (tmp_path / "prometheus.yml").write_text(f"""
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: unilink-usage
    metrics_path: /metrics/usage
    authorization: {{credentials_file: {tmp_path / 'token'}}}
    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]
""")
    port = _free_port()
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("wb"))
    return proc, port


def _query(port: int, promql: str) -> list[dict[str, object]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as answer:
        body = json.loads(answer.read())
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def test_prometheus_scrapes_the_octets_the_model_sent(served: tuple[Store, str, int], tmp_path: Path,
                                                      frozen_clock: FrozenClock) -> None:
    if PROMETHEUS is None:
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    store, token, port = served
    reader, routers = reader_for(store, "sim")
    poller = Poller(store, reader, routers, interval_s=300)
    poller.poll_once()
    frozen_clock.advance(timedelta(seconds=300))
    poller.poll_once()
    router, iface = next((r, i) for r, ifaces in sorted(reader.interfaces.items())  # type: ignore[attr-defined]
                         for i in ifaces if i.carries.kind == "link")
    flow_out = reader.flows(router, iface)[1]  # type: ignore[attr-defined]
    u1 = (frozen_clock.now() - reader.origin).total_seconds()  # type: ignore[attr-defined]
    want = flow_out.octets(u1) - flow_out.octets(u1 - 300)
    direction = iface.carries.out_direction
    proc, prom_port = _prometheus(tmp_path, port, token)
    try:
        promql = f'unilink_usage_octets_total{{link="{iface.carries.link}",direction="{direction}"}}'
        deadline = time.monotonic() + 60
        result: list[dict[str, object]] = []
        while time.monotonic() < deadline and not result:
            time.sleep(0.5)
            try:
                result = _query(prom_port, promql)
            except OSError:
                continue   # not listening yet
        assert result, f"no scrape within 60 s: {(tmp_path / 'prometheus.log').read_text()[-2000:]}"
        (only,) = result
        assert int(float(only["value"][1])) == want  # type: ignore[index]
        assert only["metric"]["job"] == "unilink-usage"  # type: ignore[index]
        up = _query(prom_port, 'up{job="unilink-usage"}')
        assert up and up[0]["value"][1] == "1"  # type: ignore[index]
    finally:
        proc.terminate()
        proc.wait(10)
