"""The month's invoices for 10,000 services (1,000 tenants × 10 sites with an Internet service each),
on SQLite.

History: each tenant's intent applied in October (in force when November begins), one service's
rate raised in the middle of an hour in November; a tenant in ten also boosted a service for two
days, and one in twenty sells one service as burstable (8,640 five-minute samples each).

Ours (`usecases.invoicing.draft_months`): a handful of statements for all tenants — the deployed
documents of the applied plans (only those two keys of each plan's content), the completed orders,
the samples of the burstable sites — each document parsed and priced once, and the hours worked out
as intervals (`billing.lines`).
The straightforward way, in the same run and database, on every 40th tenant: per service, one query for its tenant's
applied plans (whole rows) and one for its samples when burstable; every document parsed and priced
again for each service; and each of the month's 720 hours looked up in turn (which state was in place
in it, at what price).

Both give the same lines to the cent (checked). Figures: seconds for the month of every tenant (ours),
seconds for every 40th tenant each way and their ratio (straightforward / ours: > 1 means ours is
faster), services per second. The last line
printed is one JSON object.

Run: .venv/bin/python bench/bench_invoices.py [--quick]
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from unilink.billing.lines import half_up
from unilink.billing.month import HOUR, Month
from unilink.catalog.prices import DEFAULT_PRICE_BOOK, prorate_cents
from unilink.catalog.services import ServiceKind
from unilink.engine.pricing import quote_intent, temporary_delta_cents, temporary_site
from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor
from unilink.services.intent import InternetService, parse_intent
from unilink.store import usage_samples_repo as usage
from unilink.store.db import Store
from unilink.store.tables.services import PlanRow
from unilink.store.tables.tenancy import Tenant
from unilink.units import format_bandwidth
from unilink.usage.percentile import burst_above_commit
from unilink.usecases.invoicing import draft_months

SITES = 10
MONTH = Month(2026, 11)
OCTOBER = datetime(2026, 10, 15, tzinfo=UTC)


def document(tenant: int, raised: bool) -> dict[str, Any]:
    sites = [{"name": f"s{i}", "pop": "Paris", "access": {"technology": "fibre", "port": "1G", "down": "1G",
                                                           "up": "1G"}} for i in range(SITES)]
    services = [{"kind": "internet", "name": f"i{i}", "site": f"s{i}",
                 "rate": "500M" if raised and i == 0 else f"{100 + 10 * i}M"} for i in range(SITES)]
    if tenant % 20 == 0:
        services[1]["billing"] = "burstable"
    return {"sites": sites, "services": services}


def seed(store: Store, tenants: int) -> None:
    paris = Pop("Paris", "Paris", "FR", 48.8566, 2.3522)
    store.replace_network(Network(name="bench", pops=[paris],
                                  routers=[Router("par-pe1", "Paris", RouterRole.EDGE, Vendor.FRR, "10.255.0.1")]))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with store.session(write=True) as session:
        session.execute(insert(Tenant), [{"name": f"t{t:04d}", "kind": "enterprise", "display_name": f"T {t}",
                                          "created_at": now} for t in range(tenants)])
        ids = {name: tid for name, tid in session.execute(select(Tenant.name, Tenant.id))}
        rows = []
        for t in range(tenants):
            tid = ids[f"t{t:04d}"]
            raised_at = MONTH.start + timedelta(days=t % 28, hours=t % 24, minutes=17)
            history = [(OCTOBER, document(t, False)), (raised_at, document(t, True))]
            if t % 10 == 0:   # a two-day boost of i2 from the 20th
                boosted = {**document(t, True), "boosts": [{"service": "i2", "rate": "800M",
                                                            "until": "2026-11-22T06:00:00+00:00"}]}
                history += [(datetime(2026, 11, 20, 6, tzinfo=UTC), boosted),
                            (datetime(2026, 11, 22, 6, 1, tzinfo=UTC), document(t, True))]
            history.sort(key=lambda h: h[0])
            for n, (at, doc) in enumerate(history):
                # the rest of a plan's content (device diffs, bookings) is what makes the rows heavy
                content = {"desired": doc, "effective": None, "devices": {"par-pe1": {"diff": "x" * 2000}}}
                rows.append({"id": f"p-{t}-{n}", "tenant_id": tid, "fingerprint": "f", "content": content,
                             "status": "applied", "created_at": at, "expires_at": at, "applied_at": at, "holds": False})
        session.execute(insert(PlanRow), rows)
    _samples(store, tenants)


def _samples(store: Store, tenants: int) -> None:
    starts = [MONTH.start + timedelta(minutes=5 * i) for i in range(MONTH.hours * 12)]
    with store.session(write=True) as session:
        infos = [usage.SeriesInfo("par-pe1", f"t{t}.s1", "site", f"t{t:04d}", "s1", "internet", "", "down", "up")
                 for t in range(0, tenants, 20)]
        ids = usage.series_ids(session, infos)
        for info in infos:
            sid = ids[(info.router, info.interface)]
            # up 10 Mbit/s; down 0…192 Mbit/s in steps of 2 (its 95th percentile is above the 110M commit)
            usage.add_samples(session, [usage.SampleWrite(sid, 300, at, 10**7 * 300 // 8,
                                                          (i % 97) * 2 * 10**6 * 300 // 8, 0, 0, 300, 0)
                                        for i, at in enumerate(starts)])


def ours(store: Store, tenants: list[str] | None = None) -> tuple[float, dict[str, dict[tuple[str, str, int], int]]]:
    t0 = time.perf_counter()
    drafts = draft_months(store, MONTH, tenants)
    took = time.perf_counter() - t0
    return took, {name: {(ln.kind, ln.item, ln.quantity): ln.cents for ln in d.lines} for name, d in drafts.items()}


def naive(store: Store, tenants: list[str]) -> tuple[float, dict[str, dict[tuple[str, str, int], int]]]:
    """Per service: its tenant's plans, read and priced again; each hour of the month looked up."""
    t0 = time.perf_counter()
    pops = {p.name: p for p in store.load_network().pops}
    found: dict[str, dict[tuple[str, str, int], int]] = {}
    with store.session() as session:
        for tid, name in list(session.execute(select(Tenant.id, Tenant.name).where(Tenant.name.in_(tenants))
                                              .order_by(Tenant.name))):
            lines = found.setdefault(name, {})
            first = session.execute(select(PlanRow).where(PlanRow.tenant_id == tid, PlanRow.status == "applied")
                                    .order_by(PlanRow.applied_at).limit(1)).scalar_one()
            for key in [ln.key for ln in quote_intent(parse_intent(first.content["desired"]), pops).lines]:
                lines.update(_naive_service(session, store, pops, tid, name, key))
    return time.perf_counter() - t0, found


