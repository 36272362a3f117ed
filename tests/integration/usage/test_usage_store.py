"""The poll loop into a real database (SQLite and PostgreSQL): every octet the seeded model sent is
stored at each of the three resolutions, the retention purge drops old fine samples and no total,
missed polls are spread and flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from unilink.clock import FrozenClock
from unilink.devices.counters import Carries
from unilink.devices.drivers.sim import SimCounterReader, SimInterface
from unilink.store import usage_samples_repo as repo
from unilink.store.db import Store
from unilink.usage.buckets import DAY, FIVE_MINUTES, HOUR
from unilink.usage.collector import GAP
from unilink.usage.poller import Poller
from unilink.usage.queries import read_samples

START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
PORTS = {"par-pe1": [SimInterface("cust1.100", Carries.site_port("acme", "Paris HQ", "internet"), 10**9),
                     SimInterface("bb-par-fra", Carries.link_end("par-fra", a_side=True), 10**10),
                     # 32 bits at 100 Mbit/s: at most one wrap in 5 minutes (at 10 Gbit/s 32-bit counters
                     # wrap every 3.4 s and no poller can follow them: docs/usage.md)
                     SimInterface("cust2.200", Carries.site_port("acme", "Lyon", "vpn:corp"), 10**8, width=32)]}


def _poller(store: Store, clock: FrozenClock, interval_s: float = 300) -> tuple[Poller, SimCounterReader]:
    reader = SimCounterReader(PORTS, seed=7, clock=clock)
    return Poller(store, reader, ["par-pe1"], interval_s=interval_s), reader


def _model_octets(reader: SimCounterReader, iface: SimInterface, start: datetime, end: datetime) -> tuple[int, int]:
    flow_in, flow_out = reader.flows("par-pe1", iface)
    u0, u1 = ((t - reader.origin).total_seconds() for t in (start, end))
    return flow_in.octets(u1) - flow_in.octets(u0), flow_out.octets(u1) - flow_out.octets(u0)


def _series(store: Store) -> dict[str, int]:
    with store.session() as session:
        ids = repo.series_ids(session, [])
    return {iface: sid for (_, iface), sid in ids.items()}


def test_a_day_of_polls_keeps_every_octet_at_every_resolution(any_store: Store, frozen_clock: FrozenClock) -> None:
    frozen_clock.set(START)
    poller, reader = _poller(any_store, frozen_clock)
    for _ in range(288 + 1):   # a baseline, then a day of 5-minute polls
        poller.poll_once()
        frozen_clock.advance(timedelta(seconds=300))
    end = START + timedelta(days=1)
    ids = _series(any_store)
    with any_store.session() as session:
        for iface in PORTS["par-pe1"]:
            by_res = repo.totals_by_resolution(session, [ids[iface.name]], START, end)
            want = _model_octets(reader, iface, START, end)
            assert by_res == {FIVE_MINUTES: want, HOUR: want, DAY: want}, iface.name
        totals = {t.info.interface: t for t in repo.series_totals(session)}
    assert (totals["cust1.100"].octets_in_total, totals["cust1.100"].octets_out_total) == \
        _model_octets(reader, PORTS["par-pe1"][0], START, end)
    assert totals["bb-par-fra"].info.out_direction == "ab" and totals["cust1.100"].info.site == "Paris HQ"
    five = read_samples(any_store, [ids["cust1.100"]], START, end, FIVE_MINUTES)
    assert len(five) == 288 and all(s.covered_s == 300 and s.flags == 0 for s in five)
    hours = read_samples(any_store, [ids["cust1.100"]], START, end, HOUR)
    assert len(hours) == 24
    assert max(h.max_out_bps for h in hours) == max(s.max_out_bps for s in five), "the peak survives"


def test_purge_drops_old_5_minute_samples_but_no_total(any_store: Store, frozen_clock: FrozenClock) -> None:
    frozen_clock.set(START)
    poller, reader = _poller(any_store, frozen_clock)
    for _ in range(13):  # an hour
        poller.poll_once()
        frozen_clock.advance(timedelta(seconds=300))
    last = frozen_clock.now() - timedelta(seconds=300)
    frozen_clock.set(START + timedelta(days=40))      # the collector stopped for 40 days
    result = poller.poll_once()
    assert result.flagged == 3 and result.purged[FIVE_MINUTES] > 0
    ids = _series(any_store)
    sid = ids["cust1.100"]
    whole = (START, frozen_clock.now() + timedelta(days=1))
    with any_store.session() as session:
        by_res = repo.totals_by_resolution(session, [sid], *whole)
    want = _model_octets(reader, PORTS["par-pe1"][0], START, frozen_clock.now())
    assert by_res[HOUR] == by_res[DAY] == want, "the coarse samples still hold every octet"
    assert by_res[FIVE_MINUTES][0] < want[0], "5-minute samples older than 35 days are gone"
    gap = read_samples(any_store, [sid], last, frozen_clock.now(), HOUR)
    assert gap and all(s.flags & GAP for s in gap[1:]), "the gap's samples say they are an average"
    gap_rates = {s.octets_in for s in gap[2:-1]}
    assert max(gap_rates) - min(gap_rates) <= 1, "spread evenly, not one spike"
