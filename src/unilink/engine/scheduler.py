"""Time-driven changes: boosts that end, scheduled windows that open and close.

`run_due(store, now)` looks at every tenant with boosts or schedules. A tenant is due when the rates
in force now differ from those its routers were configured with, or when a boost or one-off schedule
is over (it is then dropped from the intent: a new version, by "scheduler"), or when recurring
windows need booking further ahead. Each due tenant gets a plan made and applied by the engine, as
any change would: capacity for the windows was already held in the calendar when the boost or
schedule was applied, so firing them never fails for lack of capacity.

Called by `unilink scheduler run-once` and by the background loop of `unilink serve`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from unilink.engine.admission import SCHEDULE_HORIZON, rates_at
from unilink.engine.core import apply as apply_plan
from unilink.engine.core import aware, latest_intent, plan
from unilink.errors import UnilinkError
from unilink.events import changes as change_events
from unilink.services.intent import Intent
from unilink.store.tables.services import DeploymentRow
from unilink.store.tables.tenancy import Tenant

ACTOR = "scheduler"
log = logging.getLogger(__name__)
ROLL_AFTER = SCHEDULE_HORIZON - timedelta(days=1)  # re-book recurring windows a day before the horizon


@dataclass(frozen=True, slots=True)
class Fired:
    tenant: str
    plan_id: str | None
    reason: str
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "plan_id": self.plan_id, "reason": self.reason, "error": self.error}


def _without_finished(document: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The intent minus boosts that ended and one-off schedules that are over."""
    doc = dict(document)
    doc["boosts"] = [b for b in document.get("boosts", []) if datetime.fromisoformat(b["until"]) > now]
    doc["schedules"] = [s for s in document.get("schedules", [])
                        if not (s.get("until") and datetime.fromisoformat(s["until"]) <= now)]
    return doc


def due_reason(deployed: Intent, updated_at: datetime, now: datetime) -> str | None:
    if not deployed.boosts and not deployed.schedules:
        return None
    if rates_at(deployed, now) != rates_at(deployed, updated_at):
        return "rates change"
    if any(b.until <= now for b in deployed.boosts):
        return "boost over"
    if any(s.until is not None and s.until <= now for s in deployed.schedules):
        return "schedule over"
    if any(s.every for s in deployed.schedules) and now - updated_at >= ROLL_AFTER:
        return "book recurring windows ahead"
    return None


def run_due(store: Any, now: datetime | None = None) -> list[Fired]:
    """Fire what is due at `now` for every tenant; one tenant's failure does not stop the others."""
    now = now or store.clock.now()
    with store.session() as session:
        rows = session.execute(select(Tenant.name, DeploymentRow.document, DeploymentRow.updated_at)
                               .join(DeploymentRow, DeploymentRow.tenant_id == Tenant.id)
                               .order_by(Tenant.name)).all()
    fired: list[Fired] = []
    for tenant, document, updated_at in rows:
        if not document.get("boosts") and not document.get("schedules"):
            continue
        reason = due_reason(Intent.model_validate(document), aware(updated_at), now)  # type: ignore[arg-type]
        if reason is None:
            continue
        change = None
        try:
            desired = _without_finished(latest_intent(store, tenant) or document, now)
            change = plan(store, tenant, desired, now=now, actor=ACTOR)
            # time-driven: boosts end, windows open; what the intent removes was confirmed when it was applied
            result = apply_plan(store, change.id, ACTOR, reason, now=now, action="scheduler", confirm_removals=True)
            fired.append(Fired(tenant, change.id, reason))
        except UnilinkError as exc:
            fired.append(Fired(tenant, None, reason, str(exc)))
            if change is not None:  # planned but not applied: the tenant hears of it like any failed change
                change_events.apply_failed(store, tenant, change.id, exc.message)
            continue
        # a boost returning, a window opening: state changes, published like any other apply
        change_events.applied(store, result.to_dict())
    return fired


def run_forever(store: Any, stop: threading.Event, interval_s: float = 30.0) -> None:
    """The background loop for `unilink serve`: `run_due` every `interval_s` until `stop` is set.

    Start it in a daemon thread; a failure of one round is logged and the loop goes on.
    """
    while not stop.is_set():
        try:
            for fired in run_due(store):
                log.info("scheduler: %s: %s → %s", fired.tenant, fired.reason, fired.plan_id or fired.error)
        except Exception:  # the loop must outlive a bad round (a database restart, say)
            log.exception("scheduler round failed")
        stop.wait(interval_s)
