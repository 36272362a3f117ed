"""A month's invoice lines from what was in place when, and the totals they add up to.

Inputs, all worked out by the caller (`usecases.invoicing`) from the store:

- `PricedState`s: from `since` on, these `Charge`s (one per access, backup line and service, at its
  monthly price) were in place, until the next state. A state from before the month carries into it.
- `Temporary`s: a boost or a scheduled window — the monthly difference its rate makes, and the
  windows in which it was in force.
- `OneOff`s: the installation of a line an order delivered in the month.
- `BurstUse`s: a burstable service's commit, its price per Mbit/s above it and its 5-minute rates.

Time is billed by the hour: an hour of the month that a charge was in place in, even in part, is
billed once, at the highest monthly price the charge had in that hour (a rate raised at 14:20 bills
hour 14 at the new rate; one lowered at 14:20 at the old). A charge in place the whole month costs
exactly its monthly price; one in place h hours of a month of H hours costs monthly × h / H.
Boosts and windows pay their monthly difference pro-rata on the price book's 730-hour month
(`catalog.prices.prorate_cents`), the figure their plan quoted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from unilink.billing.month import Month
from unilink.catalog.prices import prorate_cents
from unilink.errors import ValidationError
from unilink.units import format_bandwidth
from unilink.usage.percentile import burst_above_commit, percentile_95

DEFAULT_VAT_PERCENT = 20  # France's standard rate (TVA normale)
LINE_KINDS = ("service", "temporary", "one-off", "burst", "correction")


@dataclass(frozen=True, slots=True)
class Charge:
    key: str           # what it is, whatever its rate: "access HQ", "internet paris-internet"
    item: str          # as the customer reads it: "internet paris-internet 500M"
    monthly_cents: int


@dataclass(frozen=True, slots=True)
class PricedState:
    since: datetime
    charges: tuple[Charge, ...]


@dataclass(frozen=True, slots=True)
class Temporary:
    key: str                 # "boost corp HQ", "schedule nightly-backup"
    item: str                # "boost corp at HQ to 450M"
    monthly_delta_cents: int  # the monthly price at its rate less the base rate's
    windows: tuple[tuple[datetime, datetime], ...]


def boost(service: str, site: str, rate_bps: int, monthly_delta_cents: int,
          windows: Iterable[tuple[datetime, datetime]]) -> Temporary:
    return Temporary(f"boost {service} {site}", f"boost of {service} at {site} to {format_bandwidth(rate_bps)}",
                     monthly_delta_cents, tuple(windows))


def schedule(name: str, service: str, site: str, rate_bps: int, monthly_delta_cents: int,
             windows: Iterable[tuple[datetime, datetime]]) -> Temporary:
    return Temporary(f"schedule {name}", f"schedule {name}: {service} at {site} to {format_bandwidth(rate_bps)}",
                     monthly_delta_cents, tuple(windows))


@dataclass(frozen=True, slots=True)
class OneOff:
    key: str
    item: str
    cents: int


@dataclass(frozen=True, slots=True)
class BurstUse:
    key: str
    item: str
    commit_bps: int
    cents_per_mbps: int            # per Mbit/s of 95th percentile above the commit, for the month
    rates_in_bps: tuple[int, ...]  # 5-minute average rates, each direction
    rates_out_bps: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Line:
    kind: str       # LINE_KINDS
    key: str
    item: str
    quantity: int   # hours for "service" and "temporary", else 1
    cents: int      # the line's net amount
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "item": self.item, "quantity": self.quantity,
                "unit": "hour" if self.kind in ("service", "temporary") else "each", "cents": self.cents,
                "detail": dict(self.detail)}


@dataclass(frozen=True, slots=True)
class Totals:
    net_cents: int
    vat_percent: int
    vat_cents: int
    total_cents: int


@dataclass(frozen=True, slots=True)
class Draft:
    month: Month
    lines: tuple[Line, ...]
    totals: Totals


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero (money)."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def totals(lines: Iterable[Line], vat_percent: int = DEFAULT_VAT_PERCENT) -> Totals:
    """The net sum of the lines, the VAT on it (rounded to the cent once, on the total: EN 16931
    BR-CO-17) and the total due."""
    check_vat(vat_percent)
    net = sum(line.cents for line in lines)
    vat = half_up(net * vat_percent, 100)
    return Totals(net, vat_percent, vat, net + vat)


def check_vat(vat_percent: object) -> int:
    if not isinstance(vat_percent, int) or isinstance(vat_percent, bool) or not 0 <= vat_percent <= 100:
        raise ValidationError("not a VAT rate", field="vat_percent", value=vat_percent,
                              accepted="a whole percentage from 0 to 100 (France: 20)")
    return vat_percent


def draft(month: Month, states: Sequence[PricedState], temporaries: Iterable[Temporary] = (),
          one_offs: Iterable[OneOff] = (), bursts: Iterable[BurstUse] = (),
          vat_percent: int = DEFAULT_VAT_PERCENT) -> Draft:
    lines = [*service_lines(month, states), *temporary_lines(month, temporaries),
             *(Line("one-off", o.key, o.item, 1, o.cents) for o in one_offs),
             *(burst_line(b) for b in bursts)]
    return Draft(month, tuple(lines), totals(lines, vat_percent))


def hour_span(month: Month, start: datetime, end: datetime | None) -> tuple[int, int]:
    """[first, last) indices of the hours of `month` that [start, end) touches, in part or whole."""
    begin, finish = max(start, month.start), month.end if end is None else min(end, month.end)
    if finish <= begin:
        return (0, 0)
    first = int((begin - month.start).total_seconds() // 3600)
    return first, math.ceil((finish - month.start).total_seconds() / 3600)


def service_lines(month: Month, states: Sequence[PricedState]) -> list[Line]:
    """One line per charge and price it had in the month, for the hours it ran at that price."""
    ordered = sorted(states, key=lambda s: s.since)
    segments: dict[str, list[tuple[int, int, int, str]]] = {}
    for i, state in enumerate(ordered):
        until = ordered[i + 1].since if i + 1 < len(ordered) else None
        first, last = hour_span(month, state.since, until)
        if first == last:
            continue
        for charge in state.charges:
            segments.setdefault(charge.key, []).append((first, last, charge.monthly_cents, charge.item))
    lines = []
    for key, spans in segments.items():
        for (item, monthly), hours in _hours_at_each_price(spans).items():
            lines.append(Line("service", key, item, hours, half_up(monthly * hours, month.hours),
                              {"monthly_cents": monthly, "hours_in_month": month.hours}))
    return lines


def _hours_at_each_price(spans: list[tuple[int, int, int, str]]) -> dict[tuple[str, int], int]:
    """(item, monthly cents) → hours billed at it; an hour two spans share goes to the dearer."""
    if len(spans) == 1:
        first, last, monthly, item = spans[0]
        return {(item, monthly): last - first}
    cuts = sorted({h for first, last, _, _ in spans for h in (first, last)})
    hours: dict[tuple[str, int], int] = {}
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [(monthly, item) for first, last, monthly, item in spans if first <= a and b <= last]
        if covering:
            monthly, item = max(covering)
            hours[(item, monthly)] = hours.get((item, monthly), 0) + b - a
    return hours


def temporary_lines(month: Month, temporaries: Iterable[Temporary]) -> list[Line]:
    """A line per boost or window: its hours in force in the month (windows merged, each hour once)."""
    merged: dict[tuple[str, str, int], list[tuple[int, int]]] = {}
    for t in temporaries:
        spans = merged.setdefault((t.key, t.item, t.monthly_delta_cents), [])
        spans.extend(span for span in (hour_span(month, s, e) for s, e in t.windows) if span[0] < span[1])
    lines = []
    for (key, item, delta), spans in merged.items():
        hours = _union_hours(spans)
        if hours:
            lines.append(Line("temporary", key, item, hours, prorate_cents(max(0, delta), hours),
                              {"monthly_delta_cents": delta, "hours_per_month": 730}))
    return lines


def _union_hours(spans: list[tuple[int, int]]) -> int:
    total, reach = 0, -1
    for first, last in sorted(spans):
        first = max(first, reach)
        if last > first:
            total += last - first
            reach = last
    return total


def burst_line(use: BurstUse) -> Line:
    """What a burstable service's 95th percentile above its commit costs: the busier direction's
    percentile (the usual rule), the top 5 % of its 5-minute samples discarded."""
    p95 = max(percentile_95(use.rates_in_bps), percentile_95(use.rates_out_bps))
    above = max(burst_above_commit(use.rates_in_bps, use.commit_bps),
                burst_above_commit(use.rates_out_bps, use.commit_bps))
    cents = half_up(above * use.cents_per_mbps, 10**6)
    item = (f"{use.item}: 95th percentile {format_bandwidth(p95)} over a {format_bandwidth(use.commit_bps)} "
            f"commit")
    return Line("burst", use.key, item, 1, cents,
                {"p95_bps": p95, "commit_bps": use.commit_bps, "above_bps": above,
                 "cents_per_mbps": use.cents_per_mbps,
                 "samples": max(len(use.rates_in_bps), len(use.rates_out_bps))})
