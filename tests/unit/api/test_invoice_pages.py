"""The invoice pages of the portal over the seeded fixture (api_fixtures.seed_invoices: acme's and
globex's December): the list and one invoice readable without JavaScript, the lines adding up to the
net, the downloads, another tenant's invoice 404, and the link in the navigation."""

from __future__ import annotations

from api_fixtures import Api
from facturx import xml_check_xsd
from lxml import html

from unilink.catalog.prices import format_cents


def _sign_in(api: Api, who: str) -> None:
    api.client.cookies.clear()
    signed = api.client.post("/portal/sign-in", data={"token": api.tokens[who], "next": "/portal/invoices"},
                             follow_redirects=False)
    assert signed.status_code == 303, signed.text


def test_a_tenant_reads_its_invoice_and_downloads_it(api: Api) -> None:
    _sign_in(api, "acme-viewer")
    number = api.objects["acme_invoice"]
    listing = html.fromstring(api.client.get("/portal/invoices").text)
    assert listing.xpath('//nav//a[@aria-current="page"]/text()') == ["Invoices"]
    assert listing.xpath("//table[@id='invoices']//tr/@data-number") == [number]   # globex's is not listed
    assert not listing.xpath("//script[not(@src)]")
    page = api.client.get(f"/portal/invoices/{number}")
    assert page.status_code == 200, page.text
    doc = html.fromstring(page.text)
    issued = api.client.get(f"/api/v1/invoices/{number}", headers=api.headers("acme-viewer")).json()
    amounts = [a.strip() for a in doc.xpath("//table[@id='lines']//td[contains(@class, 'amount')]/text()")]
    assert amounts == [format_cents(line["cents"]) for line in issued["lines"]] and amounts
    assert doc.xpath("string(//td[@id='total'])") == format_cents(issued["total_cents"])
    assert sum(line["cents"] for line in issued["lines"]) == issued["net_cents"] > 0
    csv_answer = api.client.get(f"/portal/invoices/{number}/csv")
    assert csv_answer.headers["content-type"].startswith("text/csv") and number in csv_answer.text
    assert xml_check_xsd(api.client.get(f"/portal/invoices/{number}/xml").content, flavor="factur-x",
                         level="en16931") is True


def test_another_tenants_invoice_is_404_and_an_operator_sees_all(api: Api) -> None:
    _sign_in(api, "acme-admin")
    theirs = api.objects["globex_invoice"]
    for path in ("", "/csv", "/xml"):
        assert api.client.get(f"/portal/invoices/{theirs}{path}").status_code == 404
    _sign_in(api, "op-viewer")
    numbers = html.fromstring(api.client.get("/portal/invoices").text).xpath("//table[@id='invoices']//tr/@data-number")
    assert sorted(numbers) == sorted([api.objects["acme_invoice"], theirs])
    assert api.client.get(f"/portal/invoices/{theirs}").status_code == 200
