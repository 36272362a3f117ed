"""A site's usage page in a real browser (Debian's Chromium), with JavaScript off: from the sites page
to the graph, its figures, and the advice's button that plans the change — the plan page follows.

The seeded demo's paris-hq (fibre, 2G committed) gets 7 days of 5-minute samples running at 96 % of
its rate from 14:00 to 15:00 UTC; the server listens on a port of 18200–18299.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from portal_helpers import Portal, serving, sign_in

from unilink.store.db import Store
from usage_samples import busy_days, write_rates

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]
G = 10**9


@pytest.fixture(scope="module")
def usage_portal(seeded_template: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[Portal]:
    from unilink.api.app import create_app

    template, tokens = seeded_template
    workdir = tmp_path_factory.mktemp("usage-portal")
    shutil.copyfile(template, workdir / "unilink.db")
    store = Store.open(f"sqlite:///{workdir / 'unilink.db'}", migrate=False)
    down = busy_days(7, busy_bps=1_920_000_000, quiet_bps=400_000_000)
    write_rates(store, tenant="acme-logistics", site="paris-hq", start=datetime(2026, 11, 24, tzinfo=UTC),
                down_bps=down, up_bps=[300_000_000] * len(down))
    shots = workdir / "screenshots"
    shots.mkdir()
    try:
        with serving(create_app(store, rate_limit="off", deliver_webhooks=False), name="usage-uvicorn") as url:
            yield Portal(url=url, store=store, tokens=tokens, screenshots=shots)
    finally:
        store.close()


def test_the_usage_page_without_javascript_plans_the_advised_change(browser: Any, usage_portal: Portal) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, usage_portal, "acme-admin")
        page.locator('#sites tr[data-site="paris-hq"]').get_by_role("link", name=re.compile("Usage")).click()
        expect(page.get_by_role("heading", name="Usage of paris-hq")).to_be_visible()
        graph = page.locator("#usage-graph svg")
        expect(graph).to_be_visible()
        box = graph.bounding_box()
        assert box is not None and box["width"] > 600 and box["height"] > 250      # drawn, not collapsed
        expect(page.locator("#usage-graph .committed-label")).to_have_text("committed 2,000 Mbit/s")
        expect(page.locator("#usage-figures .committed-down")).to_have_text("2,000 Mbit/s")
        page.get_by_role("link", name="Last 7 days").click()
        expect(page).to_have_url(re.compile(r"range=7d$"))
        expect(page.locator("#advice .summary")).to_contain_text("2G → 5G")
        page.screenshot(path=str(usage_portal.screenshots / "usage.png"), full_page=True)
        page.get_by_role("button", name="Plan this change").click()
        expect(page).to_have_url(re.compile(r"/portal/plans/p-\d{14}-[0-9a-f]{8}$"))
        expect(page.get_by_role("button", name=re.compile("Apply"))).to_be_visible()
    finally:
        context.close()
