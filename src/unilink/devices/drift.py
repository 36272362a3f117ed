"""Drift: routers whose running config differs from what the store says they should run.

The store's word is the last committed config per router (`journal.last_committed`, written by every
successful `DeviceTransaction`). `detect` reads each router's running config through its driver
and reports the routers that differ, with a unified diff (running → expected). `reconcile` pushes
the expected configs back as one ordinary transaction (journalled, all or nothing) — on request
only: drift is reported first, never silently overwritten (the diffsync shape: diff, then sync).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from unilink.devices.diff import DeviceChange, unified_diff
from unilink.devices.drivers.base import DeviceDriver, verify_config
from unilink.devices.drivers.netconf import interfaces_as_text
from unilink.devices.journal import StoreJournal, last_committed
from unilink.devices.render import RenderedConfig
from unilink.devices.transaction import TransactionResult, commit_changes
from unilink.store.db import Store


@dataclass(frozen=True, slots=True)
class Drift:
    router: str
    expected: RenderedConfig
    running: str
    diff: str            # unified diff: running → expected (what reconcile would do)
    added: int
    removed: int
    error: str | None = None  # the router could not be read

    def to_dict(self) -> dict[str, object]:
        return {"router": self.router, "added": self.added, "removed": self.removed, "diff": self.diff,
                "error": self.error}


def detect(store: Store, drivers: Mapping[str, DeviceDriver], routers: Iterable[str] | None = None) -> list[Drift]:
    """Every router (with a driver and a committed config) whose running config is not the expected one."""
    expected = last_committed(store)
    wanted = sorted(set(routers) if routers is not None else set(expected))
    drifts: list[Drift] = []
    for router in wanted:
        if router not in expected or router not in drivers:
            continue
        driver = drivers[router]
        try:
            running = driver.running_config()
            if verify_config(driver, expected[router]):
                continue
        except Exception as exc:  # an unreachable router is reported, not fatal to the others
            drifts.append(Drift(router=router, expected=expected[router], running="", diff="", added=0, removed=0,
                                error=str(exc) or type(exc).__name__))
            continue
        expected_text = expected[router].full_text()
        if expected[router].vendor == "ietf":  # NETCONF: compare content, not the server's formatting
            running, expected_text = interfaces_as_text(running), interfaces_as_text(expected[router].text)
        text, added, removed = unified_diff(router, running, expected_text)
        drifts.append(Drift(router=router, expected=expected[router], running=running, diff=text,
                            added=added, removed=removed))
    return drifts


def reconcile(store: Store, drivers: Mapping[str, DeviceDriver], routers: Iterable[str] | None = None, *,
              actor: str = "unilink", reason: str = "reconcile drift", timeout_s: float = 30.0
              ) -> tuple[list[Drift], TransactionResult | None]:
    """Push the expected config to every drifted router (of `routers`), as one transaction."""
    drifts = [d for d in detect(store, drivers, routers) if d.error is None]
    if not drifts:
        return [], None
    changes = [DeviceChange(router=d.router, vendor=d.expected.vendor,
                            # what the router runs now, kept so that a failed reconcile puts it back
                            # (NETCONF routers revert through cancel-commit instead)
                            before=(RenderedConfig(vendor=d.expected.vendor, text=d.running)
                                    if d.expected.vendor != "ietf" else None),
                            after=d.expected, diff=d.diff, added=d.added, removed=d.removed) for d in drifts]
    result = commit_changes(changes, drivers, StoreJournal(store), actor=actor, reason=reason, timeout_s=timeout_s)
    return drifts, result
