"""Time-driven changes: boosts that end, scheduled windows that open and close — when a tenant is due.

A tenant is due when the rates in force now differ from those its routers were configured with, or
when a boost or one-off schedule is over (it is then dropped from the intent: a new version, by
"scheduler"), or when recurring windows need booking further ahead. `due_changes(store, now)` lists
them with the document to plan; the application service (`unilink.usecases.scheduled_changes`) plans
and applies each one as any change would: capacity for the windows was already held in the calendar
when the boost or schedule was applied, so firing them never fails for lack of capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from unilink.engine.admission import SCHEDULE_HORIZON, rates_at
from unilink.engine.core import latest_intent
from unilink.services.intent import Intent
from unilink.store import deployed_repo

ACTOR = "scheduler"
ROLL_AFTER = SCHEDULE_HORIZON - timedelta(days=1)  # re-book recurring windows a day before the horizon


@dataclass(frozen=True, slots=True)
class Fired:
    tenant: str
    plan_id: str | None
    reason: str
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "plan_id": self.plan_id, "reason": self.reason, "error": self.error}


@dataclass(frozen=True, slots=True)
class Due:
    """A tenant the scheduler must change now, why, and the deployed document it starts from."""

    tenant: str
    reason: str
    deployed: dict[str, Any]
    since: datetime  # when it fell due: the order in which what was missed fires


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


def due_since(deployed: Intent, updated_at: datetime, now: datetime) -> datetime:
    """When the tenant fell due: the earliest boost or schedule end passed since its routers were last
    configured; `updated_at` otherwise (a window edge, the roll of recurring windows)."""
    ends = [b.until for b in deployed.boosts if updated_at < b.until <= now]
    ends += [s.until for s in deployed.schedules if s.until is not None and updated_at < s.until <= now]
    return min(ends, default=updated_at)


def due_changes(store: Any, now: datetime) -> list[Due]:
    """Every tenant due at `now`, in the order they fell due (then by name): after a restart, what
    was missed while everything was down fires oldest first."""
    with store.session() as session:
        rows = deployed_repo.deployments(session)
    due = []
    for tenant, document, updated_at in rows:
        if not document.get("boosts") and not document.get("schedules"):
            continue
        intent = Intent.model_validate(document)
        reason = due_reason(intent, updated_at, now)
        if reason is not None:
            due.append(Due(tenant, reason, document, due_since(intent, updated_at, now)))
    return sorted(due, key=lambda d: (d.since, d.tenant))


def desired_now(store: Any, due: Due, now: datetime) -> dict[str, Any]:
    """The document to plan for a due tenant: its latest intent less what is over."""
    return _without_finished(latest_intent(store, due.tenant) or due.deployed, now)
