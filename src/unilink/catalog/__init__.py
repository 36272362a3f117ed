"""The catalog: access technologies and their limits, service specifications, the price book."""

from unilink.catalog.access import TECHNOLOGIES, AccessTechnology, Technology, parse_technology
from unilink.catalog.prices import DEFAULT_PRICE_BOOK, PriceBook, Quote, QuoteLine
from unilink.catalog.services import SERVICE_SPECIFICATIONS, ServiceKind, VpnTopology

__all__ = ["DEFAULT_PRICE_BOOK", "SERVICE_SPECIFICATIONS", "TECHNOLOGIES", "AccessTechnology", "PriceBook", "Quote",
           "QuoteLine", "ServiceKind", "Technology", "VpnTopology", "parse_technology"]
