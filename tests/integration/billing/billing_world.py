"""The month the invoice tests bill: acme's November 2026, changes, a boost, an order and a burst.

Every figure the tests check is worked out by hand in `NOVEMBER` below (docs/invoices.md shows the
same invoice). Prices: catalog/prices.py's DEFAULT_PRICE_BOOK.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from unilink import engine
from unilink.clock import FrozenClock
from unilink.engine.orders import complete_order, set_order_state
from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.store import tenancy
from unilink.store import usage_samples_repo as usage
from unilink.store.db import Store


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def network() -> Network:
    paris = Pop("Paris", "Paris", "FR", 48.8566, 2.3522)
    london = Pop("London", "London", "GB", 51.5074, -0.1278)
    frankfurt = Pop("Frankfurt", "Frankfurt am Main", "DE", 50.1109, 8.6821)
    routers = [Router("par-pe1", "Paris", RouterRole.EDGE, Vendor.FRR, "10.255.0.1"),
               Router("lon-pe1", "London", RouterRole.EDGE, Vendor.JUNOS, "10.255.0.2"),
               Router("fra-p1", "Frankfurt", RouterRole.CORE, Vendor.IOSXR, "10.255.0.3")]
    links = [make_link("Paris-London", paris, london, 100 * 10**9, a_router="par-pe1", b_router="lon-pe1"),
             make_link("Paris-Frankfurt", paris, frankfurt, 10 * 10**9)]
    return Network(name="billing", pops=[paris, london, frankfurt], routers=routers, links=links)


FIBRE_1G = {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}
HQ = {"name": "paris-hq", "pop": "Paris", "access": FIBRE_1G}
DC = {"name": "london-dc", "pop": "London", "access": FIBRE_1G}
ANNEX = {"name": "paris-annex", "pop": "Paris",
         "access": {"technology": "ftth", "port": "1G", "down": "300M", "up": "100M"}}


def document(hq_rate: str, *, annex: bool = False, boost_until: datetime | None = None) -> dict[str, Any]:
    services: list[dict[str, Any]] = [
        {"kind": "internet", "name": "hq-internet", "site": "paris-hq", "rate": hq_rate},
        {"kind": "internet", "name": "dc-transit", "site": "london-dc", "rate": "100M", "billing": "burstable"}]
    if annex:
        services.append({"kind": "internet", "name": "annex-internet", "site": "paris-annex", "rate": "50M"})
    doc: dict[str, Any] = {"sites": [HQ, DC, *([ANNEX] if annex else [])], "services": services}
    if boost_until is not None:
        doc["boosts"] = [{"service": "hq-internet", "rate": "800M", "until": boost_until.isoformat()}]
    return doc


def _change(store: Store, clock: FrozenClock, when: datetime, doc: dict[str, Any], **plan_options: Any) -> Any:
    clock.set(when)
    made = engine.plan(store, "acme", doc, now=when, actor="alice", **plan_options)
    return engine.apply(store, made.id, "alice", "test", now=when)


# 5-minute rates of london-dc's access port (down; up is a tenth): 8,000 samples at 80 Mbit/s,
# 400 at 130 Mbit/s, 240 at 900 Mbit/s — 8,640, the whole of November
BURST_SAMPLES = [80_000_000] * 8000 + [130_000_000] * 400 + [900_000_000] * 240


def _samples(store: Store) -> None:
    info = usage.SeriesInfo("lon-pe1", "xe-0/0/1.100", "site", "acme", "london-dc", "internet", "", "down", "up")
    # spread the busy samples through the month (order does not matter to the 95th percentile)
    order = sorted(range(8640), key=lambda i: (i * 7919) % 8640)
    starts = [at(1, 0) + timedelta(minutes=5 * i) for i in order]
    with store.session(write=True) as session:
        sid = usage.series_ids(session, [info])[("lon-pe1", "xe-0/0/1.100")]
        rows = [usage.SampleWrite(sid, 300, start, rate * 300 // 8 // 10, rate * 300 // 8, rate // 10, rate, 300, 0)
                for start, rate in zip(starts, BURST_SAMPLES, strict=True)]
        # outside November: never billed
        rows += [usage.SampleWrite(sid, 300, at(31, 23, 55, month=10), 0, 10**9 * 300 // 8, 0, 10**9, 300, 0),
                 usage.SampleWrite(sid, 300, datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 0, 10**9 * 300 // 8, 0, 10**9,
                                   300, 0)]
        usage.add_samples(session, rows)


def build_november(store: Store, clock: FrozenClock) -> None:
    """acme's history, applied through the engine at the times the invoice is computed from."""
    store.replace_network(network())
    with store.session(write=True) as session:
        tenancy.add_tenant(session, "acme", "enterprise", "Acme Industries")
        tenancy.add_tenant(session, "globex", "enterprise", "Globex Corporation")
    _change(store, clock, at(20, 10, month=10), document("200M"), accesses_installed=True)
    annex = _change(store, clock, at(5, 8), document("200M", annex=True))      # the annex's line is ordered
    _change(store, clock, at(16, 9, 20), document("500M", annex=True))          # rate up, mid-hour
    _change(store, clock, at(20, 14), document("500M", annex=True, boost_until=at(22, 14)))
    _change(store, clock, at(22, 14, 5), document("500M", annex=True))          # the scheduler's drop of the boost
    clock.set(at(24, 9))
    set_order_state(store, annex.orders[0], "inProgress", "field", now=at(24, 9))
    clock.set(at(25, 10, 30))
    complete_order(store, annex.orders[0], "field", now=at(25, 10, 30))       # the annex's line is in
    _samples(store)
    # globex: one small site all month, for the isolation tests
    clock.set(at(2, 0, month=10))
    made = engine.plan(store, "globex", {"sites": [{**HQ, "name": "globex-office"}], "services": [
        {"kind": "internet", "name": "globex-internet", "site": "globex-office", "rate": "100M"}]},
        now=at(2, 0, month=10), accesses_installed=True)
    engine.apply(store, made.id, "bob", "test", now=at(2, 0, month=10))


