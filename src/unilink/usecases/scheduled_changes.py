"""The scheduler's use case: fire what is due (boosts ending, windows opening), each as a plan applied
like any other change — same history, same events (`plan_applying.apply_plan`).

Called by `unilink scheduler run-once` and by the background loop of `unilink serve` (`run_forever`),
which also delivers, every round, outbox rows another process left undelivered, and runs the
campaigns' round (`campaigns.run_due`: expiries, owed designs, the mail outbox).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from unilink.engine.scheduler import ACTOR, Due, Fired, desired_now, due_changes
from unilink.errors import ConflictError, InfeasibleError, UnilinkError
from unilink.events.outbox_delivery import deliver_pending
from unilink.store.locks import leader
from unilink.usecases import campaigns
from unilink.usecases.change_plans import plan_change
from unilink.usecases.plan_applying import apply_plan, record_failure

log = logging.getLogger(__name__)


SCHEDULER_LOCK = "scheduler"


def run_due(store: Any, now: datetime | None = None) -> list[Fired]:
    """Fire what is due at `now` for every tenant, oldest due first; one tenant's failure does not
    stop the others.

    One round at a time across every worker and machine (the database's advisory lock,
    store.locks.leader): a worker that finds another's round in progress skips its own, and the next
    round sees what that one fired as no longer due — so each change fires once. What fell due
    while every process was down is due at the first round after the restart."""
    now = now or store.clock.now()
    with leader(store, SCHEDULER_LOCK) as leading:
        if not leading:
            return []
        return [_fire(store, due, now) for due in due_changes(store, now)]


def _fire(store: Any, due: Due, now: datetime) -> Fired:
    change = None
    try:
        change = plan_change(store, due.tenant, desired_now(store, due, now), actor=ACTOR, now=now)
        # time-driven: boosts end, windows open; what the intent removes was confirmed when it was applied
        apply_plan(store, change.id, actor=ACTOR, reason=due.reason, now=now, action="scheduler",
                   confirm_removals=True)
    except UnilinkError as exc:
        # planned but refused other than stale/infeasible (apply_plan records those): the tenant hears of it
        if change is not None and not isinstance(exc, (ConflictError, InfeasibleError)):
            record_failure(store, due.tenant, change.id, exc.message, now=now)
        return Fired(due.tenant, None, due.reason, str(exc))
    return Fired(due.tenant, change.id, due.reason)


def run_forever(store: Any, stop: threading.Event, interval_s: float = 30.0) -> None:
    """The background loop for `unilink serve`: `run_due` every `interval_s` until `stop` is set.

    Start it in a daemon thread; a failure of one round is logged and the loop goes on.
    """
    while not stop.is_set():
        try:
            deliver_pending(store)  # what a process killed after its commit left behind
            for fired in run_due(store):
                log.info("scheduler: %s: %s → %s", fired.tenant, fired.reason, fired.plan_id or fired.error)
            # campaigns: zones past their deadline expire (refunds owed), reached zones nobody designed
            # are designed, and the mail outbox goes out (a pledge's own attempt may have failed)
            campaigns.run_due(store)
        except Exception:  # the loop must outlive a bad round (a database restart, say)
            log.exception("scheduler round failed")
        stop.wait(interval_s)
