"""Start-up recovery of the engine's device transactions.

`recover_applies(store)` finishes or undoes every device transaction the journal shows unfinished,
with the driver the engine itself pushes through (the configured one, `devices.drivers.registry`), so that a crash in
the middle of an apply leaves routers and database in agreement (see `devices.push.BoundJournal`:
an apply's entry still `preparing` is undone, since its database transaction never committed).
Run by `unilink serve` before it accepts requests, and by `unilink recover`.

Recovery takes the engine's lock (the same as `apply`), so an apply in flight in another process
is never undone under its feet: an entry still `preparing` once the lock is ours belongs to an apply
that died, failed (and is settling it: undoing twice is harmless), or has not taken the lock yet
(nothing pushed: undoing is a no-op on the routers). Transactions of the device layer used directly
(`devices.push.push_configs`, not the engine) take no such lock: recover those at start only.
"""

from __future__ import annotations

from typing import Any

from unilink.devices.drivers.registry import configured_driver
from unilink.devices.journal import StoreJournal
from unilink.devices.render import RenderedConfig
from unilink.devices.transaction import RecoveryOutcome, recover_entry
from unilink.engine import core
from unilink.engine import runtime as rt


def recover_applies(store: Any) -> list[RecoveryOutcome]:
    """Finish or undo every unfinished device transaction; the outcome of each, oldest first."""
    journal = StoreJournal(store)
    if not journal.unfinished():  # the common case, without taking the lock
        return []
    routers = {r.name: r for r in store.load_network().routers}
    with rt.LOCK, store.session(write=True) as session:  # no apply runs meanwhile, in any process
        core._lock(session)
        outcomes = []
        factory = configured_driver()
        for entry in journal.unfinished():  # read again: what an apply in flight left is settled now
            # a router gone from the inventory gets no driver: recover_entry reports it as failed
            drivers = {s.router: factory(routers[s.router], s.before or RenderedConfig(vendor=s.vendor, text=""))
                       for s in entry.steps if s.router in routers}
            outcomes.append(recover_entry(entry, _InSession(journal, session), drivers))  # type: ignore[arg-type]
    rt.forget(store)  # the lock moved the engine's sequence; reload on the next use
    return outcomes


class _InSession:
    """The journal, writing in the session that holds the engine's lock (SQLite: the only writer)."""

    def __init__(self, journal: StoreJournal, session: Any) -> None:
        self.journal, self.session = journal, session

    def finish(self, tx_id: str, state: str, **details: Any) -> None:
        self.journal.finish_in(self.session, tx_id, state, **details)
