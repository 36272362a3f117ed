"""The price of an intent, and of a change: monthly before → after, one-off charges, temporary rates.

Pure: the price book comes from `unilink.catalog.prices`; E-Line distance classes use the great-circle
distance between the two sites' PoPs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from unilink.catalog.prices import DEFAULT_PRICE_BOOK, PriceBook, Quote, QuoteLine, prorate_cents
from unilink.catalog.services import ServiceKind
from unilink.engine.admission import temporary_windows
from unilink.inventory.model import Pop
from unilink.services.intent import Boost, ELineService, Intent, InternetService, IpVpnService, Schedule, site_usages
from unilink.units import format_bandwidth, great_circle_km


def quote_intent(intent: Intent | None, pops: Mapping[str, Pop], book: PriceBook = DEFAULT_PRICE_BOOK) -> Quote:
    """Monthly price of everything in `intent` (accesses, backup lines and services)."""
    quote = Quote(currency=book.currency)
    if intent is None:
        return quote
    for site in intent.sites:
        a = site.access
        quote.lines.append(QuoteLine(f"access {site.name} ({a.technology.value} {format_bandwidth(a.port)})",
                                     book.access_monthly(a.technology, a.port)))
        if site.backup is not None:
            b = site.backup
            quote.lines.append(QuoteLine(f"backup {site.name} ({b.technology.value} {format_bandwidth(b.port)})",
                                         book.backup_monthly(b.technology, b.port)))
    usages = site_usages(intent)
    site_pop = {s.name: s.pop for s in intent.sites}
    for svc in intent.services:
        if isinstance(svc, InternetService):
            quote.lines.append(QuoteLine(f"internet {svc.name} {format_bandwidth(svc.rate)}",
                                         book.service_monthly(ServiceKind.INTERNET, svc.rate)))
        elif isinstance(svc, IpVpnService):
            for m in svc.members:
                quote.lines.append(QuoteLine(f"ipvpn {svc.name} member {m.site} {format_bandwidth(m.rate)}",
                                             book.service_monthly(ServiceKind.IPVPN, usages[(svc.name, m.site)][0])))
        else:
            km = _distance_km(pops, site_pop[svc.a], site_pop[svc.b])
            quote.lines.append(QuoteLine(
                f"eline {svc.name} {format_bandwidth(svc.rate)}{' protected' if svc.protected else ''}",
                book.service_monthly(ServiceKind.ELINE, svc.rate, distance_km=km, protected=svc.protected)))
    return quote


def _distance_km(pops: Mapping[str, Pop], a: str, b: str) -> float:
    pa, pb = pops[a], pops[b]
    return great_circle_km(pa.lat, pa.lon, pb.lat, pb.lon)


def temporary_cents(intent: Intent, pops: Mapping[str, Pop], now: datetime,
                    book: PriceBook = DEFAULT_PRICE_BOOK) -> list[dict[str, Any]]:
    """What each boost and schedule costs until the horizon: the monthly difference, pro-rata by the hour."""
    usages = site_usages(intent)
    site_pop = {s.name: s.pop for s in intent.sites}
    out = []
    items: Iterable[Boost | Schedule] = [*intent.boosts, *intent.schedules]
    for item in items:
        svc = intent.service(item.service)
        site = item.site or (svc.site if isinstance(svc, InternetService) else
                             svc.a if isinstance(svc, ELineService) else "")
        base = usages[(svc.name, site)][0]
        kind = ServiceKind(svc.kind)
        km = _distance_km(pops, site_pop[svc.a], site_pop[svc.b]) if isinstance(svc, ELineService) else 0.0
        delta = (book.service_monthly(kind, item.rate, distance_km=km)
                 - book.service_monthly(kind, base, distance_km=km))
        hours = sum(((end - start).total_seconds() / 3600) for start, end in temporary_windows(item, now)
                    if end is not None)
        name = f"boost {item.service}" if isinstance(item, Boost) else f"schedule {item.name}"
        out.append({"item": name, "hours": round(hours, 2), "cents": prorate_cents(max(0, delta), hours)
                    if hours else 0})
    return out


def price_summary(before: Quote, after: Quote, one_off_cents: int, temporaries: list[dict[str, Any]]
                  ) -> dict[str, Any]:
    unchanged = set(before.lines)
    return {"currency": after.currency, "monthly_before_cents": before.monthly_cents,
            "monthly_after_cents": after.monthly_cents,
            "monthly_delta_cents": after.monthly_cents - before.monthly_cents,
            "one_off_cents": one_off_cents, "temporary": temporaries,
            "temporary_cents": sum(t["cents"] for t in temporaries),
            # only the lines that differ: a plan shows what the change costs, not the whole bill
            "lines": [{"item": ln.item, "monthly_cents": ln.monthly_cents, "one_off_cents": ln.one_off_cents}
                      for ln in after.lines if ln not in unchanged]}
