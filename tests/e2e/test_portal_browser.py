"""The portal in a real browser: sign in, see only your own sites, change a rate → plan → apply →
history; a refused change names the field; the operator's page draws the utilisation map.

Screenshots of each main page land in the module's tmp dir (printed with -s) for a person to look at.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from portal_helpers import Portal, rows_text, sign_in

from frozen_time import TEST_NOW

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

OTHER_TENANT_SITES = ("stockholm-handoff", "copenhagen-handoff", "mairie-villiers")


def _shot(page: Any, portal: Portal, name: str) -> None:
    path = portal.screenshots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def _site_row(page: Any, site: str) -> Any:
    return page.locator(f'#sites tr[data-site="{site}"]')


def test_tenant_admin_changes_a_rate_sees_the_plan_applies_it_and_finds_it_in_the_history(
        page: Any, portal: Portal) -> None:
    sign_in(page, portal, "acme-admin")
    expect(page).to_have_url(re.compile(r"/portal/sites$"))
    expect(page.get_by_role("heading", name="Sites of acme-logistics")).to_be_visible()
    _shot(page, portal, "sites")
    table = page.locator("#sites")
    expect(table).to_contain_text("paris-hq")
    expect(_site_row(page, "london-hub").locator(".rate-down")).to_have_text("500 Mbit/s")
    for other in OTHER_TENANT_SITES:
        expect(table).not_to_contain_text(other)

    _site_row(page, "london-hub").get_by_role("link", name=re.compile("Change")).click()
    expect(page.get_by_role("heading", name="Change site london-hub")).to_be_visible()
    page.get_by_label("Rate down").fill("400")
    page.get_by_label("Rate up").fill("400")
    page.get_by_label("Rate in VPN corp").fill("200")
    _shot(page, portal, "change-form")
    page.get_by_role("button", name="Show the plan").click()

    expect(page).to_have_url(re.compile(r"/portal/plans/p-\d{14}-[0-9a-f]{8}$"))
    plan_id = page.url.rsplit("/", 1)[-1]
    changes = page.locator("#plan-changes")
    expect(changes).to_contain_text("london-hub")
    expect(changes).to_contain_text("access.down")
    expect(changes).to_contain_text("500 Mbit/s")
    expect(changes).to_contain_text("400 Mbit/s")
    expect(page.locator("#price-delta")).to_have_text(re.compile(r"^-€[\d,]+\.\d\d$"))  # lower rates cost less
    # a tenant sees what changes on its own attachments per router, never a router's config (issue 11 item 2)
    expect(page.locator("#plan-attachments")).to_contain_text("london-pe1")
    expect(page.locator("#plan-attachments")).to_contain_text("rate down")
    expect(page.locator("#plan-devices")).to_have_count(0)
    _shot(page, portal, "plan")

    page.get_by_label("Why (kept in the history)").fill("activity dropped")
    page.get_by_role("button", name="Apply this plan").click()
    expect(page).to_have_url(re.compile(r"/portal/history\?applied=" + re.escape(plan_id)))
    entry = page.locator(f'#history tr[data-plan="{plan_id}"]')
    expect(entry).to_contain_text("activity dropped")
    expect(entry).to_contain_text("london-hub")
    _shot(page, portal, "history")

    page.get_by_role("link", name="Sites", exact=True).click()
    expect(_site_row(page, "london-hub").locator(".rate-down")).to_have_text("400 Mbit/s")
    expect(_site_row(page, "london-hub")).to_contain_text("VPN corp 200 Mbit/s")
    page.get_by_role("link", name="Services", exact=True).click()
    expect(page.locator("#services")).to_contain_text("paris-hq-internet")
    _shot(page, portal, "services")
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("heading", name="Orders of acme-logistics")).to_be_visible()
    _shot(page, portal, "orders")


def test_a_refused_change_names_the_field_and_what_is_accepted_and_changes_nothing(page: Any, portal: Portal) -> None:
    sign_in(page, portal, "acme-admin")
    before = rows_text(page, "#sites")
    history_before = httpx.get(f"{portal.url}/api/v1/history", headers=_bearer(portal, "acme-admin")).json()
    _site_row(page, "madrid-depot").get_by_role("link", name=re.compile("Change")).click()
    down = page.get_by_label("Rate down").input_value()
    page.get_by_label("Internet access at this site").check()
    page.get_by_label("Internet rate").fill(str(int(float(down)) * 10))  # ten times the access: over the ceiling
    page.get_by_role("button", name="Show the plan").click()

    error = page.get_by_role("alert")
    expect(error).to_contain_text("over the access of site madrid-depot")
    expect(error.locator(".field")).to_have_text(re.compile(r"services\[\d+\]\.rate"))
    expect(error.locator(".label")).to_have_text("Internet rate")
    expect(error.locator(".accepted")).to_contain_text("≤")
    expect(page.get_by_label("Internet rate")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Internet rate")).to_have_value(str(int(float(down)) * 10))  # what they typed stays
    _shot(page, portal, "refused")

    page.goto(f"{portal.url}/portal/sites")
    assert rows_text(page, "#sites") == before
    history_after = httpx.get(f"{portal.url}/api/v1/history", headers=_bearer(portal, "acme-admin")).json()
    assert history_after == history_before


def test_operator_sees_the_backbone_utilisation_map_and_the_tenants(page: Any, portal: Portal) -> None:
    sign_in(page, portal, "op-admin")
    expect(page).to_have_url(re.compile(r"/portal/network$"))
    picture = page.locator("#utilisation-map")
    expect(picture).to_be_visible()
    page.wait_for_function("document.getElementById('utilisation-map').complete")
    width = page.evaluate("document.getElementById('utilisation-map').naturalWidth")
    assert width > 100, "the utilisation map did not render"
    svg = page.request.get(f"{portal.url}/portal/network/map.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text() and "utilisation" in svg.text()
    busiest = page.locator("#busiest tbody tr")
    expect(busiest).to_have_count(10)
    expect(busiest.first).to_contain_text("%")
    _shot(page, portal, "network")

    page.get_by_role("link", name="Tenants", exact=True).click()
    tenants = page.locator("#tenants")
    for name in ("acme-logistics", "nordlink-wholesale", "coop-mahieu"):
        expect(tenants).to_contain_text(name)
    _shot(page, portal, "tenants")


def test_the_session_cookie_is_httponly_and_strict_and_sign_out_ends_it(page: Any, portal: Portal) -> None:
    sign_in(page, portal, "acme-viewer")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["unilink_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read the token
    expect(page.locator("#sites")).to_contain_text("paris-hq")
    expect(page.get_by_role("link", name=re.compile("Change"))).to_have_count(0)  # a viewer changes nothing

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/portal/sign-in"))
    assert "unilink_session" not in {c["name"] for c in page.context.cookies()}
    page.goto(f"{portal.url}/portal/sites")
    expect(page).to_have_url(re.compile(r"/portal/sign-in\?next=%2Fportal%2Fsites"))


def test_a_bad_token_is_refused_on_the_sign_in_page(page: Any, portal: Portal) -> None:
    page.goto(f"{portal.url}/portal/sign-in")
    page.get_by_label("API token").fill("ul_0000000000_not-a-real-secret")
    page.locator("form", has=page.get_by_label("API token")).get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown, revoked or expired")
    _shot(page, portal, "sign-in-refused")
    assert "unilink_session" not in {c["name"] for c in page.context.cookies()}


def test_the_history_page_refreshes_itself_when_a_change_is_applied_elsewhere(page: Any, portal: Portal) -> None:
    sign_in(page, portal, "acme-admin")
    page.goto(f"{portal.url}/portal/history")
    expect(page.locator("#live-status")).to_contain_text("Live")
    page.wait_for_timeout(600)  # the stream is subscribed (it starts from the newest event)

    applied: dict[str, Any] = {}

    def change_through_the_api() -> None:
        headers = _bearer(portal, "acme-admin")
        intent = httpx.get(f"{portal.url}/api/v1/intent", headers=headers).json()
        site = next(s for s in intent["sites"] if s["name"] == "vienna-office")
        site["access"]["up"] = site["access"]["up"] - 1_000_000
        site["access"]["down"] = site["access"]["down"] - 1_000_000
        plan = httpx.post(f"{portal.url}/api/v1/plans", json=intent, headers=headers).json()
        applied["plan"] = plan["id"]
        httpx.post(f"{portal.url}/api/v1/plans/{plan['id']}/apply", json={"reason": "from a script"},
                   headers=headers).raise_for_status()

    worker = threading.Thread(target=change_through_the_api)
    worker.start()
    worker.join(timeout=30)
    expect(page.locator(f'#history tr[data-plan="{applied["plan"]}"]')).to_contain_text("from a script",
                                                                                       timeout=10_000)


def _bearer(portal: Portal, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.tokens[who]}"}


def test_a_temporary_boost_is_chosen_with_the_browser_s_date_picker_and_planned(page: Any, portal: Portal) -> None:
    sign_in(page, portal, "acme-admin")
    _site_row(page, "amsterdam-hub").get_by_role("link", name=re.compile("Change")).click()
    page.get_by_label("Boost service").select_option("corp")
    page.get_by_label("Boost rate").fill("800")
    until = (TEST_NOW + timedelta(days=7)).replace(hour=6, minute=0)  # a boost ends within 90 days
    page.get_by_label("Boost until (UTC)").fill(until.strftime("%Y-%m-%dT%H:%M"))
    _shot(page, portal, "change-boost")
    page.get_by_role("button", name="Show the plan").click()
    expect(page).to_have_url(re.compile(r"/portal/plans/p-"))
    changes = page.locator("#plan-changes")
    expect(changes).to_contain_text("boost")
    expect(changes).to_contain_text("800 Mbit/s")
    expect(changes).to_contain_text(until.strftime("%Y-%m-%dT%H:%M:00Z"))
    _shot(page, portal, "plan-boost")


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name || e.id)"""
NO_ALT = "() => [...document.querySelectorAll('img')].filter(i => !i.alt).map(i => i.src)"


def test_every_input_has_a_label_every_picture_a_text_and_every_page_one_h1(page: Any, portal: Portal) -> None:
    page.goto(f"{portal.url}/portal/sign-in")
    pages = ["/portal/sign-in"]
    assert page.evaluate(UNLABELLED) == []
    sign_in(page, portal, "op-admin")
    for path in ("/portal/network", "/portal/tenants", "/portal/sites?tenant=acme-logistics",
                 "/portal/sites/paris-hq/change?tenant=acme-logistics", "/portal/history?tenant=acme-logistics",
                 "/portal/orders?tenant=acme-logistics", "/portal/services?tenant=acme-logistics"):
        page.goto(f"{portal.url}{path}")
        pages.append(path)
        assert page.evaluate(UNLABELLED) == [], path
        assert page.evaluate(NO_ALT) == [], path
        assert page.locator("h1").count() == 1, path
        assert page.locator("html").get_attribute("lang") == "en"
    assert len(pages) == 8
