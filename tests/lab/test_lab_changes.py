"""Real FRR routers in namespaces, changed through the device layer (render → DeviceTransaction →
LabDriver): a rate change shows at the receiver within 1 s, VPN membership isolates, and a
failure on one router mid-transaction leaves every router as it was with traffic still flowing.

Slow (about a minute): a lab of 4 routers and 4 site hosts is built once for the module.
"""

from __future__ import annotations

import time

import pytest

from unilink.lab.site_services import LabChanges, SiteService
from unilink.lab.traffic import Iperf3Flow, ping, wait_reachable

pytestmark = [pytest.mark.slow, pytest.mark.lab]

M = 1_000_000
VNI = 100


def vpn_address(changes: LabChanges, site: str) -> str:
    return changes.topology.site(site).host_vpn_addr.split("/")[0]


def internet_address(changes: LabChanges, site: str) -> str:
    return changes.topology.site(site).host_inet_addr.split("/")[0]


def sites(changes: LabChanges) -> list[str]:
    """Four sites on four different PEs (the fixture's lab has one PE per PoP)."""
    by_pe: dict[str, str] = {}
    for s in changes.topology.sites:
        by_pe.setdefault(s.router, s.name)
    names = list(by_pe.values())
    assert len(names) >= 4, f"the lab needs 4 PEs with a site, got {names}"
    return names[:4]


def baseline(changes: LabChanges, vpn_members: tuple[str, ...] = (), **rates: int) -> dict[str, SiteService]:
    return {name: SiteService(down_bps=rates.get(name, 100 * M), up_bps=100 * M,
                              vni=VNI if name in vpn_members else None)
            for name in sites(changes)}


def apply_ok(changes: LabChanges, services: dict[str, SiteService]) -> float:
    result, elapsed = changes.apply(services)
    assert result.ok, result.to_dict()
    return elapsed


def test_rate_cut_shows_at_the_receiver_within_one_second(lab_changes: LabChanges) -> None:
    changes = lab_changes
    a, b = sites(changes)[:2]
    apply_ok(changes, baseline(changes))
    flow = Iperf3Flow(changes.topology.site(a).netns, changes.topology.site(b).netns,
                      internet_address(changes, b), seconds=5)
    flow.start()
    try:
        assert flow.wait_for_rate_above(50 * M), f"no flow above 50 Mbit/s before the change: {flow.intervals}"
        applied_at = time.monotonic()
        elapsed = apply_ok(changes, baseline(changes, **{b: 10 * M}))
        intervals = flow.finish()
    finally:
        flow.stop()
    before = [i for i in intervals if i.read_at <= applied_at]
    # full 0.2 s intervals only: iperf3's last one may last a few ms, too short to be a rate
    after = [i for i in intervals if i.started_at >= applied_at + 1.0 and i.end_s - i.start_s >= 0.15]
    assert max(i.bps for i in before) > 50 * M
    assert len(after) >= 5, f"too few intervals after the change: {intervals}"
    assert all(i.bps <= 10.5 * M for i in after), [(round(i.started_at - applied_at, 2), round(i.end_s - i.start_s, 2),
                                                    i.bps) for i in intervals]
    assert elapsed < 5.0


def test_vpn_members_reach_each_other_and_nobody_else(lab_changes: LabChanges) -> None:
    changes = lab_changes
    a, b, c, outsider = sites(changes)
    host = {s: changes.topology.site(s).netns for s in (a, b, c, outsider)}
    apply_ok(changes, baseline(changes, vpn_members=(a, b, c)))
    for src, dst in ((a, b), (b, c), (c, a)):
        assert wait_reachable(host[src], vpn_address(changes, dst), timeout_s=30) is not None, f"{src} → {dst}"
    for member in (a, b, c):
        assert not ping(host[outsider], vpn_address(changes, member), count=2), f"{outsider} reached {member}"
        assert not ping(host[member], vpn_address(changes, outsider), count=2), f"{member} reached {outsider}"
    # the underlay (Internet access) still joins everybody: isolation is the VPN's, not a broken lab
    assert ping(host[outsider], internet_address(changes, a))

    apply_ok(changes, baseline(changes, vpn_members=(a, b)))
    assert not ping(host[c], vpn_address(changes, a), count=2), "a site removed from the VPN still reaches it"
    assert not ping(host[a], vpn_address(changes, c), count=2)
    assert ping(host[a], vpn_address(changes, b), count=2), "the remaining members lost each other"


