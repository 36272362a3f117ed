"""Usage for people: a site's or a service's traffic over a range, with its committed rate and its
95th percentile — what the API answers and the graph (`usage.graph_svg`) draws.

    subject = site_subject(document, "acme", "Paris HQ")      # from the tenant's deployed intent
    wanted = graph_range(range_="7d", now=now)                # or start=…, end=…, resolution=…
    graph = usage_graph(store, subject, wanted)

The resolution follows the range (5-minute samples for a day, hourly ones for a week or a month,
daily ones beyond three months) unless one is asked for; the 95th percentile is always taken on the
5-minute samples of the range (`usage.percentile.percentile_95`), so it is the figure a burstable
invoice would use, whatever resolution the curve is drawn at. 5-minute samples are kept 35 days: a
longer range has no 95th percentile (`p95_bps` None, and `p95_note` says why).

Directions are the site's: `down` is what the network sends the site (the PE's out octets), `up`
what the site sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from unilink.errors import NotFoundError, ValidationError
from unilink.store import usage_samples_repo as repo
from unilink.units import parse_bandwidth
from unilink.usage.buckets import DAY, FIVE_MINUTES, HOUR, floor_to
from unilink.usage.percentile import percentile_95
from unilink.usage.queries import Range, checked_range, parse_instant

RANGES: dict[str, tuple[timedelta, int]] = {"24h": (timedelta(hours=24), FIVE_MINUTES),
                                            "7d": (timedelta(days=7), HOUR),
                                            "30d": (timedelta(days=30), HOUR)}
P95_SPAN = timedelta(days=35)   # how long 5-minute samples are kept (usage.poller.RETENTION)
DEFAULT_ZONE = "Europe/Paris"


@dataclass(frozen=True, slots=True)
class Subject:
    """What a graph shows: the series of `services` (labels of usage_series) at `site` (None: every
    site), and the rates committed for it."""

    tenant: str
    kind: str            # "site" | "service"
    name: str
    site: str | None
    services: tuple[str, ...] | None
    committed_down_bps: int
    committed_up_bps: int


@dataclass(frozen=True, slots=True)
class UsageGraph:
    subject: Subject
    range: Range
    points: tuple[repo.SummedRate, ...]      # in: up, out: down (see module doc)
    p95_down_bps: int | None
    p95_up_bps: int | None
    p95_samples: int
    zone: str

    @property
    def p95_bps(self) -> int | None:
        """The billed figure: the busier direction's 95th percentile (the carriers' convention)."""
        if self.p95_down_bps is None or self.p95_up_bps is None:
            return None
        return max(self.p95_down_bps, self.p95_up_bps)

    def to_dict(self) -> dict[str, Any]:
        s = self.subject
        return {"tenant": s.tenant, s.kind: s.name, "start": _iso(self.range.start), "end": _iso(self.range.end),
                "resolution_s": self.range.resolution, "unit": "bit/s", "time_zone": self.zone,
                "committed": {"down_bps": s.committed_down_bps, "up_bps": s.committed_up_bps},
                "p95": {"down_bps": self.p95_down_bps, "up_bps": self.p95_up_bps, "billed_bps": self.p95_bps,
                        "samples": self.p95_samples, "resolution_s": FIVE_MINUTES,
                        **({} if self.p95_bps is not None else {"note": P95_NOTE})},
                "series": {"down": [[_iso(p.start), p.out_bps] for p in self.points],
                           "up": [[_iso(p.start), p.in_bps] for p in self.points]}}


P95_NOTE = "no 95th percentile: 5-minute samples are kept 35 days; ask for a shorter range"


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


# -- subjects from a tenant's deployed intent document ------------------------------------------------

def _rate(value: Any, field: str) -> int:
    return parse_bandwidth(value, field=field) if value is not None else 0


def site_subject(document: dict[str, Any], tenant: str, site: str) -> Subject:
    for row in document.get("sites", []):
        if row.get("name") == site:
            access = row.get("access", {})
            return Subject(tenant, "site", site, site, None, _rate(access.get("down"), "access.down"),
                           _rate(access.get("up"), "access.up"))
    raise NotFoundError("no such site", field="site", value=site, accepted="the name of one of your sites")


def service_subject(document: dict[str, Any], tenant: str, service: str) -> Subject:
    """An Internet access is measured at its site; an IP-VPN at every member's port (committed: the
    members' rates summed); an E-Line at its `a` end (the far end carries the same traffic)."""
    for svc in document.get("services", []):
        if svc.get("name") != service:
            continue
        kind = svc.get("kind")
        if kind == "internet":
            rate = _rate(svc.get("rate"), "rate")
            return Subject(tenant, "service", service, svc.get("site"), ("internet",), rate, rate)
        if kind == "ipvpn":
            rate = sum(_rate(m.get("rate"), "members.rate") for m in svc.get("members", []))
            return Subject(tenant, "service", service, None, (f"vpn:{service}",), rate, rate)
        rate = _rate(svc.get("rate"), "rate")
        return Subject(tenant, "service", service, svc.get("a"), (f"eline:{service}",), rate, rate)
    raise NotFoundError("no such service", field="service", value=service,
                        accepted="the name of one of your services")


