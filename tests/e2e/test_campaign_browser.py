"""The public campaign page in a real browser (Debian's Chromium through Playwright, against uvicorn):
a resident opens the page, fills in the pledge form, sees "Check your e-mail"; the link of the mail
(read from the outbox) shows a Confirm button; once pressed, the zone's count on the page has moved.
Then the same with JavaScript turned off, to prove the page needs none.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from portal_helpers import Portal

from campaign_fixture import CAMPAIGN, campaign_spec, link_for, resident, token_of
from unilink.usecases import campaigns

try:
    from playwright.sync_api import expect
except ImportError:  # under CI=true a missing browser part is a failure, never a quiet skip
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ALREADY = 5  # confirmed before the browser comes: the public page shows counts from 5 on


@pytest.fixture(scope="module")
def campaign(portal: Portal) -> str:
    """The test campaign in the portal's database, with ALREADY confirmed pledges in zone thoiry."""
    campaigns.open_campaign(portal.store, {**campaign_spec(), "tenant": "coop-mahieu"}, actor="test")
    for i in range(ALREADY):
        person = resident(50 + i)
        campaigns.pledge(portal.store, CAMPAIGN, person)
        campaigns.confirm_pledge(portal.store, token_of(link_for(campaigns.mail_outbox(portal.store), person["email"])))
    return CAMPAIGN


def _count(page: Any, zone: str) -> Any:
    return page.locator(f'#zones tr[data-zone="{zone}"] .count')


def _pledge_and_confirm(page: Any, portal: Portal, person: dict[str, Any], before: int) -> None:
    page.goto(f"{portal.url}/c/{CAMPAIGN}")
    expect(page.get_by_role("heading", name="Fibre for Thoiry and Autouillet")).to_be_visible()
    expect(_count(page, "thoiry")).to_have_text(str(before))
    expect(page.locator("#map svg .zone")).to_have_count(2)
    page.get_by_label("Your name").fill(person["name"])
    page.get_by_label("E-mail", exact=True).fill(person["email"])
    page.get_by_label("Postal address").fill(person["address"])
    page.get_by_label("Latitude").fill(str(person["lat"]))
    page.get_by_label("Longitude").fill(str(person["lon"]))
    page.get_by_label("Plan").select_option("fibre-1g")
    page.get_by_label("Deposit (€)").fill("10")
    page.get_by_role("button", name="Pledge").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(page.locator("#email-masked")).to_have_text("y***@example.org")

    link = link_for(campaigns.mail_outbox(portal.store), person["email"])
    page.goto(f"{portal.url}{link}")
    expect(page.get_by_role("heading", name="Confirm my pledge")).to_be_visible()
    assert _confirmed_on_server(portal) == before  # opening the link changed nothing
    page.get_by_role("button", name="Confirm my pledge").click()
    expect(page.get_by_role("heading", name="Your pledge is confirmed")).to_be_visible()
    page.get_by_role("link", name="See the campaign").click()
    expect(page).to_have_url(re.compile(rf"/c/{CAMPAIGN}$"))
    expect(_count(page, "thoiry")).to_have_text(str(before + 1))
    expect(page.locator('#zones tr[data-zone="thoiry"] progress')).to_have_attribute("value", str(before + 1))
    expect(page.locator("#map")).to_contain_text(f"{before + 1} of 60")


def _confirmed_on_server(portal: Portal) -> int:
    view = campaigns.manager_view(portal.store, CAMPAIGN, tenant=None)
    return next(z for z in view["zones"] if z["name"] == "thoiry")["confirmed"]


def test_a_resident_pledges_confirms_by_the_mailed_link_and_sees_the_count_move(
        page: Any, portal: Portal, campaign: str) -> None:
    _pledge_and_confirm(page, portal, resident(1), ALREADY)
    shot = portal.screenshots / "campaign-public.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")


def test_the_same_without_javascript(browser: Any, portal: Portal, campaign: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        _pledge_and_confirm(page, portal, resident(2), _confirmed_on_server(portal))
    finally:
        context.close()


def test_a_refused_pledge_shows_the_error_beside_the_field_in_the_browser(page: Any, portal: Portal,
                                                                          campaign: str) -> None:
    page.goto(f"{portal.url}/c/{campaign}")
    page.get_by_label("Your name").fill("Ysolde Quenneville3")
    page.get_by_label("E-mail", exact=True).fill("ysolde.quenneville3@example.org")
    page.get_by_label("Postal address").fill("3 rue des Quenouillettes")
    page.get_by_label("Latitude").fill("45.76")
    page.get_by_label("Longitude").fill("4.84")
    page.get_by_role("button", name="Pledge").click()
    expect(page.locator("#err-lat")).to_contain_text("not inside a zone of this campaign")
    expect(page.get_by_label("Latitude")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Your name")).to_have_value("Ysolde Quenneville3")
