"""Helpers of the portal's end-to-end tests (imported by bare name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from unilink.store.db import Store


@dataclass
class Portal:
    url: str
    store: Store
    tokens: dict[str, str]
    screenshots: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app: Any, *, name: str = "portal-uvicorn") -> Iterator[str]:
    """`app` served by a real uvicorn on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the portal's uvicorn server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_in(page: Any, portal: Portal, who: str) -> None:
    """Sign in through the form, as a person would: paste the token, press the button."""
    page.goto(f"{portal.url}/portal/sign-in")
    page.get_by_label("API token").fill(portal.tokens[who])
    page.locator("form", has=page.get_by_label("API token")).get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def rows_text(page: Any, table: str) -> list[str]:
    """The text of every body row of a table (to compare a page before and after)."""
    return [" ".join(text.split()) for text in page.locator(f"{table} tbody tr").all_inner_texts()]