def _naive_service(session: Any, store: Store, pops: dict[str, Pop], tid: int, tenant: str, key: str
                   ) -> dict[tuple[str, str, int], int]:
    plans = session.execute(select(PlanRow).where(PlanRow.tenant_id == tid, PlanRow.status == "applied")
                            .order_by(PlanRow.applied_at)).scalars().all()
    states = []
    for n, plan in enumerate(plans):
        intent = parse_intent(plan.content["effective"] or plan.content["desired"])
        until = plans[n + 1].applied_at if n + 1 < len(plans) else None
        states.append((plan.applied_at, until, intent,
                       {ln.key: (ln.item, ln.monthly_cents) for ln in quote_intent(intent, pops).lines}))
    hours: dict[tuple[str, int], int] = {}
    boosts: dict[tuple[str, int], int] = {}
    for h in range(MONTH.hours):
        begin, end = MONTH.start + h * HOUR, MONTH.start + (h + 1) * HOUR
        live = [s for s in states if s[0] < end and (s[1] is None or s[1] > begin)]
        prices = [s[3][key] for s in live if key in s[3]]
        if prices:
            item, cents = max(prices, key=lambda p: (p[1], p[0]))
            hours[(item, cents)] = hours.get((item, cents), 0) + 1
        boosted = None
        for at, until, intent, _ in live:
            for b in intent.boosts:
                stop = min(b.until, until or end, end)
                if f"internet {b.service}" == key and max(at, begin) < stop:
                    site = temporary_site(intent, b)
                    boosted = (f"boost of {b.service} at {site} to {format_bandwidth(b.rate)}",
                               temporary_delta_cents(intent, b, pops))
        if boosted is not None:
            boosts[boosted] = boosts.get(boosted, 0) + 1
    out = {("service", item, n): half_up(cents * n, MONTH.hours) for (item, cents), n in hours.items()}
    out.update({("temporary", item, n): prorate_cents(delta, n) for (item, delta), n in boosts.items()})
    svc = next((s for s in states[-1][2].services if f"internet {s.name}" == key), None)
    if isinstance(svc, InternetService) and svc.billing == "burstable":
        out.update(_naive_burst(store, tenant, svc))
    return out


def _naive_burst(store: Store, tenant: str, svc: InternetService) -> dict[tuple[str, str, int], int]:
    with store.session() as session:
        wanted = f"t{int(tenant[1:])}.{svc.site}"
        ids = [i for (_, iface), i in usage.series_ids(session, []).items() if iface == wanted]
        rows = usage.samples(session, ids, 300, MONTH.start, MONTH.end)
    r_in = [r.octets_in * 8 // r.covered_s for r in rows]
    r_out = [r.octets_out * 8 // r.covered_s for r in rows]
    p95 = max(_p95(r_in), _p95(r_out))
    above = max(burst_above_commit(r_in, svc.rate), burst_above_commit(r_out, svc.rate))
    item = (f"burst of internet {svc.name} at {svc.site}: 95th percentile {format_bandwidth(p95)} over a "
            f"{format_bandwidth(svc.rate)} commit")
    return {("burst", item, 1): half_up(above * DEFAULT_PRICE_BOOK.burst_cents_per_mbps[ServiceKind.INTERNET], 10**6)}


def _p95(rates: list[int]) -> int:
    ordered = sorted(rates)
    return ordered[math.ceil(0.95 * len(ordered)) - 1] if ordered else 0


def main() -> None:
    tenants = 200 if "--quick" in sys.argv else 1000
    # the straightforward way is timed on every 40th tenant (each with a boost and a burstable service:
    # the heaviest tenants), beside ours on the same tenants; ours also runs on all of them
    subset = [f"t{t:04d}" for t in range(0, tenants, 40)]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'invoices.db'}")
        try:
            t0 = time.perf_counter()
            seed(store, tenants)
            seed_s = time.perf_counter() - t0
            all_s, everything = ours(store)
            mine_s, mine = ours(store, subset)
            plain_s, plain = naive(store, subset)
        finally:
            store.close()
    assert mine == plain == {name: everything[name] for name in subset}, "the two ways disagree"
    services, measured = tenants * SITES, len(subset) * SITES
    figures = {"tenants": tenants, "services": services, "backend": "sqlite", "month": MONTH.label,
               "lines": sum(len(v) for v in everything.values()), "seed_s": round(seed_s, 2),
               "ours_all_s": round(all_s, 3), "ours_services_per_s": round(services / all_s),
               "compared_services": measured, "ours_compared_s": round(mine_s, 3),
               "naive_compared_s": round(plain_s, 3),
               "naive_services_per_s": round(measured / plain_s),
               "ratio_naive_over_ours": round(plain_s / mine_s, 1)}
    for name, value in figures.items():
        print(f"{name:26} {value}")
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
