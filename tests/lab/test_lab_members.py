"""A cooperative's members shaped at their plans' rates on real routers, through the engine.

A 2-PoP FRR lab (prefix `ulm-`, so it never meets another lab on this machine) registered in the
store; member households are host namespaces (`ulm-m<N>`) on veths to the coop's access router
(router side `mem<N>`: the line's port). Activating, suspending and resuming a subscription is
`usecases.memberships` → plan → apply → the lab driver: FRR routes to the member's address, tc on
the member's port. iperf3 runs from the router to the member (the member's download, what the egress
tbf shapes), measured at the member's end in 0.2 s intervals.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from unilink.lab import shell
from unilink.lab.traffic import Iperf3Flow, wait_reachable

from .conftest import lab_skip_reason

pytestmark = [pytest.mark.slow, pytest.mark.lab]

PREFIX = "ulm-"
COOP = "lab-coop"
M = 1_000_000
TRICKLE = 256_000


@dataclass
class MembersLab:
    store: Any
    lab: Any
    router: str          # the access router (inventory name)
    router_ns: str

    def host(self, n: int) -> str:
        return f"{PREFIX}m{n}"

    def step(self, call: Any, *args: Any) -> dict[str, Any]:
        from unilink.devices.drivers.registry import using_driver
        from unilink.lab.driver import lab_driver_factory

        with using_driver("lab-members", lab_driver_factory(self.lab)):
            return call(self.store, COOP, *args, actor="lab-test")  # type: ignore[no-any-return]

    def address(self, view: dict[str, Any]) -> str:
        return next(a["value"] for a in view["addresses"] if a["kind"] == "ipv4")

    def plug(self, n: int, address: str) -> None:
        """The home's router: its address on its uplink, everything through the line (unnumbered)."""
        host = self.host(n)
        shell.run(["ip", "-n", host, "addr", "replace", f"{address}/32", "dev", "eth0"])
        shell.run(["ip", "-n", host, "route", "replace", "default", "dev", "eth0"])

    def download(self, n: int, address: str, *, seconds: float = 4.0, port: int = 5301) -> list[float]:
        """The member's download in full 0.2 s intervals, from 1 s in (TCP has ramped up by then)."""
        assert wait_reachable(self.router_ns, address, timeout_s=15) is not None, f"member {n} unreachable"
        flow = Iperf3Flow(self.router_ns, self.host(n), address, seconds=seconds, port=port)
        flow.start()
        try:
            intervals = flow.finish(timeout_s=seconds + 20)
        finally:
            flow.stop()
        rates = [i.bps for i in intervals if i.start_s >= 1.0 and i.end_s - i.start_s >= 0.15]
        assert len(rates) >= 5, intervals
        return rates


def trickle_interval_ceiling(interval_s: float = 0.2) -> float:
    """The most a 0.2 s interval can carry through the trickle shaper: its bucket plus the rate."""
    from unilink.lab.topology import tbf_args

    args = tbf_args("mem2", TRICKLE)
    bucket_bits = int(args[args.index("burst") + 1]) * 8
    return 1.1 * (bucket_bits + TRICKLE * interval_s) / interval_s  # 1.1: interval edges read late


@pytest.fixture(scope="module")
def members_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MembersLab]:
    reason = lab_skip_reason()
    if reason:
        pytest.skip(reason)
    from unilink.inventory.sample import load_demo_tenants
    from unilink.lab.builder import Lab
    from unilink.store.db import Store
    from unilink.store.seed import seed_inventory
    from unilink.store.tenancy import add_tenant
    from unilink.usecases import memberships

    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('members-lab') / 'unilink.db'}")
    seed_inventory(store, False)
    directory = Path(tempfile.mkdtemp(prefix="ul-labmembers-", dir="/tmp"))
    directory.chmod(0o755)
    lab = Lab.at(directory)
    hosts: list[str] = []
    try:
        topology = lab.up(store.load_network(), load_demo_tenants(), 2, prefix=PREFIX)
        lab.register(store)
        access = topology.routers[0]
        with store.session(write=True) as session:
            add_tenant(session, COOP, "cooperative", "Lab cooperative")
        memberships.add_plan(store, COOP, name="basic", down="100M", up="50M", monthly_cents=2500)
        memberships.add_plan(store, COOP, name="plus", down="300M", up="100M", monthly_cents=3500)
        memberships.add_pool(store, COOP, name="public", kind="ipv4", prefix="192.0.2.0/28")
        memberships.add_pool(store, COOP, name="v6", kind="ipv6", prefix="2001:db8:10::/48", delegated_length=56)
        for n in (1, 2):
            host = f"{PREFIX}m{n}"
            shell.run(["ip", "netns", "add", host])
            hosts.append(host)
            shell.run(["ip", "link", "add", f"mem{n}", "netns", access.netns, "type", "veth", "peer", "name", "eth0",
                       "netns", host])
            shell.run(["ip", "-n", host, "link", "set", "eth0", "up"])
            memberships.add_line(store, COOP, name=f"flat-{n}", router=access.inventory_name, port=f"mem{n}",
                                 ceiling_down="1G", ceiling_up="1G")
        yield MembersLab(store, lab, access.inventory_name, access.netns)
    finally:
        for host in hosts:
            shell.run(["ip", "netns", "del", host], check=False)  # its veth goes with it
        if lab.registered():
            lab.unregister(store)
        lab.down(prefix=PREFIX)
        store.close()
        assert not [ns for ns in shell.netns_list() if ns.startswith(PREFIX)]