# -- the range ------------------------------------------------------------------------------------------

def auto_resolution(span: timedelta) -> int:
    if span <= timedelta(days=2):
        return FIVE_MINUTES
    if span <= timedelta(days=92):
        return HOUR
    return DAY


def parse_zone(value: str | None) -> str:
    name = value or DEFAULT_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("unknown time zone", field="tz", value=value,
                              accepted="an IANA zone name, e.g. Europe/Paris or UTC") from None
    return name


def graph_range(*, now: datetime, range_: str | None = None, start: str | datetime | None = None,
                end: str | datetime | None = None, resolution: int | None = None) -> Range:
    """The range a graph covers: a named one ending with the bucket under way (`range_`), or
    [start, end) as given; a clear error naming the field otherwise."""
    if range_ is not None and (start is not None or end is not None):
        raise ValidationError("give a range or a start and an end, not both", field="range", value=range_,
                              accepted="range=24h|7d|30d, or start=…&end=…")
    if range_ is not None or (start is None and end is None):
        name = range_ or "24h"
        if name not in RANGES:
            raise ValidationError("unknown range", field="range", value=name,
                                  accepted=f"{', '.join(RANGES)} (or start=…&end=… in ISO 8601)")
        span, step = RANGES[name]
        step = resolution or step
        until = floor_to(now, step) + timedelta(seconds=step)
        return checked_range(until - span, until, step)
    if start is None or end is None:
        missing = "start" if start is None else "end"
        raise ValidationError("a range needs both a start and an end", field=missing, value=None,
                              accepted="an instant with its zone, e.g. 2026-11-01T00:00:00Z")
    first, last = parse_instant(start, field="start"), parse_instant(end, field="end")
    return checked_range(first, last, resolution or auto_resolution(last - first))


# -- the graph ------------------------------------------------------------------------------------------

def usage_graph(store: Any, subject: Subject, wanted: Range, zone: str = DEFAULT_ZONE) -> UsageGraph:
    """The subject's rates over `wanted` and the 95th percentile of its 5-minute samples."""
    with store.session() as session:
        series = repo.site_series(session, subject.tenant, subject.site, subject.services)
        points = repo.summed_rates(session, series, wanted.resolution, wanted.start, wanted.end)
        five = ([(p.in_bps, p.out_bps) for p in points] if wanted.resolution == FIVE_MINUTES else
                repo.summed_rate_values(session, series, FIVE_MINUTES, wanted.start, wanted.end)
                if wanted.end - wanted.start <= P95_SPAN else None)
    if five is None:
        return UsageGraph(subject, wanted, tuple(points), None, None, 0, zone)
    return UsageGraph(subject, wanted, tuple(points), percentile_95(o for _, o in five),
                      percentile_95(i for i, _ in five), len(five), zone)
