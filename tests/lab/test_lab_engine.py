"""The same lab scenarios driven through the ENGINE: `engine.plan` → `engine.apply` renders FRR for
the lab's routers (registered in the store as FRR routers driven by the lab) and pushes through
its DeviceTransaction into `LabDriver`. The engine's own ports (`cust<N>.<vlan>`), /31s and VNIs
are used as they are; the driver maps them onto the lab's interfaces.

Slow: a 5-PoP lab (Paris, Strasbourg, Frankfurt, Lyon, Marseille) with the demo enterprise's four
sites there, built once for the module.
"""

from __future__ import annotations

import difflib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from unilink.lab import shell
from unilink.lab.traffic import Iperf3Flow, ping, wait_reachable

from .conftest import lab_skip_reason

pytestmark = [pytest.mark.slow, pytest.mark.lab]

PREFIX = "ule-"
TENANT = "acme-logistics"
M = 1_000_000
SITES = {  # the demo enterprise's sites at the lab's PoPs, as tenants.yaml describes their accesses
    "paris-hq": ("Paris", "paris-pe1", "fibre", "on-net", "10G", "2G", "2G"),
    "frankfurt-dc": ("Frankfurt", "frankfurt-pe1", "fibre", "on-net", "10G", "5G", "5G"),
    "lyon-warehouse": ("Lyon", "lyon-pe1", "ftth", "Orange Wholesale France", "1G", "500M", "200M"),
    "marseille-warehouse": ("Marseille", "marseille-pe1", "vdsl2", "Orange Wholesale France", "100M", "80M", "20M"),
}


def intent(vpn: dict[str, str], internet: dict[str, str]) -> dict[str, Any]:
    """acme-logistics with these four sites, VPN 'corp' members → rate, Internet sites → rate."""
    return {
        "tenant": TENANT,
        "sites": [{"name": name, "pop": pop, "router": router,
                   "access": {"technology": tech, "provider": provider, "port": port, "down": down, "up": up}}
                  for name, (pop, router, tech, provider, port, down, up) in SITES.items()],
        "services": [{"kind": "ipvpn", "name": "corp", "topology": "any-to-any",
                      "members": [{"site": s, "rate": r} for s, r in vpn.items()]}]
        + [{"kind": "internet", "name": f"{s}-internet", "site": s, "rate": r} for s, r in internet.items()],
    }


@dataclass
class EngineLab:
    store: Any
    lab: Any

    def apply(self, document: dict[str, Any], *, fail_on: tuple[str, ...] = ()) -> tuple[Any, float]:
        """plan + apply; returns the ApplyResult and the seconds the apply took."""
        from unilink.devices.drivers.registry import using_driver
        from unilink.engine import apply, plan
        from unilink.lab.driver import lab_driver_factory

        # `driver: lab` routers to this lab, the others to sim: selected by name for this apply
        with using_driver("lab-test", lab_driver_factory(self.lab, fail_commit_on=fail_on)):
            p = plan(self.store, TENANT, document, accesses_installed=True)
            started = time.perf_counter()
            # the scenarios move sites out of VPNs on purpose: removals confirmed
            result = apply(self.store, p.id, "lab-test", "lab scenario", confirm_removals=True)
            return result, time.perf_counter() - started

    def host(self, site: str) -> str:
        return self.lab.topology().site(site).netns

    def vpn_address(self, site: str) -> str:
        return self.lab.topology().site(site).host_vpn_addr.split("/")[0]


@pytest.fixture(scope="module")
def engine_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineLab]:
    reason = lab_skip_reason()
    if reason:
        pytest.skip(reason)
    from unilink.inventory.sample import load_demo_tenants
    from unilink.lab.builder import Lab
    from unilink.store.db import Store
    from unilink.store.seed import seed_inventory, seed_tenants

    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('engine-lab') / 'unilink.db'}")
    seed_inventory(store, False)
    seed_tenants(store, False)
    directory = Path(tempfile.mkdtemp(prefix="ul-labengine-", dir="/tmp"))
    directory.chmod(0o755)
    lab = Lab.at(directory)
    try:
        lab.up(store.load_network(), load_demo_tenants(), 5, prefix=PREFIX)
        assert set(SITES) <= {s.name for s in lab.topology().sites}
        lab.register(store)
        yield EngineLab(store, lab)
    finally:
        if lab.registered():
            lab.unregister(store)
        lab.down(prefix=PREFIX)
        store.close()
        assert not [ns for ns in shell.netns_list() if ns.startswith(PREFIX)]


