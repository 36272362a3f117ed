"""The network's busy hour, measured: the hour of the last days when the sites together pulled the
most, and what each PoP's sites sent and received in it — the measured traffic a capacity-planning
scenario can start from (`unilink capacity scenario --from-measured`, docs/planning.md).

One hour for the whole network, not each site's own busiest: links carry the sum of what flows at
the same time, and sites busy at different hours do not add up on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from unilink.errors import ValidationError
from unilink.store import deployed_repo
from unilink.store import usage_samples_repo as repo
from unilink.usage.buckets import HOUR, floor_to


@dataclass(frozen=True, slots=True)
class BusyHour:
    """The sites' rates at the network's busy hour, summed per PoP (bit/s); the shape of
    `planning.scenario.MeasuredBusyHour`, which the CLI builds from it."""

    at: str                          # the hour, ISO 8601
    down_bps_by_pop: dict[str, float]
    up_bps_by_pop: dict[str, float]
    sites: int = 0


def busy_hour(rows: list[tuple[str, str, datetime, int, int]], site_pop: dict[tuple[str, str], str]
              ) -> BusyHour | None:
    """The hour with the highest total down rate of the sites known to be at a PoP, and their rates in
    it per PoP (pure); None when nothing was measured."""
    totals: dict[datetime, int] = {}
    for tenant, site, at, _up, down in rows:
        if (tenant, site) in site_pop:
            totals[at] = totals.get(at, 0) + down
    if not totals:
        return None
    top = max(sorted(totals), key=lambda at: totals[at])    # ties: the earliest hour
    down_by: dict[str, float] = {}
    up_by: dict[str, float] = {}
    sites = 0
    for tenant, site, at, up, down in rows:
        pop = site_pop.get((tenant, site))
        if at != top or pop is None:
            continue
        sites += 1
        down_by[pop] = down_by.get(pop, 0.0) + down
        up_by[pop] = up_by.get(pop, 0.0) + up
    return BusyHour(top.isoformat().replace("+00:00", "Z"), down_by, up_by, sites)


def measured_busy_hour(store: Any, *, days: float = 7.0, now: datetime | None = None) -> BusyHour:
    """The busy hour of the last `days` (complete hours only) from the store's samples and the deployed
    sites' PoPs; a clear error when nothing was measured."""
    if not 0 < days <= 366:
        raise ValidationError("out of range", field="--busy-days", value=days, accepted="days from 1 to 366")
    end = floor_to(now or store.clock.now(), HOUR)
    with store.session() as session:
        rows = repo.hourly_site_rates(session, end - timedelta(days=days), end)
        site_pop = {(tenant, site["name"]): site["pop"] for tenant, document, _ in deployed_repo.deployments(session)
                    for site in (document or {}).get("sites", [])}
    found = busy_hour(rows, site_pop)
    if found is None:
        raise ValidationError("no measured traffic in the database for these days", field="--from-measured",
                              value=f"{days:g} days", accepted="a database the usage collector has written "
                              "(unilink usage collect), or a scenario with its own traffic model")
    return found
