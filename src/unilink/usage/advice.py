"""Advice on a site's committed rate, from what it measured at its busy hour (pure, but `site_advice`
reads the samples).

Per day (UTC) of the last `DAYS`, the busy hour is the hour whose average rate was the highest; a
direction is **near its rate** that day when the busy hour's average reached `NEAR` (90 %) of the
committed rate. Near on `NEAR_DAYS` days or more → the next rate of the ladder (within the port's
speed). A site whose every peak (the highest poll rate of every hour) stayed under `LOW`
(half) of its committed rate in both directions → the rate below. Fewer than `MIN_DAYS` days
measured → no advice (a new site has not shown its habits yet).

The suggestion is a desired intent document: the site's access rates changed; on an upgrade every
service at the site whose rate was the whole line takes the new line, and one whose own traffic ran
near its own rate at the busy hour takes its next rate (within the new line); on a downgrade a
service above the new line comes down to it. Its price is the price book's monthly difference between
the two documents (`engine.pricing.quote_intent`: services are priced by their rate, a line by its
technology and port), the figure the plan will show.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from unilink.catalog.access import TECHNOLOGIES, parse_technology
from unilink.catalog.prices import format_cents
from unilink.engine.pricing import quote_intent
from unilink.inventory.model import Pop
from unilink.services.intent import parse_intent
from unilink.store import usage_samples_repo as repo
from unilink.units import format_bandwidth, parse_bandwidth
from unilink.usage.buckets import DAY, HOUR, floor_to

M, G = 10**6, 10**9
LADDER = (10 * M, 20 * M, 50 * M, 100 * M, 200 * M, 300 * M, 500 * M, 1 * G, 2 * G, 5 * G, 10 * G, 20 * G, 50 * G,
          100 * G)
DAYS, NEAR_DAYS, MIN_DAYS = 7, 3, 3
NEAR, LOW = 0.9, 0.5
DIRECTIONS = ("down", "up")


@dataclass(frozen=True, slots=True)
class DayFigures:
    day: datetime
    busy_hour: dict[str, int]     # direction → the busy hour's average, bit/s
    peak: dict[str, int]          # direction → the day's highest peak, bit/s


@dataclass(frozen=True, slots=True)
class Advice:
    tenant: str
    site: str
    kind: str                           # "upgrade" | "downgrade"
    rates: dict[str, tuple[int, int]]   # direction → (committed now, suggested)
    monthly_delta_cents: int
    reason: str
    document: dict[str, Any]            # the desired intent that makes the change
    services: dict[str, tuple[int, int]] = field(default_factory=dict)   # service → (rate now, suggested)

    @property
    def summary(self) -> str:
        changes = ", ".join(f"{d} {format_bandwidth(a)} → {format_bandwidth(b)}" for d, (a, b) in self.rates.items())
        changes += "".join(f"; {name} {format_bandwidth(a)} → {format_bandwidth(b)}"
                           for name, (a, b) in sorted(self.services.items()))
        sign = "+" if self.monthly_delta_cents >= 0 else "−"
        step = next(iter(self.rates.values()))
        delta = abs(step[1] - step[0])
        return (f"{'+' if self.kind == 'upgrade' else '−'}{format_bandwidth(delta)} ({changes}) for "
                f"{sign}{format_cents(abs(self.monthly_delta_cents))}/month")

    def to_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "site": self.site, "kind": self.kind, "summary": self.summary,
                "reason": self.reason, "monthly_delta_cents": self.monthly_delta_cents, "currency": "EUR",
                "rates": {d: {"committed_bps": a, "suggested_bps": b} for d, (a, b) in self.rates.items()},
                "services": {n: {"rate_bps": a, "suggested_bps": b} for n, (a, b) in sorted(self.services.items())}}


def step_up(rate: int, ceiling: int) -> int | None:
    return next((r for r in LADDER if r > rate and r <= ceiling), None)


def step_down(rate: int) -> int | None:
    below = [r for r in LADDER if r < rate]
    return below[-1] if below else None


def daily_figures(hours: Sequence[repo.SummedRate]) -> list[DayFigures]:
    """Hourly samples → per UTC day the busy hour's average and the highest peak, per direction."""
    days: dict[datetime, list[repo.SummedRate]] = {}
    for h in hours:
        days.setdefault(floor_to(h.start, DAY), []).append(h)
    return [DayFigures(day, {"down": max(h.out_bps for h in rows), "up": max(h.in_bps for h in rows)},
                       {"down": max(h.max_out_bps for h in rows), "up": max(h.max_in_bps for h in rows)})
            for day, rows in sorted(days.items())]


def decide(days: Sequence[DayFigures], committed: Mapping[str, int], ceilings: Mapping[str, int],
           symmetric: bool = False) -> tuple[str, dict[str, tuple[int, int]], str] | None:
    """(kind, direction → (now, suggested), why), or None: nothing to suggest. `ceilings`: the
    highest rate per direction the line can take (its port, its technology); a symmetric technology
    changes both directions together."""
    if len(days) < MIN_DAYS:
        return None
    up: dict[str, tuple[int, int]] = {}
    for d in DIRECTIONS:
        rate = committed[d]
        near = sum(1 for f in days if rate and f.busy_hour[d] >= NEAR * rate)
        target = step_up(rate, ceilings[d]) if near >= NEAR_DAYS else None
        if target is not None:
            up[d] = (rate, target)
    if up and symmetric:
        target = max(new for _, new in up.values())
        up = {d: (committed[d], target) for d in DIRECTIONS if target <= ceilings[d]}
    if up:
        return "upgrade", up, (f"the busy hour reached {NEAR:.0%} of the committed rate on "
                               f"{NEAR_DAYS} or more of the last {len(days)} days")
    if all(committed[d] and max(f.peak[d] for f in days) < LOW * committed[d] for d in DIRECTIONS):
        down = {d: (committed[d], target) for d in DIRECTIONS if (target := step_down(committed[d])) is not None}
        if down:
            return "downgrade", down, f"no peak reached {LOW:.0%} of the committed rate in {len(days)} days"
    return None


