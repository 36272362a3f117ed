"""The netconf driver against a REAL NETCONF server (netconfd + sshd, started here on 127.0.0.1):
candidate datastore, confirmed commit, rollback, YANG validation, crash behaviour, transactions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import dev_netconf_server
import pytest

from unilink.devices.device_intent import AccessAttachment, build_device_intents
from unilink.devices.diff import diff_configs
from unilink.devices.drivers.base import DeviceError
from unilink.devices.drivers.netconf import NetconfDriver, canonical_interfaces
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import StoreJournal, last_committed
from unilink.devices.render import RenderedConfig, render
from unilink.devices.transaction import DeviceTransaction, recover
from unilink.inventory.model import Router, RouterRole, Vendor
from unilink.store.db import Store

pytestmark = pytest.mark.slow  # starts real daemons and SSH sessions: several seconds

ROUTER = Router(name="ams-pe1", pop="Amsterdam", role=RouterRole.EDGE, vendor=Vendor.OPENCONFIG,
                loopback="10.255.0.3", driver="netconf")


def _config(sites: list[tuple[str, int, int]]) -> RenderedConfig:
    """ietf XML for sites given as (name, vlan, n)."""
    atts = [AccessAttachment(site=name, tenant="acme", router=ROUTER.name, port="eth1", vlan=vlan,
                             ipv4=f"10.1.{n}.0/31", ipv6=f"2001:db8:1:{n}::/127", rate_down_bps=10**8,
                             rate_up_bps=10**8, internet=True) for name, vlan, n in sites]
    return render("ietf", build_device_intents([ROUTER], atts)[ROUTER.name])


OLD = _config([("Amsterdam Office", 103, 3)])
NEW = _config([("Amsterdam Office", 103, 3), ("Amsterdam Warehouse", 104, 5)])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dev_netconf_server.NetconfServer]:
    reason = dev_netconf_server.unavailable_reason()
    if reason:
        pytest.skip(reason)
    srv = dev_netconf_server.start(tmp_path_factory.mktemp("netconfd"))
    yield srv
    srv.stop()


@pytest.fixture
def driver(server: dev_netconf_server.NetconfServer) -> Iterator[NetconfDriver]:
    drv = NetconfDriver(ROUTER.name, **server.driver_args(), confirm_timeout_s=60)  # type: ignore[arg-type]
    # every test starts from OLD in running
    drv.prepare(OLD)
    drv.commit()
    drv.confirm()
    yield drv
    drv.close()


def _fresh(server: dev_netconf_server.NetconfServer) -> NetconfDriver:
    return NetconfDriver(ROUTER.name, **server.driver_args())  # type: ignore[arg-type]


def test_prepare_commit_confirm_lands_in_running(driver: NetconfDriver, server) -> None:
    assert driver.verify(OLD) and not driver.verify(NEW)
    driver.prepare(NEW)
    assert driver.verify(OLD), "prepare only touches the candidate"
    driver.commit()
    driver.confirm()
    other = _fresh(server)
    try:
        assert other.verify(NEW), "another session sees the committed config"
        names = [i[0] for i in canonical_interfaces(other.running_config())]
        assert names == ["eth1.103", "eth1.104"]
    finally:
        other.close()


def test_rollback_after_commit_cancels_the_confirmed_commit(driver: NetconfDriver) -> None:
    driver.prepare(NEW)
    driver.commit()
    assert driver.verify(NEW)
    driver.rollback()
    assert driver.verify(OLD)


def test_rollback_after_prepare_discards_the_candidate(driver: NetconfDriver) -> None:
    driver.prepare(NEW)
    driver.rollback()
    driver.prepare(OLD)  # the candidate lock was released
    driver.commit()
    driver.confirm()
    assert driver.verify(OLD)


def test_the_server_refuses_an_invalid_value_and_nothing_changes(driver: NetconfDriver) -> None:
    bad = replace(NEW, text=NEW.text.replace("<prefix-length>31</prefix-length>",
                                             "<prefix-length>99</prefix-length>", 1))
    with pytest.raises(DeviceError, match="edit-config failed"):
        driver.prepare(bad)
    assert driver.verify(OLD)
    driver.prepare(NEW)  # not left locked
    driver.rollback()


def test_a_dead_orchestrator_session_is_reverted_by_the_server(driver: NetconfDriver, server) -> None:
    driver.prepare(NEW)
    driver.commit()  # confirmed commit, never confirmed
    driver.close()   # the session drops, as when the process is killed
    other = _fresh(server)
    try:
        assert other.verify(OLD), "RFC 6241 §8.4: an unconfirmed commit is reverted when its session ends"
    finally:
        other.close()


def test_transaction_rolls_back_the_netconf_router_when_another_fails(driver: NetconfDriver, store: Store) -> None:
    sim_old = RenderedConfig(vendor="junos", text="old\n")
    drivers = {ROUTER.name: driver, "par-pe1": SimDriver("par-pe1", initial=sim_old, fail_on="verify")}
    changes = [diff_configs(ROUTER.name, "ietf", OLD, NEW),
               diff_configs("par-pe1", "junos", sim_old, RenderedConfig(vendor="junos", text="new\n"))]
    result = DeviceTransaction(drivers, changes, StoreJournal(store)).run()
    assert result.state == "rolled_back" and result.phase == "verify"
    assert driver.verify(OLD)


def test_transaction_commits_and_confirms_then_recovery_has_nothing_to_do(driver: NetconfDriver, server,
                                                                          store: Store) -> None:
    result = DeviceTransaction({ROUTER.name: driver}, [diff_configs(ROUTER.name, "ietf", OLD, NEW)],
                               StoreJournal(store)).run()
    assert result.ok, result
    driver.close()
    other = _fresh(server)
    try:
        assert other.verify(NEW), "confirmed: survives the end of the session"
        assert recover(store, {ROUTER.name: other}) == []
        assert last_committed(store)[ROUTER.name] == NEW
    finally:
        other.close()


def test_drift_on_a_netconf_router_is_detected_and_reconciled(driver: NetconfDriver, server, store: Store) -> None:
    from unilink.devices.drift import detect, reconcile

    assert DeviceTransaction({ROUTER.name: driver}, [diff_configs(ROUTER.name, "ietf", OLD, NEW)],
                             StoreJournal(store)).run().ok
    assert detect(store, {ROUTER.name: driver}) == []
    intruder = _fresh(server)  # someone edits the router by hand
    try:
        intruder.prepare(_config([("Amsterdam Office", 103, 3), ("Amsterdam Warehouse", 104, 9)]))
        intruder.commit()
        intruder.confirm()
    finally:
        intruder.close()
    (drift,) = detect(store, {ROUTER.name: driver})
    assert "-interface eth1.104 type l2vlan enabled true description 'acme Amsterdam Warehouse' 10.1.9.0/31" \
        in drift.diff
    assert (drift.added, drift.removed) == (1, 1)
    drifts, result = reconcile(store, {ROUTER.name: driver})
    assert result is not None and result.ok
    assert driver.verify(NEW) and detect(store, {ROUTER.name: driver}) == []
