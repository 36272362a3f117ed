"""The price of an intent, and of a plan: monthly now → after the change → after the pending field
work, one-off charges, temporary rates.

Pure: the price book comes from `unilink.catalog.prices`; E-Line distance classes use the great-circle
distance between the two sites' PoPs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unilink.catalog.access import parse_technology
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
    lines = quote.lines
    for site in intent.sites:
        a = site.access
        lines.append(QuoteLine(f"access {site.name} ({a.technology.value} {format_bandwidth(a.port)})",
                               book.access_monthly(a.technology, a.port), key=f"access {site.name}"))
        if site.backup is not None:
            b = site.backup
            lines.append(QuoteLine(f"backup {site.name} ({b.technology.value} {format_bandwidth(b.port)})",
                                   book.backup_monthly(b.technology, b.port), key=f"backup {site.name}"))
    usages = site_usages(intent)
    site_pop = {s.name: s.pop for s in intent.sites}
    for svc in intent.services:
        if isinstance(svc, InternetService):
            lines.append(QuoteLine(f"internet {svc.name} {format_bandwidth(svc.rate)}",
                                   book.service_monthly(ServiceKind.INTERNET, svc.rate), key=f"internet {svc.name}"))
        elif isinstance(svc, IpVpnService):
            for m in svc.members:
                lines.append(QuoteLine(f"ipvpn {svc.name} member {m.site} {format_bandwidth(m.rate)}",
                                       book.service_monthly(ServiceKind.IPVPN, usages[(svc.name, m.site)][0]),
                                       key=f"ipvpn {svc.name} member {m.site}"))
        else:
            km = _distance_km(pops, site_pop[svc.a], site_pop[svc.b])
            lines.append(QuoteLine(
                f"eline {svc.name} {format_bandwidth(svc.rate)}{' protected' if svc.protected else ''}",
                book.service_monthly(ServiceKind.ELINE, svc.rate, distance_km=km, protected=svc.protected),
                key=f"eline {svc.name}"))
    return quote


def _distance_km(pops: Mapping[str, Pop], a: str, b: str) -> float:
    pa, pb = pops[a], pops[b]
    return great_circle_km(pa.lat, pa.lon, pb.lat, pb.lon)


def temporary_site(intent: Intent, item: Boost | Schedule) -> str:
    """The site a boost or schedule changes the rate at (implied for internet and E-Line services)."""
    svc = intent.service(item.service)
    return item.site or (svc.site if isinstance(svc, InternetService) else
                         svc.a if isinstance(svc, ELineService) else "")


def temporary_delta_cents(intent: Intent, item: Boost | Schedule, pops: Mapping[str, Pop],
                          book: PriceBook = DEFAULT_PRICE_BOOK) -> int:
    """The monthly price at a boost's or schedule's rate less the service's base rate's (the plan's
    quote and the invoice both bill this difference by the hour)."""
    svc = intent.service(item.service)
    base = site_usages(intent)[(svc.name, temporary_site(intent, item))][0]
    kind = ServiceKind(svc.kind)
    site_pop = {s.name: s.pop for s in intent.sites}
    km = _distance_km(pops, site_pop[svc.a], site_pop[svc.b]) if isinstance(svc, ELineService) else 0.0
    return book.service_monthly(kind, item.rate, distance_km=km) - book.service_monthly(kind, base, distance_km=km)


def temporary_cents(intent: Intent, pops: Mapping[str, Pop], now: datetime,
                    book: PriceBook = DEFAULT_PRICE_BOOK) -> list[dict[str, Any]]:
    """What each boost and schedule costs until the horizon: the monthly difference, pro-rata by the hour."""
    out = []
    items: Iterable[Boost | Schedule] = [*intent.boosts, *intent.schedules]
    for item in items:
        delta = temporary_delta_cents(intent, item, pops, book)
        hours = sum(((end - start).total_seconds() / 3600) for start, end in temporary_windows(item, now)
                    if end is not None)
        name = f"boost {item.service}" if isinstance(item, Boost) else f"schedule {item.name}"
        out.append({"item": name, "hours": round(hours, 2), "cents": prorate_cents(max(0, delta), hours)
                    if hours else 0})
    return out


def install_cents(order_item: dict[str, Any], book: PriceBook = DEFAULT_PRICE_BOOK) -> int:
    """The one-off installation charge of an order's line (its item has the shape of `FieldWork.item`)."""
    return book.install_cents[parse_technology(order_item["access"]["technology"])]


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One priced thing in the three states a plan compares; None where it is not billed."""

    key: str                  # "access HQ", "internet paris-internet", "ipvpn corp member HQ"
    item: str                 # as the customer reads it, in its latest state ("internet paris-internet 250M")
    now_cents: int | None     # billed today: what is deployed
    after_cents: int | None   # right after the apply: what the apply deploys
    pending_cents: int | None  # once the open field work is done: the whole desired intent

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "item": self.item, "now_cents": self.now_cents, "after_cents": self.after_cents,
                "pending_cents": self.pending_cents}


@dataclass(frozen=True, slots=True)
class OneOffLine:
    """A one-off charge: the installation of the line an order raised by this plan delivers."""

    item: str
    site: str  # the order's site key (`<site>:backup` for a backup line)
    cents: int

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "site": self.site, "cents": self.cents}


@dataclass(frozen=True, slots=True)
class PlanPrice:
    """A plan's price, computed once (engine) and shown as it is by the API, the CLI, the portal and
    the history: monthly now → after this change → after the pending field work, itemised; the
    one-off charges of the orders it raises apart; boosts and windows pro-rata (`temporaries`)."""

    currency: str
    now_cents: int
    after_cents: int
    pending_cents: int
    lines: tuple[PriceLine, ...]  # only what differs between the three states: the change, not the bill
    one_off: tuple[OneOffLine, ...]
    temporaries: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        one_off = sum(line.cents for line in self.one_off)
        return {"currency": self.currency,
                # before → after compare what is billed today with what the apply deploys (not with the
                # desired intent, whose field work may be weeks away)
                "monthly_before_cents": self.now_cents, "monthly_after_cents": self.after_cents,
                "monthly_delta_cents": self.after_cents - self.now_cents,
                "monthly_pending_cents": self.pending_cents,
                "monthly_pending_delta_cents": self.pending_cents - self.after_cents,
                "one_off_cents": one_off, "one_off": [line.to_dict() for line in self.one_off],
                "temporary": list(self.temporaries),
                "temporary_cents": sum(t["cents"] for t in self.temporaries),
                "lines": [line.to_dict() for line in self.lines]}


def plan_price(now: Quote, after: Quote, pending: Quote, new_orders: Iterable[dict[str, Any]],
               temporaries: list[dict[str, Any]]) -> PlanPrice:
    """The price of a plan from the quotes of the deployed, the effective and the desired intent."""
    states = [{line.key or line.item: line for line in quote.lines} for quote in (now, after, pending)]
    keys = list(dict.fromkeys(k for state in states for k in state))  # first seen first: today's bill order
    lines = []
    for key in keys:
        found = [state.get(key) for state in states]
        cents = [ln.monthly_cents if ln is not None else None for ln in found]
        items = [ln.item for ln in found if ln is not None]
        if len(set(cents)) > 1 or len(set(items)) > 1:
            lines.append(PriceLine(key, items[-1], *cents))
    one_off = tuple(OneOffLine(f"installation: {o['description']}", o["site"], install_cents(o["item"]))
                    for o in new_orders)
    return PlanPrice(after.currency, now.monthly_cents, after.monthly_cents, pending.monthly_cents, tuple(lines),
                     one_off, tuple(temporaries))
