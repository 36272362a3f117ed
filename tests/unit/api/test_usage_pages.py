"""The usage page of the portal over the seeded fixture (api_fixtures.seed_usage): the graph inline and
readable without JavaScript, the figures, the advice's button that plans the change (an ordinary plan
page follows), another tenant's site 404, and a link from the sites page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from api_fixtures import Api
from lxml import html


def _sign_in(api: Api, who: str) -> None:
    api.client.cookies.clear()
    signed = api.client.post("/portal/sign-in", data={"token": api.tokens[who], "next": "/portal/sites"},
                             follow_redirects=False)
    assert signed.status_code == 303, signed.text


def test_the_site_page_draws_the_graph_and_offers_the_advice(api: Api) -> None:
    _sign_in(api, "acme-admin")
    sites = html.fromstring(api.client.get("/portal/sites").text)
    assert sites.xpath('//tr[@data-site="acme-office"]//a[@class="usage"]/@href') == ["/portal/sites/acme-office/usage"]
    page = api.client.get("/portal/sites/acme-office/usage", params={"range": "7d"})
    assert page.status_code == 200, page.text
    doc = html.fromstring(page.text)
    assert not doc.xpath("//script[not(@src)]")                      # nothing inline to run
    svg = doc.xpath('//figure[@id="usage-graph"]/*[local-name()="svg"]')[0]
    root = ET.fromstring(html.tostring(svg))
    labels = {t.get("class"): t.text for t in root.iter() if t.get("class", "").endswith("-label")}
    assert labels["p95-label"] == "95th percentile 30 Mbit/s"
    assert doc.xpath('string(//td[contains(@class, "committed-down")])').strip() == "300 Mbit/s"
    assert doc.xpath('string(//section[@id="advice"]//strong)') == \
        "+200M (down 300M → 500M; acme-office-internet 100M → 200M) for +€40.00/month"
    planned = api.client.post("/portal/sites/acme-office/usage/plan", data={}, follow_redirects=False)
    assert planned.status_code == 303 and planned.headers["location"].startswith("/portal/plans/p-")
    plan = api.client.get(planned.headers["location"])
    assert plan.status_code == 200 and "Apply" in plan.text


def test_a_viewer_sees_no_button_and_another_tenant_gets_404(api: Api) -> None:
    _sign_in(api, "acme-viewer")
    page = html.fromstring(api.client.get("/portal/sites/acme-office/usage").text)
    assert page.xpath('//section[@id="advice"]') and not page.xpath('//section[@id="advice"]//form')
    assert api.client.post("/portal/sites/acme-office/usage/plan", data={}).status_code == 403
    assert api.client.get("/portal/sites/globex-office/usage").status_code == 404
    assert api.client.get("/portal/sites/acme-office/usage", params={"range": "10y"}).status_code == 422


def test_the_operator_sees_measured_use_beside_booked(api: Api) -> None:
    _sign_in(api, "op-viewer")
    page = html.fromstring(api.client.get("/portal/network").text)
    assert page.xpath('//img[@id="measured-map"]/@src') == ["/portal/network/measured.svg"]
    assert "Measured use" in page.xpath('string(//table[@id="busiest"]/thead)')
    picture = api.client.get("/portal/network/measured.svg")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/svg+xml"
    assert "measured now" in picture.text
