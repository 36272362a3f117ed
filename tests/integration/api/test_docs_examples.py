"""Every shell example of docs/api.md's "Examples" section runs, in order, against a real server."""

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
from demo_api import DemoApi

from unilink.api.app import create_app

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"
VENV = Path(__file__).resolve().parents[3] / ".venv"


def example_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    examples = text[text.index("## Examples"):text.index("## The CLI against a server")]
    return re.findall(r"```sh\n(.*?)```", examples, flags=re.S)


def test_the_examples_section_has_examples() -> None:
    assert len(example_blocks()) >= 8


def test_every_example_runs(demo: DemoApi, tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    # docs/api.md says so: its server allows a webhook receiver on 127.0.0.1
    app = create_app(demo.store, rate_limit="off", deliver_webhooks=False, webhook_allow="127.0.0.1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    (tmp_path / ".venv").symlink_to(VENV)
    script = "set -euo pipefail\n" + "\n".join(example_blocks()).replace(
        "export UNILINK_API=http://127.0.0.1:8000", f"export UNILINK_API=http://127.0.0.1:{port}")
    env = {**os.environ, "UNILINK_DATABASE_URL": demo.store.url}
    try:
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert done.returncode == 0, f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert '"title":"Invalid input"' in done.stdout and '"field":"body.lat"' in done.stdout
    assert '"reason":"activity dropped"' in done.stdout
    assert '"field":"url"' in done.stdout and "169.254.169.254, a link-local" in done.stdout