def test_failure_mid_transaction_restores_every_router_and_traffic_flows(lab_changes: LabChanges) -> None:
    changes = lab_changes
    a, b, c, d = sites(changes)
    host = {s: changes.topology.site(s).netns for s in (a, b, c, d)}
    before_services = baseline(changes, vpn_members=(a, b))
    apply_ok(changes, before_services)
    assert wait_reachable(host[a], vpn_address(changes, b), timeout_s=30) is not None
    running_before = changes.running_configs()

    flow = Iperf3Flow(host[c], host[d], internet_address(changes, d), seconds=4, port=5203)
    flow.start()
    try:
        assert flow.wait_for_rate_above(50 * M)
        # every router changes: all four join the VPN and every rate drops; d's PE fails half-way
        wanted = {s: SiteService(down_bps=20 * M, up_bps=20 * M, vni=VNI) for s in (a, b, c, d)}
        failing = changes.topology.router(changes.topology.site(d).router).inventory_name
        result, _ = changes.apply(wanted, fail_commit_on={failing})
        intervals = flow.finish()
    finally:
        flow.stop()

    assert result.state == "rolled_back" and result.phase == "commit", result.to_dict()
    assert failing in result.failed
    assert changes.running_configs() == running_before
    assert ping(host[a], vpn_address(changes, b), count=2), "the VPN that was up is down after the rollback"
    assert not ping(host[c], vpn_address(changes, a), count=2), "the failed change leaked a VPN membership"
    # The same TCP connection ran to its end: the change (a cut to 20 Mbit/s on the committed PEs)
    # may stall it briefly until the rollback restores 100 Mbit/s, never break it.
    shape = [(round(i.start_s, 2), round(i.bps / M, 1)) for i in intervals]
    assert intervals and intervals[-1].end_s >= 3.7, f"the flow ended early: {shape}"
    stalled_s = sum(i.end_s - i.start_s for i in intervals if i.bps < 1 * M)
    assert stalled_s < 1.0, f"the flow stalled {stalled_s:.2f} s: {shape}"
    full = [i for i in intervals if i.end_s - i.start_s > 0.15]
    assert min(i.bps for i in full[-3:]) > 50 * M, f"the flow did not get its rate back: {shape}"


def test_recovery_after_a_crash_half_way_undoes_it_with_a_fresh_driver(lab_changes: LabChanges) -> None:
    """The process dies after committing on some routers: a new process (a fresh LabDriver, no
    memory of the change) reads the journal and puts every router back — the driver's state lives
    on the routers and in the lab dir, not in the dead process."""
    from unilink.devices.diff import diff_configs
    from unilink.devices.drivers.base import bind_all
    from unilink.devices.transaction import recover
    from unilink.lab.driver import LabDriver

    changes = lab_changes
    a, b, c, d = sites(changes)
    apply_ok(changes, baseline(changes, vpn_members=(a, b)))
    running_before = changes.running_configs()
    wanted = changes.render_all({s: SiteService(down_bps=30 * M, vni=VNI) for s in (a, b, c, d)})
    tx = [diff_configs(r, "frr", changes.committed.get(r), cfg) for r, cfg in wanted.items()]
    tx = [t for t in tx if t.changed]
    changes.journal.begin("crash-1", tx, actor="test", reason="crash", plan_id=None)
    changes.journal.record("crash-1", "committing")
    dying = LabDriver(changes.lab)
    for t in tx:
        dying.prepare(t.router, t.after)
    for t in tx[: len(tx) // 2 + 1]:  # the process "dies" after committing on half of the routers
        dying.commit(t.router)
    assert changes.running_configs() != running_before
    del dying

    routers = [t.router for t in tx]
    outcomes = recover(changes.journal, bind_all(LabDriver(changes.lab), routers))
    assert [o.decision for o in outcomes] == ["undone"], outcomes
    assert changes.running_configs() == running_before
    assert ping(changes.topology.site(a).netns, vpn_address(changes, b), count=2)


def test_prepare_refuses_unknown_ports_and_foreign_programs_and_changes_nothing(lab_changes: LabChanges) -> None:
    from unilink.devices.render import RenderedConfig
    from unilink.errors import ValidationError
    from unilink.lab.driver import lab_drivers

    changes = lab_changes
    router = changes.topology.routers[0].inventory_name
    before = changes.running_configs()
    driver = lab_drivers([router, "not-in-the-lab"], changes.lab)
    assert list(driver) == [router]
    stray_port = RenderedConfig("frr", "interface ge-0/0/9\n description acme nowhere\nexit\n")
    with pytest.raises(ValidationError) as err:
        driver[router].prepare(stray_port)
    assert err.value.value == "ge-0/0/9" and "acc-" in (err.value.accepted or "")
    foreign = RenderedConfig("frr", "", shell=(("sh", "-c", "reboot"),))
    with pytest.raises(ValidationError, match="only ip and tc"):
        driver[router].prepare(foreign)
    site = next(s for s in changes.topology.sites if s.router == changes.topology.routers[0].netns)
    text = "".join(f"interface cust9.{v}\n description acme {site.name}\nexit\n" for v in (1, 2))
    joins = tuple(("ip", "link", "set", "dev", f"cust9.{v}", "master", f"br{v}") for v in (1, 2))
    two_vpns = RenderedConfig("frr", text, shell=joins)
    with pytest.raises(ValidationError, match="one VPN port"):
        driver[router].prepare(two_vpns)
    bad_frr = RenderedConfig("frr", "router bgp 65000\n neighbour 10.0.0.1 remote-as 1\nexit\n")
    with pytest.raises(Exception, match="FRR rejects"):
        driver[router].prepare(bad_frr)
    assert changes.running_configs() == before