# The invoice by hand. November 2026 has 30 days: 720 hours. Monthly prices (cents):
#   fibre 1G port 45,000; FTTH access 6,000; its installation 25,000 (one-off)
#   internet = 2,000 + 100 per Mbit/s up to 100M + 40 per Mbit/s up to 1G:
#     50M → 2,000 + 5,000 = 7,000; 100M → 12,000; 200M → 12,000 + 4,000 = 16,000;
#     500M → 12,000 + 16,000 = 28,000; 800M → 12,000 + 28,000 = 40,000
# hq-internet: 200M from Nov 1 00:00; 500M from Nov 16 09:20. Hours 0…368 (to Nov 16 09:00) at 200M:
#   369 h; hour 369 (09:00-10:00) saw both rates and is billed at the dearer, 500M: 720 - 369 = 351 h.
#   200M: 16,000 × 369 / 720 = 8,200;  500M: 28,000 × 351 / 720 = 13,650
# the boost to 800M, Nov 20 14:00 → Nov 22 14:00: 48 h of (40,000 - 28,000) on the book's 730-hour
#   month: 12,000 × 48 / 730 = 789.04 → 789
# paris-annex: its line ordered Nov 5, in on Nov 25 10:30 (hour 24 × 24 + 10 = 586): 720 - 586 = 134 h
#   access 6,000 × 134 / 720 = 1,116.67 → 1,117; annex-internet 50M 7,000 × 134 / 720 = 1,302.78 → 1,303
#   installation (FTTH): 25,000
# dc-transit, burstable with a 100M commit: 8,640 samples; the 95th percentile is the
#   ceil(0.95 × 8,640) = 8,208th smallest: past the 8,000 at 80M, one of the 400 at 130M → 130M;
#   30 Mbit/s above the commit × 60 cents = 1,800. Its monthly 12,000 is billed as a service line.
# net = 45,000 + 45,000 + 8,200 + 13,650 + 12,000 + 1,117 + 1,303 + 789 + 25,000 + 1,800 = 153,859
# VAT 20 %: 30,771.8 → 30,772; total 184,631 (€1,846.31)
NOVEMBER = {
    ("service", "access paris-hq"): [(720, 45_000)],
    ("service", "access london-dc"): [(720, 45_000)],
    ("service", "internet hq-internet"): [(369, 8_200), (351, 13_650)],
    ("service", "internet dc-transit"): [(720, 12_000)],
    ("service", "access paris-annex"): [(134, 1_117)],
    ("service", "internet annex-internet"): [(134, 1_303)],
    ("temporary", "boost hq-internet paris-hq"): [(48, 789)],
    ("burst", "burst dc-transit"): [(1, 1_800)],
}
NOVEMBER_NET, NOVEMBER_VAT, NOVEMBER_TOTAL = 153_859, 30_772, 184_631
