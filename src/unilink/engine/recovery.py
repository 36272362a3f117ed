"""Start-up recovery of the engine's device transactions.

`recover_applies(store)` finishes or undoes every device transaction the journal shows unfinished,
with the drivers the engine itself pushes through (`engine.core.driver_factory`), so that a crash in
the middle of an apply leaves routers and database in agreement (see `devices.push.BoundJournal`:
an apply's entry still `preparing` is undone, since its database transaction never committed).
Run by `unilink serve` before it accepts requests, and by `unilink recover`.

Several processes on one database: run it where no apply is in flight (at start, before serving);
an entry another live process is pushing right now would be undone under its feet.
"""

from __future__ import annotations

from typing import Any

from unilink.devices.journal import StoreJournal
from unilink.devices.render import RenderedConfig
from unilink.devices.transaction import RecoveryOutcome, recover_entry
from unilink.engine import core
from unilink.engine import runtime as rt


def recover_applies(store: Any) -> list[RecoveryOutcome]:
    """Finish or undo every unfinished device transaction; the outcome of each, oldest first."""
    journal = StoreJournal(store)
    with rt.LOCK:  # no apply of this process runs meanwhile
        pending = journal.unfinished()
        if not pending:
            return []
        routers = {r.name: r for r in store.load_network().routers}
        outcomes = []
        for entry in pending:
            # a router gone from the inventory gets no driver: recover_entry reports it as failed
            drivers = {s.router: core.driver_factory(routers[s.router],
                                                     s.before or RenderedConfig(vendor=s.vendor, text=""))
                       for s in entry.steps if s.router in routers}
            outcomes.append(recover_entry(entry, journal, drivers))
        rt.forget(store)  # what the routers run may have changed: reload on the next use
        return outcomes
