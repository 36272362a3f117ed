"""The portal served for real: uvicorn on a free 127.0.0.1 port against a seeded SQLite store, and
Debian's Chromium driven by Playwright (never a downloaded browser).

`portal` gives a running server per test module (a fresh copy of one seeded database, with tokens
for each kind of user); `browser` a headless Chromium per module, skipped with the reason when
/usr/bin/chromium is absent; `page` a new browser context (no cookies) per test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from portal_helpers import Portal, serving

from seeded_template import make_seeded_template
from unilink.store.db import Store

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
USERS = {
    "acme-admin": ("tenant-admin", "acme-logistics"),
    "acme-viewer": ("tenant-viewer", "acme-logistics"),
    "nordlink-admin": ("tenant-admin", "nordlink-wholesale"),
    "op-admin": ("operator-admin", None),
}


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("portal-template") / "unilink.db"
    return path, make_seeded_template(path, USERS)


@pytest.fixture(scope="module")
def portal(seeded_template: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    from unilink.api.app import create_app

    template, tokens = seeded_template
    workdir = tmp_path_factory.mktemp("portal")
    copy = workdir / "unilink.db"
    shutil.copyfile(template, copy)
    store = Store.open(f"sqlite:///{copy}", migrate=False)
    shots = workdir / "screenshots"
    shots.mkdir()
    try:
        with serving(create_app(store, rate_limit="off", deliver_webhooks=False)) as url:
            yield Portal(url=url, store=store, tokens=tokens, screenshots=shots)
    finally:
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    problems: list[str] = []
    # A resource the content security policy blocks, or a script error, shows up here: fail on it.
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    unexpected = [p for p in problems if "status of 4" not in p]  # refusals (401/403/422) are the tests' own
    assert not unexpected, f"browser console errors: {unexpected}"
