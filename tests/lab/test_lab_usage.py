"""The collector on a real lab: the rate it measures on a PE's access port (netlink counters) is the
rate iperf3's receiver measures through it, within 5 %."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from unilink.lab.counters import LabCounterReader
from unilink.lab.site_services import LabChanges
from unilink.lab.traffic import Iperf3Flow
from unilink.usage.collector import Collector

pytestmark = pytest.mark.slow
M = 1_000_000


def test_the_collector_sees_the_rate_iperf3_sends(lab_changes: LabChanges) -> None:
    topology = lab_changes.topology
    by_pe: dict[str, str] = {}
    for s in topology.sites:
        by_pe.setdefault(s.router, s.name)
    a, b = list(by_pe.values())[:2]
    site_b = topology.site(b)
    reader = LabCounterReader(lab_changes.lab, now=lambda: datetime.now(UTC))
    pe = topology.router(site_b.router).inventory_name
    collector = Collector(interval_s=3)
    flow = Iperf3Flow(topology.site(a).netns, site_b.netns, site_b.host_inet_addr.split("/")[0], seconds=6,
                      port=5207)
    flow.start()
    try:
        assert flow.wait_for_rate_above(5 * M, timeout_s=10), flow.intervals
        time.sleep(1.0)  # past TCP's slow start
        collector.feed(reader.read_counters(pe))
        t0 = time.monotonic()
        time.sleep(3.0)
        deltas = collector.feed(reader.read_counters(pe))
        t1 = time.monotonic()
        intervals = flow.finish()
    finally:
        flow.stop()
    (port,) = [d for d in deltas if d.interface == site_b.pe_inet_ifname]
    assert port.carries.site == b and port.carries.out_direction == "down" and port.flags == 0
    inside = [i for i in intervals if i.started_at >= t0 - 0.05 and i.read_at <= t1 + 0.05]
    assert len(inside) >= 10, intervals
    iperf_bps = sum(i.bps * (i.end_s - i.start_s) for i in inside) / sum(i.end_s - i.start_s for i in inside)
    # the port counts Ethernet frames, iperf3 TCP payload: 1514 bytes on the wire carry 1448 (4.6 %)
    assert abs(port.rate_out_bps - iperf_bps) <= 0.05 * iperf_bps, (port.rate_out_bps, iperf_bps)
