"""Hand-made usage series for the tests: 5-minute rates written straight through the repository (at
the three resolutions, as the collector writes them), so a test knows every figure exactly.

Rates should be multiples of 8 bit/s × … that make whole octets in 300 s (any multiple of 8 does):
then octets × 8 / 300 gives the rate back exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from unilink import engine
from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.store import tenancy
from unilink.store import usage_samples_repo as repo
from unilink.usage.buckets import FIVE_MINUTES, RESOLUTIONS, Bucket, floor_to


def write_rates(store: object, *, tenant: str, site: str, start: datetime, down_bps: Sequence[int],
                up_bps: Sequence[int], service: str = "internet", router: str = "par-pe1",
                interface: str | None = None) -> int:
    """5-minute samples from `start`, one per rate; the series id."""
    iface = interface or f"cust-{tenant}-{site}"[:64]
    info = repo.SeriesInfo(router, iface, "site", tenant, site, service, "", "down", "up")
    with store.session(write=True) as session:  # type: ignore[attr-defined]
        sid = repo.series_ids(session, [info])[(router, iface)]
        merged: dict[tuple[int, datetime], Bucket] = {}
        for i, (down, up) in enumerate(zip(down_bps, up_bps, strict=True)):
            at = start + timedelta(seconds=FIVE_MINUTES * i)
            for res in RESOLUTIONS:
                b = Bucket(res, floor_to(at, res), up * FIVE_MINUTES // 8, down * FIVE_MINUTES // 8, up, down,
                           FIVE_MINUTES, 0)
                found = merged.get((res, b.start))
                if found is None:
                    merged[(res, b.start)] = b
                else:
                    found.add(b)
        repo.add_samples(session, [repo.SampleWrite(sid, r, s, b.octets_in, b.octets_out, b.max_in_bps,
                                                    b.max_out_bps, b.covered_s, b.flags)
                                   for (r, s), b in merged.items()])
    return sid


def busy_days(days: int, *, busy_bps: int, quiet_bps: int, busy_hour: int = 14) -> list[int]:
    """`days` of 5-minute rates: `busy_bps` during one hour a day (UTC `busy_hour`), `quiet_bps` else."""
    return [busy_bps if (i % 288) // 12 == busy_hour else quiet_bps for i in range(days * 288)]


SITE_DOC = {"sites": [{"name": "hq", "pop": "Paris", "access": {"technology": "fibre", "provider": "on-net",
                                                                 "port": "1G", "down": "100M", "up": "100M"}}],
            "services": [{"kind": "internet", "name": "hq-internet", "site": "hq", "rate": "100M"}]}


def deployed_store(store: Any, document: dict[str, Any] | None = None) -> None:
    """A two-PoP network and tenant acme with `document` (default: site hq, 100M/100M, internet 100M) applied."""
    paris = Pop("Paris", "Paris", "FR", 48.8566, 2.3522)
    london = Pop("London", "London", "GB", 51.5074, -0.1278)
    store.replace_network(Network(name="tiny", pops=[paris, london],
                                  routers=[Router("par-pe1", "Paris", RouterRole.EDGE, Vendor.FRR, "10.255.0.1"),
                                           Router("lon-pe1", "London", RouterRole.EDGE, Vendor.FRR, "10.255.0.2")],
                                  links=[make_link("Paris-London", paris, london, 10**11, a_router="par-pe1",
                                                   b_router="lon-pe1")]))
    with store.session(write=True) as session:
        tenancy.add_tenant(session, "acme", "enterprise", "Acme")
    made = engine.plan(store, "acme", document or SITE_DOC, actor="test", accesses_installed=True)
    engine.apply(store, made.id, "test", "usage alarms")
