"""The interface every device driver implements, and the errors drivers raise.

A driver holds at most one pending change at a time:

    prepare(config)   load `config` as a candidate and validate it; the running config is unchanged
    commit()          make the candidate the running config
    rollback()        back to the running config as it was before `prepare` (after prepare: drop
                      the candidate; after commit: restore the previous config). Idempotent.
    running_config()  the running configuration as text (comparable with `RenderedConfig.full_text()`
                      for the sim and lab drivers; the datastore's XML for netconf)

Optional:
    verify(expected)  does the running config carry `expected`? Without it, `verify_config()` below
                      compares `running_config()` with `expected.full_text()`.
    confirm()         for drivers with a confirmed commit (NETCONF): called once every router of the
                      transaction is committed and verified; until then the device reverts on its own
                      if the orchestrator dies. `DeviceTransaction` calls it when present.

Why a Protocol: drivers are adapters written by different people (sim, netconf here; lab by the lab
engineer) and plug in without inheriting from anything (the nornir style).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from unilink.devices.render import RenderedConfig
from unilink.errors import UnilinkError


class DeviceError(UnilinkError):
    """A router refused or failed an operation; `field` names the router."""

    exit_code = 5

    def __init__(self, router: str, message: str) -> None:
        self.router = router
        super().__init__(message, field=f"router[{router}]")


class DeviceTimeout(DeviceError):
    """A router did not answer within the transaction's timeout."""


@runtime_checkable
class DeviceDriver(Protocol):
    router: str

    def prepare(self, config: RenderedConfig) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def running_config(self) -> str: ...


@runtime_checkable
class VerifyingDriver(DeviceDriver, Protocol):
    def verify(self, expected: RenderedConfig) -> bool: ...


@runtime_checkable
class ConfirmingDriver(DeviceDriver, Protocol):
    def confirm(self) -> None: ...


def verify_config(driver: DeviceDriver, expected: RenderedConfig) -> bool:
    """The driver's own `verify` when it has one, else: is the running text the expected text?"""
    own = getattr(driver, "verify", None)
    if own is not None:
        return bool(own(expected))
    return driver.running_config() == expected.full_text()


class MultiRouterDriver(Protocol):
    """A driver that serves many routers and takes the router as an argument (e.g. the lab's)."""

    def prepare(self, router: str, config: RenderedConfig) -> None: ...

    def commit(self, router: str) -> None: ...

    def rollback(self, router: str) -> None: ...

    def running_config(self, router: str) -> str: ...


class BoundDriver:
    """A `DeviceDriver` for one router of a `MultiRouterDriver`: `BoundDriver(lab_driver, "par-pe1")`."""

    def __init__(self, driver: MultiRouterDriver, router: str) -> None:
        self.driver = driver
        self.router = router

    def prepare(self, config: RenderedConfig) -> None:
        self.driver.prepare(self.router, config)

    def commit(self) -> None:
        self.driver.commit(self.router)

    def rollback(self) -> None:
        self.driver.rollback(self.router)

    def running_config(self) -> str:
        return self.driver.running_config(self.router)

    def verify(self, expected: RenderedConfig) -> bool:
        verify = getattr(self.driver, "verify", None)
        if verify is not None:
            return bool(verify(self.router, expected))
        return self.running_config() == expected.full_text()


def bind_all(driver: MultiRouterDriver, routers: list[str]) -> dict[str, DeviceDriver]:
    return {router: BoundDriver(driver, router) for router in routers}
