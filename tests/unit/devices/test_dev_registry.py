"""Drivers by name: register, look up, select for a block; the engine's choice comes from UNILINK_DRIVER."""

from __future__ import annotations

import pytest

from unilink.devices.diff import diff_configs
from unilink.devices.drivers.registry import (
    DRIVER_ENV,
    configured_driver_name,
    driver_for,
    drivers_for,
    register_driver,
    registered_drivers,
    sim_driver,
    unregister_driver,
    using_driver,
)
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.render import RenderedConfig
from unilink.errors import ValidationError
from unilink.inventory.model import Router, RouterRole, Vendor

PE1 = Router(name="pe1", pop="Paris", role=RouterRole.EDGE, vendor=Vendor.JUNOS, loopback="10.255.0.1")
OLD, NEW = RenderedConfig(vendor="junos", text="old\n"), RenderedConfig(vendor="junos", text="new\n")


@pytest.fixture(autouse=True)
def _no_configured_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DRIVER_ENV, raising=False)


def test_sim_is_always_there_and_the_default() -> None:
    assert "sim" in registered_drivers() and driver_for("sim") is sim_driver
    assert configured_driver_name() == "sim"


def test_an_unknown_name_is_refused_naming_the_registered_ones() -> None:
    with pytest.raises(ValidationError) as err:
        driver_for("nowhere")
    assert err.value.field == "driver" and err.value.value == "nowhere" and "sim" in str(err.value.accepted)


def test_a_name_is_claimed_once_unless_replaced() -> None:
    def mine(router: Router, running: RenderedConfig) -> SimDriver:
        return SimDriver(router.name, initial=running)

    register_driver("test-once", mine)
    try:
        register_driver("test-once", mine)  # the same factory again: harmless
        with pytest.raises(ValueError, match="already registered"):
            register_driver("test-once", sim_driver)
        register_driver("test-once", sim_driver, replace=True)
        assert driver_for("test-once") is sim_driver
    finally:
        unregister_driver("test-once")
    assert "test-once" not in registered_drivers()


def test_using_driver_selects_for_the_block_then_puts_everything_back() -> None:
    made: list[str] = []

    def recording(router: Router, running: RenderedConfig) -> SimDriver:
        made.append(router.name)
        return SimDriver(router.name, initial=running)

    with using_driver("sim", recording):  # even a registered name: its factory comes back afterwards
        assert configured_driver_name() == "sim" and driver_for("sim") is recording
        with using_driver("test-inner", recording):
            assert configured_driver_name() == "test-inner"
        assert configured_driver_name() == "sim"
        drivers_for({"pe1": PE1}, [diff_configs("pe1", "junos", OLD, NEW)])
    assert driver_for("sim") is sim_driver and "test-inner" not in registered_drivers()
    assert made == ["pe1"]


def test_drivers_for_tells_each_router_what_it_runs() -> None:
    with using_driver("sim"):
        drivers = drivers_for({"pe1": PE1}, [diff_configs("pe1", "junos", OLD, NEW)])
        fresh = drivers_for({"pe1": PE1}, [diff_configs("pe1", "junos", None, NEW)])
    assert drivers["pe1"].running_config() == "old\n"
    assert fresh["pe1"].running_config() == "", "nothing managed yet: an empty config"
