"""The device layer's entry points for the engine: push rendered configs, recover at start-up.

    changes = plan_changes(store, vendors, after)           # per-device diffs for a plan (dry run)
    changes, result = push_configs(store, routers, after)   # one journalled transaction
    recover_at_start(store, routers)                        # finish or undo what a crash left

`after` maps router name → `RenderedConfig` (from `render.render_for_router`). The config "before"
is what the store says the router runs: its last committed config (`journal.last_committed`).

Drivers come from each router's `driver` field unless given: `sim` routers share one `SimDriver`
per router name per process (so consecutive applies see each other's configs); `lab` routers go to
the LAB engineer's `LabDriver` on the running lab; `netconf` routers need connection details, which
only the caller has (pass `drivers=`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from unilink.devices.diff import DeviceChange, diff_all
from unilink.devices.drivers.base import BoundDriver, DeviceDriver
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import StoreJournal, last_committed
from unilink.devices.render import RenderedConfig
from unilink.devices.transaction import (
    DEFAULT_TIMEOUT_S,
    DeviceTransaction,
    RecoveryOutcome,
    TransactionResult,
    recover,
)
from unilink.errors import ValidationError
from unilink.inventory.model import Router
from unilink.store.db import Store

_SIM_DEVICES: dict[str, SimDriver] = {}
_SIM_LOCK = threading.Lock()


def sim_driver(router: str) -> SimDriver:
    """The process-wide simulated router of this name (created on first use)."""
    with _SIM_LOCK:
        if router not in _SIM_DEVICES:
            _SIM_DEVICES[router] = SimDriver(router)
        return _SIM_DEVICES[router]


def reset_sim_devices() -> None:
    """Forget every simulated router (tests)."""
    with _SIM_LOCK:
        _SIM_DEVICES.clear()


def default_drivers(routers: Iterable[Router]) -> dict[str, DeviceDriver]:
    drivers: dict[str, DeviceDriver] = {}
    lab_driver = None
    for router in routers:
        if router.driver == "sim":
            drivers[router.name] = sim_driver(router.name)
        elif router.driver == "lab":
            if lab_driver is None:
                from unilink.devices.drivers.lab import LabDriver  # only when a lab router is touched

                lab_driver = LabDriver()
            drivers[router.name] = BoundDriver(lab_driver, router.name)
        else:
            raise ValidationError("no default driver for this router", field=f"router[{router.name}].driver",
                                  value=router.driver,
                                  accepted="sim or lab (netconf routers need drivers= with their connection)")
    return drivers


def plan_changes(store: Store, vendors: Mapping[str, str], after: Mapping[str, RenderedConfig]) -> list[DeviceChange]:
    """Per-device diffs between what the store says each router runs and `after` (routers that change)."""
    return diff_all(last_committed(store), after, vendors)


def push_configs(store: Store, routers: Mapping[str, Router], after: Mapping[str, RenderedConfig], *,
                 drivers: Mapping[str, DeviceDriver] | None = None, actor: str = "unilink", reason: str = "",
                 plan_id: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
                 ) -> tuple[list[DeviceChange], TransactionResult]:
    """Push `after` to every router whose config changes, as one journalled transaction."""
    unknown = sorted(set(after) - set(routers))
    if unknown:
        raise ValidationError("unknown router", field="after", value=unknown[0], accepted="a router of the network")
    changes = plan_changes(store, {name: str(r.vendor) for name, r in routers.items()}, after)
    if drivers is None:
        drivers = default_drivers(routers[c.router] for c in changes)
    result = DeviceTransaction(drivers, changes, StoreJournal(store), actor=actor, reason=reason, plan_id=plan_id,
                               timeout_s=timeout_s).run()
    return changes, result


def recover_at_start(store: Store, routers: Iterable[Router], *,
                     drivers: Mapping[str, DeviceDriver] | None = None) -> list[RecoveryOutcome]:
    """Finish or undo every transaction a previous process left unfinished."""
    journal = StoreJournal(store)
    pending = journal.unfinished()
    if not pending:
        return []
    if drivers is None:
        wanted = {s.router for entry in pending for s in entry.steps}
        drivers = default_drivers(r for r in routers if r.name in wanted)
    return recover(journal, drivers)