def test_engine_rate_change_shows_at_the_receiver_within_one_second(engine_lab: EngineLab) -> None:
    base = {"paris-hq": "100M", "frankfurt-dc": "100M", "lyon-warehouse": "100M"}
    result, _ = engine_lab.apply(intent(base, {"marseille-warehouse": "20M"}))
    assert "lyon-pe1" in result.routers
    assert wait_reachable(engine_lab.host("paris-hq"), engine_lab.vpn_address("lyon-warehouse"), timeout_s=30)
    flow = Iperf3Flow(engine_lab.host("paris-hq"), engine_lab.host("lyon-warehouse"),
                      engine_lab.vpn_address("lyon-warehouse"), seconds=5, port=5210)
    flow.start()
    try:
        assert flow.wait_for_rate_above(50 * M), f"no flow above 50 Mbit/s before the change: {flow.intervals}"
        applied_at = time.monotonic()
        result, elapsed = engine_lab.apply(intent({**base, "lyon-warehouse": "10M"}, {"marseille-warehouse": "20M"}))
        intervals = flow.finish()
    finally:
        flow.stop()
    assert result.routers == ("lyon-pe1",)  # only the router whose config changed is touched
    before = [i for i in intervals if i.read_at <= applied_at]
    # full 0.2 s intervals only: iperf3's last one may last a few ms, too short to be a rate
    after = [i for i in intervals if i.started_at >= applied_at + 1.0 and i.end_s - i.start_s >= 0.15]
    assert max(i.bps for i in before) > 50 * M
    assert len(after) >= 5, f"too few intervals after the change: {intervals}"
    assert all(i.bps <= 10.5 * M for i in after), [(round(i.started_at - applied_at, 2), round(i.end_s - i.start_s, 2),
                                                    i.bps) for i in intervals]
    assert elapsed < 5.0


def test_engine_vpn_membership_isolates(engine_lab: EngineLab) -> None:
    members = {"paris-hq": "50M", "frankfurt-dc": "50M", "lyon-warehouse": "50M"}
    engine_lab.apply(intent(members, {"marseille-warehouse": "20M"}))
    host, addr = engine_lab.host, engine_lab.vpn_address
    for src, dst in (("paris-hq", "frankfurt-dc"), ("frankfurt-dc", "lyon-warehouse"), ("lyon-warehouse", "paris-hq")):
        assert wait_reachable(host(src), addr(dst), timeout_s=30) is not None, f"{src} → {dst}"
    for member in members:
        assert not ping(host("marseille-warehouse"), addr(member), count=2), f"the outsider reached {member}"
    # Lyon leaves the VPN and keeps Internet access only
    engine_lab.apply(intent({"paris-hq": "50M", "frankfurt-dc": "50M"},
                            {"marseille-warehouse": "20M", "lyon-warehouse": "50M"}))
    assert not ping(host("lyon-warehouse"), addr("paris-hq"), count=2), "a site that left the VPN still reaches it"
    assert not ping(host("paris-hq"), addr("lyon-warehouse"), count=2)
    assert ping(host("paris-hq"), addr("frankfurt-dc"), count=2), "the remaining members lost each other"


def test_engine_failure_on_one_router_rolls_back_everything(engine_lab: EngineLab) -> None:

    from unilink.devices.journal import committed_configs
    from unilink.engine.devices import DeviceCommitError
    from unilink.lab.driver import LabDriver

    members = {"paris-hq": "50M", "frankfurt-dc": "50M"}
    engine_lab.apply(intent(members, {"marseille-warehouse": "20M", "lyon-warehouse": "50M"}))
    assert wait_reachable(engine_lab.host("paris-hq"), engine_lab.vpn_address("frankfurt-dc"), timeout_s=30)
    reader = LabDriver(engine_lab.lab)
    routers = [r.inventory_name for r in engine_lab.lab.topology().routers]
    running_before = {r: reader.running_config(r) for r in routers}
    with engine_lab.store.session() as session:
        stored_before = committed_configs(session)

    everyone = {"paris-hq": "30M", "frankfurt-dc": "30M", "lyon-warehouse": "30M", "marseille-warehouse": "30M"}
    with pytest.raises(DeviceCommitError, match="rolled back"):
        engine_lab.apply(intent(everyone, {}), fail_on=("lyon-pe1",))

    running_after = {r: reader.running_config(r) for r in routers}
    assert running_after == running_before, "\n".join(
        line for r in routers if running_after[r] != running_before[r]
        for line in difflib.unified_diff(running_before[r].splitlines(), running_after[r].splitlines(), r, r,
                                         lineterm=""))
    with engine_lab.store.session() as session:
        assert committed_configs(session) == stored_before
    assert ping(engine_lab.host("paris-hq"), engine_lab.vpn_address("frankfurt-dc"), count=2)
    assert not ping(engine_lab.host("lyon-warehouse"), engine_lab.vpn_address("paris-hq"), count=2)
