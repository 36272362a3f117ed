"""Run by the outbox test in a process of its own: apply a plan through the service, and be SIGKILLed
by the kernel right after the change's commit, before the outbox is delivered.

    python outbox_child.py DB_URL PLAN_ID      (OUTBOX_CHILD_NOW: the test's frozen instant)
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from typing import Any

from unilink.clock import FrozenClock
from unilink.store.db import Store
from unilink.usecases import plan_applying


def _die_instead_of_delivering(_store: Any) -> int:
    """Called where the service delivers, i.e. after the commit: the process ends here, unannounced."""
    os.kill(os.getpid(), signal.SIGKILL)
    return 0  # never reached


def main(url: str, plan_id: str) -> int:
    store = Store.open(url, clock=FrozenClock(datetime.fromisoformat(os.environ["OUTBOX_CHILD_NOW"])))
    plan_applying.deliver_pending = _die_instead_of_delivering  # type: ignore[assignment]
    plan_applying.apply_plan(store, plan_id, actor="alice", reason="more bandwidth")
    return 3  # the kill did not happen: the test fails on this exit code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
