"""A router reached over NETCONF gets the ietf rendering everywhere: plan, push, drift, history.

The engine runs against a network where paris-pe1 has `driver: netconf` (vendor junos); the other
routers stay Junos CLI. The routers are simulated, but the one behind paris-pe1 refuses anything
that is not ietf XML, as the real netconf driver does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from engine_helpers import go
from engine_world import NOW, acme, prepare, small_network

from unilink.devices.drift import detect
from unilink.devices.drivers.base import DeviceError
from unilink.devices.drivers.registry import using_driver
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import StoreJournal, last_committed
from unilink.devices.render import RenderedConfig, dialect
from unilink.engine import apply, plan
from unilink.engine.plan_views import plan_view
from unilink.inventory.model import Network, Router
from unilink.store.db import Store

NETCONF_ROUTER = "paris-pe1"


class IetfOnly(SimDriver):
    """A simulated NETCONF router: like NetconfDriver, it takes ietf XML only."""

    def prepare(self, config: RenderedConfig) -> None:
        if config.vendor != "ietf":
            raise DeviceError(self.router, f"the netconf driver pushes ietf XML, not {config.vendor!r}")
        super().prepare(config)


def _network() -> Network:
    net = small_network()
    routers = [replace(r, driver="netconf") if r.name == NETCONF_ROUTER else r for r in net.routers]
    return replace(net, routers=routers)


@pytest.fixture
def pushed() -> Iterator[dict[str, SimDriver]]:
    drivers: dict[str, SimDriver] = {}

    def factory(router: Router, running: RenderedConfig) -> SimDriver:
        cls = IetfOnly if router.driver == "netconf" else SimDriver
        drivers[router.name] = cls(router.name, initial=running)
        return drivers[router.name]

    with using_driver("test-ietf-only", factory):  # the engine pushes through it, by name
        yield drivers


@pytest.fixture
def netconf_store(store: Store, pushed: dict[str, SimDriver]) -> Iterator[Store]:
    prepare(store)
    store.replace_network(_network())
    yield store


def test_dialect_follows_the_driver() -> None:
    by_name = {r.name: r for r in _network().routers}
    assert dialect(by_name[NETCONF_ROUTER]) == "ietf"
    assert dialect(by_name["lyon-pe1"]) == "junos"


def test_the_plan_shows_the_ietf_rendering(netconf_store: Store) -> None:
    made = plan(netconf_store, "acme", acme(), now=NOW, accesses_installed=True)
    diff = plan_view(made.content, diffs=True)["devices"][NETCONF_ROUTER]["diff"]
    assert "<interfaces" in diff and "ietf-interfaces" in diff
    assert "set interfaces" not in diff, "a NETCONF router's plan is not Junos set lines"
    assert "set interfaces" in plan_view(made.content, diffs=True)["devices"]["lyon-pe1"]["diff"]


def test_push_sends_ietf_and_history_records_it(netconf_store: Store, pushed: dict[str, SimDriver]) -> None:
    result = go(netconf_store, "acme", acme(), NOW, accesses_installed=True)
    assert NETCONF_ROUTER in result.routers
    running = pushed[NETCONF_ROUTER].running_config()
    assert running.lstrip().startswith("<") and "ietf-interfaces" in running
    committed = last_committed(netconf_store)
    assert committed[NETCONF_ROUTER].vendor == "ietf" and committed["lyon-pe1"].vendor == "junos"
    (entry,) = StoreJournal(netconf_store).recent(plan_id=result.plan_id)
    vendors = {step.router: step.vendor for step in entry.steps}
    assert vendors[NETCONF_ROUTER] == "ietf" and vendors["lyon-pe1"] == "junos"


def test_drift_compares_the_ietf_rendering(netconf_store: Store, pushed: dict[str, SimDriver]) -> None:
    go(netconf_store, "acme", acme(), NOW, accesses_installed=True)
    drivers: dict[str, Any] = dict(pushed)
    assert detect(netconf_store, drivers, [NETCONF_ROUTER]) == []
    device = drivers[NETCONF_ROUTER]
    tampered = device.running_config().replace("acme", "hands-on")
    device.prepare(RenderedConfig(vendor="ietf", text=tampered))
    device.commit()
    (drift,) = detect(netconf_store, drivers, [NETCONF_ROUTER])
    assert drift.expected.vendor == "ietf"
    assert "+interface" in drift.diff and "-interface" in drift.diff  # ietf interfaces compared, not set lines


def test_a_later_change_still_plans_and_applies_in_ietf(netconf_store: Store, pushed: dict[str, SimDriver]) -> None:
    go(netconf_store, "acme", acme(), NOW, accesses_installed=True)
    doc = acme()
    doc["services"][0]["rate"] = "600M"
    made = plan(netconf_store, "acme", doc, now=NOW)
    for router, change in made.content["devices"].items():
        assert ("set " in change["diff"]) == (router != NETCONF_ROUTER), router
    apply(netconf_store, made.id, "tester", "rate", now=NOW)
