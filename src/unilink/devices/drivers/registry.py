"""Drivers by name: a driver plugs in by registering a factory, and callers ask for it by name.

    register_driver("sim", sim_driver)       # done here: the simulated routers are always there
    factory = driver_for("sim")              # (router, running config) -> DeviceDriver
    drivers = drivers_for(routers, changes)  # one driver per changed router, from the configured name

A factory is called once per router and transaction with the router (its inventory entry) and the
config the store says it runs (what a simulated router starts from). The name the engine pushes
through comes from the environment, `UNILINK_DRIVER` (default `sim`), read at each push: a test or
a lab session selects a driver by setting it, never by patching a module global.

Other packages register their own drivers when they are loaded — the lab registers `lab` when
`unilink.lab` is imported — so the device layer never imports them (nornir's plugin register).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from unilink.devices.diff import DeviceChange
from unilink.devices.drivers.base import DeviceDriver
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.render import RenderedConfig
from unilink.errors import ValidationError
from unilink.inventory.model import Router

DriverFactory = Callable[[Router, RenderedConfig], DeviceDriver]

DRIVER_ENV = "UNILINK_DRIVER"
DEFAULT_DRIVER = "sim"

_FACTORIES: dict[str, DriverFactory] = {}
_LOCK = threading.Lock()


def register_driver(name: str, factory: DriverFactory, *, replace: bool = False) -> None:
    """Make `factory` the driver called `name`. A second registration of a name is refused unless
    `replace` (two plugins claiming one name is a mistake worth an error)."""
    with _LOCK:
        if name in _FACTORIES and not replace and _FACTORIES[name] is not factory:
            raise ValueError(f"a driver is already registered as {name!r}")
        _FACTORIES[name] = factory


def unregister_driver(name: str) -> None:
    """Forget the driver called `name` (tests that registered one of their own)."""
    with _LOCK:
        _FACTORIES.pop(name, None)


def registered_drivers() -> tuple[str, ...]:
    with _LOCK:
        return tuple(sorted(_FACTORIES))


def driver_for(name: str) -> DriverFactory:
    """The factory registered as `name`; a `ValidationError` naming the registered ones otherwise."""
    with _LOCK:
        factory = _FACTORIES.get(name)
    if factory is None:
        raise ValidationError("no device driver is registered under this name", field="driver", value=name,
                              accepted=", ".join(registered_drivers())
                              + " (the lab registers 'lab' when unilink.lab is imported)")
    return factory


def configured_driver_name() -> str:
    """The driver the engine pushes through: `UNILINK_DRIVER`, else `sim`."""
    return os.environ.get(DRIVER_ENV) or DEFAULT_DRIVER


def configured_driver() -> DriverFactory:
    return driver_for(configured_driver_name())


@contextmanager
def using_driver(name: str, factory: DriverFactory | None = None) -> Iterator[DriverFactory]:
    """Within the block, the engine pushes through the driver `name` (registered as `factory` when
    given, and the name's previous factory put back afterwards): how tests, benchmarks and scripts
    pick a driver.

        with using_driver("file-backed", file_backed(state_dir)):
            engine.apply(store, plan_id, "tester", "onboarding")
    """
    previous = os.environ.get(DRIVER_ENV)
    with _LOCK:
        previous_factory = _FACTORIES.get(name)
    if factory is not None:
        register_driver(name, factory, replace=True)
    os.environ[DRIVER_ENV] = name
    try:
        yield driver_for(name)
    finally:
        if previous is None:
            os.environ.pop(DRIVER_ENV, None)
        else:
            os.environ[DRIVER_ENV] = previous
        if factory is not None and previous_factory is not None:
            register_driver(name, previous_factory, replace=True)
        elif factory is not None:
            unregister_driver(name)


def drivers_for(routers: Mapping[str, Router], changes: Sequence[DeviceChange],
                factory: DriverFactory | None = None) -> dict[str, DeviceDriver]:
    """One driver per changed router, from `factory` (default: the configured driver), each told
    the config the router runs before the change (an empty one when nothing was managed yet)."""
    make = factory if factory is not None else configured_driver()
    return {c.router: make(routers[c.router], c.before or RenderedConfig(vendor=c.vendor, text=""))
            for c in changes}


def sim_driver(router: Router, running: RenderedConfig) -> DeviceDriver:
    """`sim`: a simulated router already running what the store says it runs."""
    return SimDriver(router.name, initial=running)


register_driver(DEFAULT_DRIVER, sim_driver)
