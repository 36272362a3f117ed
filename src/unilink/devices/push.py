"""The device layer's entry points for the engine: push rendered configs, recover at start-up.

    changes = plan_changes(store, vendors, after)           # per-device diffs for a plan (dry run)
    changes, result = push_configs(store, routers, after)   # one journalled transaction
    recover_at_start(store, routers)                        # finish or undo what a crash left
    journal = BoundJournal.open(store, changes, ...)        # for a caller with its own DB transaction

`BoundJournal` is how the engine journals a push while it holds its database write lock (SQLite
allows one writer: a second connection writing the journal mid-apply would wait on the engine's
own lock). Its entry is written and committed *before* the caller takes that lock, in state
`preparing`; the transaction's `done` is written in the caller's session, so it commits together
with the caller's state or not at all. A crash or any failure before that commit leaves the entry
`preparing`, which `recover` always undoes: the routers and the database end up both old or both new.

`after` maps router name → `RenderedConfig` (from `render.render_for_router`). The config "before"
is what the store says the router runs: its last committed config (`journal.last_committed`).

Drivers come from each router's `driver` field unless given, by name from the registry
(`drivers.registry.driver_for`): `sim` routers get a `SimDriver` running their last committed
config; `lab` routers the lab's driver (registered when `unilink.lab` is imported); `netconf`
routers need connection details, which only the caller has (pass `drivers=`).
Every push goes through `transaction.commit_changes`, the one commit path.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from unilink.devices.diff import DeviceChange, diff_all
from unilink.devices.drivers.base import DeviceDriver
from unilink.devices.drivers.registry import driver_for, registered_drivers
from unilink.devices.journal import BOUND_STATE, StoreJournal, last_committed
from unilink.devices.render import RenderedConfig, dialect
from unilink.devices.transaction import (
    DEFAULT_TIMEOUT_S,
    RecoveryOutcome,
    TransactionResult,
    commit_changes,
    recover,
    recover_entry,
)
from unilink.errors import ValidationError
from unilink.inventory.model import Router
from unilink.store.db import Store


def default_drivers(routers: Iterable[Router], running: Mapping[str, RenderedConfig]) -> dict[str, DeviceDriver]:
    """Each router's driver by its inventory `driver` name, from the registry (`drivers.registry`),
    told the config `running` says it runs (an empty one when absent)."""
    drivers: dict[str, DeviceDriver] = {}
    for router in routers:
        if router.driver not in registered_drivers():
            raise ValidationError("no default driver for this router", field=f"router[{router.name}].driver",
                                  value=router.driver,
                                  accepted=f"a registered driver: {', '.join(registered_drivers())} (netconf "
                                           "routers need drivers= with their connection; the lab registers "
                                           "'lab' when unilink.lab is imported)")
        before = running.get(router.name) or RenderedConfig(vendor=dialect(router), text="")
        drivers[router.name] = driver_for(router.driver)(router, before)
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
    changes = plan_changes(store, {name: dialect(r) for name, r in routers.items()}, after)
    if drivers is None:
        drivers = default_drivers([routers[c.router] for c in changes],
                                  {c.router: c.before for c in changes if c.before is not None})
    result = commit_changes(changes, drivers, StoreJournal(store), actor=actor, reason=reason, plan_id=plan_id,
                            timeout_s=timeout_s)
    return changes, result


def recover_at_start(store: Store, routers: Iterable[Router], *,
                     drivers: Mapping[str, DeviceDriver] | None = None) -> list[RecoveryOutcome]:
    """Finish or undo every transaction a previous process left unfinished."""
    journal = StoreJournal(store)
    pending = journal.unfinished()
    if not pending:
        return []
    if drivers is None:
        before = {s.router: s.before for entry in pending for s in entry.steps if s.before is not None}
        wanted = {s.router for entry in pending for s in entry.steps}
        drivers = default_drivers([r for r in routers if r.name in wanted], before)
    return recover(journal, drivers)


class BoundJournal:
    """The journal of one device transaction whose outcome is its caller's database transaction.

    `open` commits the entry (state `preparing`, with the hashes of every router's config before and
    after) in a transaction of its own; call it before taking the write lock. Then, inside the caller's
    transaction: `bind(session)`, and run `DeviceTransaction(..., journal=this, tx_id=this.id)`.
    If the caller's transaction does not commit, call `settle(...)` afterwards.
    """

    def __init__(self, store: Store, tx_id: str, changes: Sequence[DeviceChange]) -> None:
        self.journal = StoreJournal(store)
        self.id = tx_id
        self.changes = tuple(changes)
        self.session: Any = None
        self.pushed = False           # the transaction started talking to routers
        self.outcome: tuple[str, dict[str, Any]] | None = None

    @classmethod
    def open(cls, store: Store, changes: Sequence[DeviceChange], *, actor: str, reason: str,
             plan_id: str | None) -> BoundJournal:
        tx_id = str(uuid.uuid4())
        # Compact: the undo target of a bound entry is the routers' committed config, which the caller's
        # database transaction replaces only together with the entry's `done` (see JournalStep).
        StoreJournal(store).begin(tx_id, changes, actor=actor, reason=reason, plan_id=plan_id, state=BOUND_STATE,
                                  compact=True)
        return cls(store, tx_id, changes)

    def expects(self, configs: Mapping[str, tuple[str, str]]) -> bool:
        """Does the entry hold exactly these pushes (router → (text before, text after))?"""
        journaled = {c.router: (c.before.full_text() if c.before is not None else "", c.after.full_text())
                     for c in self.changes}
        return journaled == dict(configs)

    def bind(self, session: Any) -> None:
        self.session = session

    # -- the Journal protocol, as DeviceTransaction uses it -----------------------------------------

    def begin(self, tx_id: str, changes: Sequence[DeviceChange], *, actor: str, reason: str,
              plan_id: str | None) -> None:
        if tx_id != self.id:
            raise ValueError(f"journal entry {self.id} bound, transaction {tx_id} given")
        self.pushed = True  # the entry itself was committed by `open`

    def record(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None) -> None:
        # Intermediate phases are not written: the caller holds the write lock, and recovery of a
        # `preparing` entry does not depend on them (it always undoes).
        return None

    def finish(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None,
               committed: Mapping[str, RenderedConfig] | None = None) -> None:
        details: dict[str, Any] = {"steps": steps, "errors": errors, "error": error, "committed": committed}
        self.outcome = (state, details)
        if state == "done" and self.session is not None:
            self.journal.finish_in(self.session, tx_id, state, **details)

    def unfinished(self) -> list[Any]:
        return []

    # -- after the caller's transaction failed -------------------------------------------------------

    def settle(self, drivers_for: Callable[[Sequence[str]], Mapping[str, DeviceDriver]], why: str) -> None:
        """The caller's database transaction did not commit: make the journal and the routers agree with it."""
        routers = [c.router for c in self.changes]
        if not self.pushed:
            self.journal.finish(self.id, "rolled_back", steps=dict.fromkeys(routers, "rolled_back"),
                                error=f"not pushed: {why}")
        elif self.outcome is not None and self.outcome[0] != "done":
            # the transaction already rolled every router back (or reported which it could not)
            state, details = self.outcome
            self.journal.finish(self.id, state, steps=details["steps"], errors=details["errors"],
                                error=details["error"])
        else:
            # the routers took the change but the database did not: undo them now, as recovery would
            entry = self.journal.get(self.id)
            if entry is not None:
                recover_entry(entry, self.journal, drivers_for(routers))
