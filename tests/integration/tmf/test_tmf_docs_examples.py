"""Every shell example of docs/tmf.md's "Examples" section runs, in order, against a real server (uvicorn
on 127.0.0.1, a port of 18400-18499) over a freshly seeded database."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from unilink.api.app import create_app
from unilink.store.db import Store

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "tmf.md"


def example_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    examples = text[text.index("## Examples"):text.index("## Proof against the official specs")]
    return re.findall(r"```sh\n(.*?)```", examples, flags=re.S)


def _free_port() -> int:
    for port in range(18400, 18500):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 18400-18499")


def test_every_example_runs(tmf_template: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    assert len(example_blocks()) >= 6
    copy = tmp_path / "unilink.db"
    shutil.copyfile(tmf_template[0], copy)
    store = Store.open(f"sqlite:///{copy}", migrate=False)
    app = create_app(store, rate_limit="off", deliver_webhooks=False, webhook_allow="127.0.0.1")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    script = "set -euo pipefail\n" + "\n".join(example_blocks()).replace(
        "export UNILINK_API=http://127.0.0.1:8000", f"export UNILINK_API=http://127.0.0.1:{port}")
    env = {**os.environ, "UNILINK_DATABASE_URL": store.url}
    try:
        done = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
    out = done.stdout
    assert done.returncode == 0, f"stdout:\n{out[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert "inProgress ['inProgress', 'inProgress', 'completed']" in out
    assert '"state":"completed"' in out and '"name":"berlin-internet"' in out
    assert re.search(r"(?i)x-total-count: 6", out) and re.search(r"(?i)x-result-count: 2", out)
    assert '"state":"done"' in out and '"cancellationReason":"site not ready"' in out
    assert '"field":"serviceOrderItem[0].service.serviceCharacteristic[0].value"' in out
