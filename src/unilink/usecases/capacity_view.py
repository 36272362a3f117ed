"""The capacity view of the live backbone: what share of each link direction is booked from now on.

The apply compares it before and after a change to raise capacity alarms (`events.alarms`); both
readings use the engine's runtime ledger, under the engine lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from unilink.engine import holds as engine_holds
from unilink.engine import runtime as rt
from unilink.events.alarms import utilisation

Shares = dict[tuple[str, str], float]  # (link, "ab"|"ba") → booked share 0.0 .. 1.0


def link_utilisation(store: Any, links: Iterable[str], *, now: datetime | None = None,
                     without_hold_of: int | None = None) -> Shares:
    """Booked share per direction of `links`; without tenant `without_hold_of`'s plan hold (the load as
    it was before that tenant's plan, which is what its apply changes)."""
    names = set(links)
    if not names:
        return {}
    when = now or store.clock.now()
    with rt.LOCK, store.session() as session:
        runtime = rt.runtime_for(store, session)
        if without_hold_of is None:
            return utilisation(runtime.graph, runtime.ledger, names, when)
        with engine_holds.without_hold(runtime, without_hold_of):
            return utilisation(runtime.graph, runtime.ledger, names, when)


def link_utilisation_in_apply(store: Any, session: Any, links: Iterable[str], now: datetime) -> Shares:
    """The same, inside an apply's write transaction (its after-apply hook): the ledger with the change
    booked. The apply holds the engine lock and has advanced the ledger sequence (`locked=True`)."""
    names = set(links)
    if not names:
        return {}
    runtime = rt.runtime_for(store, session, locked=True)
    return utilisation(runtime.graph, runtime.ledger, names, now)

