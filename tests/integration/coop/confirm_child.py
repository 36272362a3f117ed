"""Run by the threshold test in a process of its own: wait for the start file, then confirm one pledge
through the use case (the zone may reach its target here, and design and order its connection).

    python confirm_child.py DB_URL TOKEN START_FILE      (CHILD_NOW: the test's frozen instant)

Says it is ready with START_FILE.<pid>.ready; prints the confirmation's result as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from unilink.clock import FrozenClock
from unilink.store.db import Store
from unilink.usecases import campaigns


def main(url: str, token: str, start: str) -> int:
    store = Store.open(url, migrate=False, clock=FrozenClock(datetime.fromisoformat(os.environ["CHILD_NOW"])))
    store.load_network()  # connect (and warm up) before the start: the confirmations then meet at once
    Path(f"{start}.{os.getpid()}.ready").touch()
    deadline = time.monotonic() + 30
    while not Path(start).exists():
        if time.monotonic() > deadline:
            return 3
        time.sleep(0.002)
    print(json.dumps(campaigns.confirm_pledge(store, token)))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
