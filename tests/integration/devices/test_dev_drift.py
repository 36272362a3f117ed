"""Drift: detect routers whose running config left what the store says, then reconcile on request."""

from __future__ import annotations

from unilink.devices.diff import diff_configs
from unilink.devices.drift import detect, reconcile
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import StoreJournal
from unilink.devices.render import RenderedConfig
from unilink.devices.transaction import DeviceTransaction
from unilink.store.db import Store

EXPECTED = RenderedConfig(vendor="frr", text="interface eth1\n description acme HQ\n",
                          shell=(("tc", "qdisc", "replace", "dev", "eth1", "root", "tbf", "rate", "10000000bit"),))
TAMPERED = RenderedConfig(vendor="frr", text="interface eth1\n description acme HQ\n",
                          shell=(("tc", "qdisc", "replace", "dev", "eth1", "root", "tbf", "rate", "99000000bit"),))


def _deployed(store: Store) -> dict[str, SimDriver]:
    drivers = {r: SimDriver(r) for r in ("pe1", "pe2", "pe3")}
    changes = [diff_configs(r, "frr", None, EXPECTED) for r in drivers]
    assert DeviceTransaction(drivers, changes, StoreJournal(store)).run().ok
    return drivers


def test_no_drift_right_after_a_transaction(store: Store) -> None:
    assert detect(store, _deployed(store)) == []


def test_a_hand_change_is_reported_with_its_diff_and_changes_nothing(store: Store) -> None:
    drivers = _deployed(store)
    drivers["pe2"].prepare(TAMPERED)  # someone changed pe2 behind our back
    drivers["pe2"].commit()
    (drift,) = detect(store, drivers)
    assert drift.router == "pe2" and (drift.added, drift.removed) == (1, 1)
    assert "-tc qdisc replace dev eth1 root tbf rate 99000000bit" in drift.diff
    assert "+tc qdisc replace dev eth1 root tbf rate 10000000bit" in drift.diff
    assert drivers["pe2"].running_config() == TAMPERED.full_text(), "detection alone never fixes anything"


def test_reconcile_puts_the_drifted_router_back_in_one_transaction(store: Store) -> None:
    drivers = _deployed(store)
    drivers["pe3"].prepare(TAMPERED)
    drivers["pe3"].commit()
    drifts, result = reconcile(store, drivers, actor="noc", reason="drift")
    assert [d.router for d in drifts] == ["pe3"]
    assert result is not None and result.ok and result.routers == ("pe3",)
    assert drivers["pe3"].running_config() == EXPECTED.full_text()
    assert detect(store, drivers) == []
    assert reconcile(store, drivers) == ([], None)


def test_an_unreachable_router_is_reported_not_fatal(store: Store) -> None:
    drivers = _deployed(store)

    class Down(SimDriver):
        def running_config(self) -> str:
            raise OSError("connection refused")

    drivers["pe1"] = Down("pe1")
    drifts = detect(store, drivers)
    assert [(d.router, d.error) for d in drifts] == [("pe1", "connection refused")]
