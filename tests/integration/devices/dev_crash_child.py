"""A process that runs one device transaction and hangs in it, to be killed by the recovery test.

usage: dev_crash_child.py DB_URL STATE_DIR HANG_ROUTER HANG_OPERATION
The routers r0..r4 are sim devices whose running configs live in STATE_DIR (so they outlive this
process); HANG_ROUTER blocks in HANG_OPERATION until the parent kills us with SIGKILL.
"""

from __future__ import annotations

import sys

from unilink.devices.diff import diff_configs
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import StoreJournal
from unilink.devices.render import RenderedConfig
from unilink.devices.transaction import DeviceTransaction
from unilink.store.db import Store

OLD = RenderedConfig(vendor="junos", text="set interfaces ge-0/0/1 unit 101 shaping-rate 100000000\n")
NEW = RenderedConfig(vendor="junos", text="set interfaces ge-0/0/1 unit 101 shaping-rate 10000000\n")
ROUTERS = [f"r{i}" for i in range(5)]


def main(db_url: str, state_dir: str, hang_router: str, hang_on: str) -> None:
    store = Store.open(db_url)
    drivers = {r: SimDriver(r, state_dir=state_dir, initial=OLD,
                            hang_on=hang_on if r == hang_router else None) for r in ROUTERS}
    changes = [diff_configs(r, "junos", OLD, NEW) for r in ROUTERS]
    DeviceTransaction(drivers, changes, StoreJournal(store), tx_id="tx-killed", timeout_s=3600).run()


if __name__ == "__main__":
    main(*sys.argv[1:5])