def plain(document: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of an intent document without the keys the caches add to it (`_physical`, …)."""
    return copy.deepcopy({k: v for k, v in document.items() if not k.startswith("_")})


@dataclass(frozen=True, slots=True)
class ServiceAt:
    """A service's rate at a site: an Internet access, an IP-VPN membership, an E-Line end."""

    name: str
    label: str       # the label of its usage series (`usage_series.service`)
    rate_bps: int


def services_at(document: dict[str, Any], site: str) -> list[ServiceAt]:
    out = []
    for svc in document.get("services", []):
        kind, name = svc.get("kind"), svc.get("name", "")
        if kind == "internet" and svc.get("site") == site:
            out.append(ServiceAt(name, "internet", parse_bandwidth(svc["rate"])))
        elif kind == "ipvpn":
            out += [ServiceAt(name, f"vpn:{name}", parse_bandwidth(m["rate"]))
                    for m in svc.get("members", []) if m.get("site") == site]
        elif kind == "eline" and site in (svc.get("a"), svc.get("b")):
            out.append(ServiceAt(name, f"eline:{name}", parse_bandwidth(svc["rate"])))
    return out


def service_changes(kind: str, services: Sequence[ServiceAt], rates: Mapping[str, tuple[int, int]],
                    near: Mapping[str, bool]) -> dict[str, tuple[int, int]]:
    """The services' rates that change with the line: on an upgrade, a service that used the whole line
    takes the new one and a service near its own rate (`near`, by label) its next rate within the new
    line; on a downgrade, a service above the new line comes down to it."""
    if "down" not in rates:
        return {}
    old, new = rates["down"]
    out: dict[str, tuple[int, int]] = {}
    for svc in services:
        if kind == "upgrade" and svc.rate_bps == old:
            out[svc.name] = (svc.rate_bps, new)
        elif kind == "upgrade" and near.get(svc.label) and (target := step_up(svc.rate_bps, new)) is not None:
            out[svc.name] = (svc.rate_bps, target)
        elif kind == "downgrade" and svc.rate_bps > new:
            out[svc.name] = (svc.rate_bps, new)
    return out


def changed_document(document: dict[str, Any], site: str, rates: Mapping[str, tuple[int, int]],
                     services: Mapping[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """`document` with the site's access rates and the services' rates at the site changed."""
    desired = plain(document)
    access = next(s for s in desired["sites"] if s["name"] == site)["access"]
    for direction, (_, new) in rates.items():
        access[direction] = format_bandwidth(new)
    for svc in desired.get("services", []):
        change = (services or {}).get(svc.get("name", ""))
        if change is None:
            continue
        if svc.get("kind") == "ipvpn":
            for member in svc.get("members", []):
                if member.get("site") == site:
                    member["rate"] = format_bandwidth(change[1])
        else:
            svc["rate"] = format_bandwidth(change[1])
    return desired


def near_rate(hours: Sequence[repo.SummedRate], rate_bps: int) -> bool:
    """Whether a series' busy hour reached `NEAR` of `rate_bps` (down) on `NEAR_DAYS` days or more."""
    days = daily_figures(hours)
    return rate_bps > 0 and sum(1 for f in days if f.busy_hour["down"] >= NEAR * rate_bps) >= NEAR_DAYS


def monthly_delta(before: dict[str, Any], after: dict[str, Any], pops: Mapping[str, Pop]) -> int:
    """The price book's monthly difference between two intent documents, in cents."""
    return (quote_intent(parse_intent(plain(after)), pops).monthly_cents
            - quote_intent(parse_intent(plain(before)), pops).monthly_cents)


def site_advice(store: Any, document: dict[str, Any], tenant: str, site: str, pops: Mapping[str, Pop],
                now: datetime, *, latest: dict[str, Any] | None = None) -> Advice | None:
    """The advice for one site of a tenant's deployed `document`, from its last `DAYS` of samples; the
    change is made to `latest` (the tenant's last intent, when it is ahead of what is deployed)."""
    row = next((s for s in document.get("sites", []) if s.get("name") == site), None)
    if row is None:
        return None
    access = row["access"]
    committed = {"down": parse_bandwidth(access["down"]), "up": parse_bandwidth(access["up"])}
    port = parse_bandwidth(access.get("port") or max(committed.values()))
    spec = TECHNOLOGIES[parse_technology(access.get("technology"))]
    ceilings = {"down": min(port, spec.max_down_bps), "up": min(port, spec.max_up_bps)}
    end = floor_to(now, HOUR)
    begin = end - timedelta(days=DAYS)
    base = latest if latest is not None and any(s.get("name") == site for s in latest.get("sites", [])) \
        else document
    services = services_at(base, site)
    with store.session() as session:
        hours = repo.summed_rates(session, repo.site_series(session, tenant, site), HOUR, begin, end)
        decided = decide(daily_figures(hours), committed, ceilings, spec.symmetric)
        if decided is None:
            return None
        near = {svc.label: near_rate(repo.summed_rates(session, repo.site_series(session, tenant, site, [svc.label]),
                                                       HOUR, begin, end), svc.rate_bps)
                for svc in services} if decided[0] == "upgrade" else {}
    kind, rates, why = decided
    changes = service_changes(kind, services, rates, near)
    desired = changed_document(base, site, rates, changes)
    return Advice(tenant, site, kind, rates, monthly_delta(base, desired, pops), why, desired, changes)
