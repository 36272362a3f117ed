"""/docs and /redoc in a real browser with every request off this server refused: the API's
documentation renders offline (issue 18: it was blank without a CDN)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from portal_helpers import Portal

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _offline(page: Any, portal: Portal) -> list[str]:
    """Abort every request that is not to the portal's server; the list of those refused."""
    own = urlsplit(portal.url).netloc
    refused: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if urlsplit(url).netloc == own or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.route("**/*", route)
    return refused


def test_swagger_ui_lists_the_operations_offline(page: Any, portal: Portal) -> None:
    refused = _offline(page, portal)
    page.goto(f"{portal.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("unilink API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 50  # every route of the API, from /openapi.json
    assert refused == []


def test_redoc_renders_offline(browser: Any, portal: Portal) -> None:
    # its own context, not the `page` fixture: ReDoc's sidebar badge asks cdn.redoc.ly for a logo and
    # hides it when that fails (an <img onError>), which the browser logs as a failed resource
    context = browser.new_context()
    try:
        page = context.new_page()
        refused = _offline(page, portal)
        page.goto(f"{portal.url}/redoc")
        expect(page.locator("h1").first).to_contain_text("unilink API")
        expect(page.get_by_text("/api/v1/sites").first).to_be_attached()
        assert refused in ([], ["https://cdn.redoc.ly/redoc/logo-mini.svg"])  # the badge only, never the page
    finally:
        context.close()