def test_each_member_gets_its_plan_and_a_suspended_one_the_trickle(members_lab: MembersLab) -> None:
    from unilink.lab.driver import LabDriver
    from unilink.usecases import memberships

    lab = members_lab
    ids = {}
    for n, plan in ((1, "basic"), (2, "plus")):
        member = memberships.add_member(lab.store, COOP, name=f"Home {n}", email=f"home{n}@example.org",
                                        address=f"{n} place du lab")
        ids[n] = memberships.request(lab.store, COOP, member=member["id"], plan=plan, line=f"flat-{n}")["id"]
    views = {n: lab.step(memberships.activate, ids[n]) for n in (1, 2)}
    for n in (1, 2):
        assert views[n]["change"]["routers"] == [lab.router]
        lab.plug(n, lab.address(views[n]))

    state = LabDriver(lab.lab).linux_state(lab.router)
    assert state["shapers"]["mem1"][0][0] == 100 * M and state["shapers"]["mem2"][0][0] == 300 * M

    basic = lab.download(1, lab.address(views[1]), port=5301)
    plus = lab.download(2, lab.address(views[2]), port=5302)
    # tbf at 100M counts frames, iperf3 payload: on average the member gets under 100M; a single 0.2 s
    # interval may hold a little more (the 125 kB bucket, and packets read a moment late by a busy CPU)
    assert statistics.mean(basic) <= 100 * M, basic
    assert max(basic) <= 120 * M, basic
    assert statistics.mean(basic) >= 80 * M, basic  # and it is the rate, not a stall
    assert statistics.mean(plus) > 150 * M, plus   # the 300M member gets more than the 100M one can
    assert statistics.mean(plus) > 1.5 * statistics.mean(basic)

    held = lab.step(memberships.suspend, ids[2])
    assert held["state"] == "suspended"
    assert LabDriver(lab.lab).linux_state(lab.router)["shapers"]["mem2"][0][0] == TRICKLE
    trickle = lab.download(2, lab.address(views[2]), seconds=6.0, port=5303)
    assert statistics.mean(trickle) <= 1.2 * TRICKLE, trickle  # held at 256 kbit/s
    # no interval gets through at speed: at most one full tbf bucket on top of the rate, which a TCP
    # stall (RTO at 256 kbit/s) lets refill, so an interval after a stall may carry it (CI saw 1.28M)
    assert max(trickle) <= trickle_interval_ceiling(), trickle

    lab.step(memberships.resume, ids[2])
    again = lab.download(2, lab.address(views[2]), port=5304)
    assert statistics.mean(again) > 150 * M, again
    print({"basic_mean_bps": round(statistics.mean(basic)), "plus_mean_bps": round(statistics.mean(plus)),
           "suspended_mean_bps": round(statistics.mean(trickle)), "resumed_mean_bps": round(statistics.mean(again))})


def test_a_plan_change_is_shaped_within_a_second_of_its_apply(members_lab: MembersLab) -> None:
    """Member 1 (basic, 100M) moves to plus (300M) during a download: the receiver sees more than
    150 Mbit/s in an interval that starts within 1 s of the end of the apply (DESIGN.md's target)."""
    import time

    from unilink.usecases import memberships

    lab = members_lab
    sub = next(s for s in memberships.subscriptions(lab.store, COOP) if s["line"]["name"] == "flat-1")
    if sub["plan"]["name"] != "basic":
        lab.step(memberships.change_plan, sub["id"], "basic")
    address = lab.address(sub)
    assert wait_reachable(lab.router_ns, address, timeout_s=15) is not None
    flow = Iperf3Flow(lab.router_ns, lab.host(1), address, seconds=6, port=5305)
    flow.start()
    try:
        time.sleep(2.0)
        started = time.monotonic()
        lab.step(memberships.change_plan, sub["id"], "plus")
        applied = time.monotonic()
        intervals = flow.finish(timeout_s=30)
    finally:
        flow.stop()
    before = [i.bps for i in intervals if i.read_at <= started and i.start_s >= 1.0]
    after = [i for i in intervals if i.started_at >= applied and i.end_s - i.start_s >= 0.15]
    assert before and statistics.mean(before) <= 100 * M, before
    fast = next((i for i in after if i.bps > 150 * M), None)
    assert fast is not None, [(round(i.started_at - applied, 2), i.bps) for i in intervals]
    assert fast.started_at - applied <= 1.0, round(fast.started_at - applied, 2)
    print({"plan_change_apply_s": round(applied - started, 3),
           "first_fast_interval_after_apply_s": round(fast.started_at - applied, 3)})
