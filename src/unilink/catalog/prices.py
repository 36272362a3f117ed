"""The price book and quotes. Money is an int number of euro cents inside, like bit/s for bandwidth.

Shape of the book: a monthly price per access technology (and port) — for a site's line and for
its backup line alike — per service (a base plus a
per-Mbit/s price that falls by tier), a distance class for E-Lines, a one-off charge per new line;
short changes (boosts, scheduled windows) pay the monthly difference pro-rata by the hour, the way
on-demand offers such as Colt On Demand bill. A service sold as burstable (`billing: burstable` in
the intent) pays its rate as a commit, plus `burst_cents_per_mbps` per Mbit/s by which the month's
95th percentile exceeds it (unilink.usage.percentile; docs/invoices.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from unilink.catalog.access import Technology
from unilink.catalog.services import ServiceKind

G = 10**9
HOURS_PER_MONTH = 730  # 365 × 24 / 12, the usual billing convention
DAYS_PER_MONTH = 30


class DistanceClass(StrEnum):
    METRO = "metro"              # < 50 km
    REGIONAL = "regional"        # < 500 km
    NATIONAL = "national"        # < 1500 km
    CONTINENTAL = "continental"  # beyond


DISTANCE_LIMITS_KM = ((50.0, DistanceClass.METRO), (500.0, DistanceClass.REGIONAL),
                      (1500.0, DistanceClass.NATIONAL))
DISTANCE_FACTOR_PERCENT = {DistanceClass.METRO: 100, DistanceClass.REGIONAL: 150, DistanceClass.NATIONAL: 220,
                           DistanceClass.CONTINENTAL: 300}
PROTECTION_FACTOR_PERCENT = 160  # a protected E-Line pays for its second, disjoint path


def distance_class(distance_km: float) -> DistanceClass:
    for limit, klass in DISTANCE_LIMITS_KM:
        if distance_km < limit:
            return klass
    return DistanceClass.CONTINENTAL


@dataclass(frozen=True, slots=True)
class RateTariff:
    """Monthly price of a service: a base plus cents per Mbit/s, cheaper per Mbit/s above each tier."""

    base_cents: int
    # (up to this many bit/s, cents per Mbit/s within the tier); the last tier has no limit (None)
    tiers: tuple[tuple[int | None, int], ...]

    def monthly_cents(self, rate_bps: int) -> int:
        total, floor = self.base_cents, 0
        for limit, cents_per_mbps in self.tiers:
            top = rate_bps if limit is None else min(rate_bps, limit)
            if top > floor:
                total += (top - floor) * cents_per_mbps // 10**6
            if limit is None or rate_bps <= limit:
                break
            floor = limit
        return total


@dataclass(frozen=True, slots=True)
class PriceBook:
    access_monthly_cents: dict[Technology, int]
    fibre_port_monthly_cents: dict[int, int]
    install_cents: dict[Technology, int]
    services: dict[ServiceKind, RateTariff]
    currency: str = "EUR"
    # burstable services: cents a month per Mbit/s of 95th percentile above the commit (the rate)
    burst_cents_per_mbps: dict[ServiceKind, int] = field(default_factory=lambda: {ServiceKind.INTERNET: 60})

    def access_monthly(self, tech: Technology, port_bps: int) -> int:
        if tech is Technology.FIBRE:
            return self.fibre_port_monthly_cents.get(port_bps, self.access_monthly_cents[tech])
        return self.access_monthly_cents[tech]

    def backup_monthly(self, tech: Technology, port_bps: int) -> int:
        """A backup line costs what the line costs (the 4G/5G router and its data plan are in the
        4g/5g access prices); its one-off is `install_cents` of its technology, like any line."""
        return self.access_monthly(tech, port_bps)

    def service_monthly(self, kind: ServiceKind, rate_bps: int, *, distance_km: float = 0.0,
                        protected: bool = False) -> int:
        price = self.services[kind].monthly_cents(rate_bps)
        if kind is ServiceKind.ELINE:
            price = price * DISTANCE_FACTOR_PERCENT[distance_class(distance_km)] // 100
            if protected:
                price = price * PROTECTION_FACTOR_PERCENT // 100
        return price


DEFAULT_PRICE_BOOK = PriceBook(
    access_monthly_cents={Technology.ADSL2PLUS: 3_000, Technology.SDSL: 12_000, Technology.VDSL2: 4_500,
                          Technology.FTTH: 6_000, Technology.FIBRE: 45_000, Technology.LTE: 2_500,
                          Technology.NR: 4_000, Technology.PUBLIC_BACKBONE: 30_000},
    fibre_port_monthly_cents={1 * G: 45_000, 10 * G: 150_000, 100 * G: 600_000},
    install_cents={Technology.ADSL2PLUS: 9_000, Technology.SDSL: 30_000, Technology.VDSL2: 9_000,
                   Technology.FTTH: 25_000, Technology.FIBRE: 250_000, Technology.LTE: 5_000,
                   Technology.NR: 5_000, Technology.PUBLIC_BACKBONE: 100_000},
    services={
        ServiceKind.INTERNET: RateTariff(2_000, ((100 * 10**6, 100), (1 * G, 40), (None, 15))),
        ServiceKind.IPVPN: RateTariff(3_000, ((100 * 10**6, 60), (1 * G, 25), (None, 10))),
        ServiceKind.ELINE: RateTariff(10_000, ((100 * 10**6, 50), (1 * G, 20), (None, 8))),
    },
)


def prorate_cents(monthly_cents: int, hours: float) -> int:
    """What `hours` of a monthly price cost (rounded to the cent, at least 1 h billed)."""
    return round(monthly_cents * max(1.0, hours) / HOURS_PER_MONTH)


def prorate_daily_cents(monthly_cents: int, days: float) -> int:
    return round(monthly_cents * max(1.0, days) / DAYS_PER_MONTH)


@dataclass(frozen=True, slots=True)
class QuoteLine:
    item: str          # what is priced: "site Paris-HQ access", "ipvpn corp member Lyon"
    monthly_cents: int
    one_off_cents: int = 0
    # what it is, whatever its rate: "access HQ", "ipvpn corp member Lyon" (matches the same thing
    # across two quotes, whose `item` texts differ when a rate changed)
    key: str = ""


@dataclass(slots=True)
class Quote:
    lines: list[QuoteLine] = field(default_factory=list)
    currency: str = "EUR"

    @property
    def monthly_cents(self) -> int:
        return sum(line.monthly_cents for line in self.lines)

    @property
    def one_off_cents(self) -> int:
        return sum(line.one_off_cents for line in self.lines)

    def to_dict(self) -> dict[str, object]:
        return {"currency": self.currency, "monthly_cents": self.monthly_cents, "one_off_cents": self.one_off_cents,
                "lines": [{"item": ln.item, "monthly_cents": ln.monthly_cents, "one_off_cents": ln.one_off_cents}
                          for ln in self.lines]}


def format_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}€{abs(cents) // 100:,}.{abs(cents) % 100:02d}"
