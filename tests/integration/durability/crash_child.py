"""Run by the crash tests in a process of their own: apply a plan, or recover, with file-backed sim routers.

    python crash_child.py apply   DB_URL STATE_DIR PLAN_ID HANG_ROUTER HANG_ON   (HANG_ON: an operation, or "slow")
    python crash_child.py recover DB_URL STATE_DIR

The routers are `SimDriver`s keeping their running config in STATE_DIR, so they outlive this process.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime

from unilink.clock import FrozenClock
from unilink.devices.drivers.registry import using_driver
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.render import RenderedConfig
from unilink.engine import apply
from unilink.engine.recovery import recover_applies
from unilink.inventory.model import Router
from unilink.store.db import Store

SLOW_S = 2.0  # HANG_ON "slow": that router takes this long for prepare and for commit, then succeeds


def file_backed(state_dir: str, hang_router: str | None = None, hang_on: str | None = None):  # type: ignore[no-untyped-def]
    def factory(router: Router, running: RenderedConfig) -> SimDriver:
        if router.name != hang_router:
            return SimDriver(router.name, state_dir=state_dir, initial=running)
        if hang_on == "slow":
            return SimDriver(router.name, state_dir=state_dir, initial=running, latency_s=SLOW_S)
        return SimDriver(router.name, state_dir=state_dir, initial=running, hang_on=hang_on)
    return factory


def main(argv: list[str]) -> int:
    command, url, state_dir = argv[0], argv[1], argv[2]
    # the test's frozen instant: the plan it made must not look expired in this process
    store = Store.open(url, clock=FrozenClock(datetime.fromisoformat(os.environ["CRASH_CHILD_NOW"])))
    if command == "apply":
        plan_id, hang_router, hang_on = argv[3], argv[4], argv[5]
        print("applying", flush=True)
        with using_driver("crash-file-backed", file_backed(state_dir, hang_router, hang_on)):
            apply(store, plan_id, "crash-test", "killed mid-push")
        print("applied", flush=True)  # unless the test killed us while a router hangs
        return 0
    if command == "recover":
        with using_driver("crash-file-backed", file_backed(state_dir)):  # the routers as the dead process left them
            outcomes = recover_applies(store)
        print(json.dumps([{"id": o.id, "decision": o.decision, "routers": list(o.routers), "errors": o.errors}
                          for o in outcomes]), flush=True)
        return 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
