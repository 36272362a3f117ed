"""An event as a plain value, and the event types others publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

EVENT_TYPES: dict[str, str] = {
    "order.stateChanged": "an order moved to another TMF641 state (acknowledged, inProgress, completed, ...)",
    "change.planned": "a plan was computed for a tenant's intent",
    "change.applied": "a plan was applied: the network now runs the new intent version",
    "change.failed": "applying a plan failed and was rolled back",
    "change.reverted": "a tenant's intent was restored to an earlier version",
    "capacity.alarm": "a backbone link or interconnect crossed a utilisation threshold",
    "drift.detected": "a device's running configuration differs from what the store says it should be",
    "webhook.test": "a test event sent on request to check a webhook receiver",
    "campaign.reached": "a campaign zone reached its target of confirmed pledges (once per zone)",
    "campaign.designed": "the connection of a reached campaign zone was designed (candidates and the best one)",
    "campaign.design_infeasible": "no candidate connection of a reached campaign zone is feasible (the bottleneck)",
    "campaign.ordered": "the backhaul of a reached campaign zone was ordered (the plan and its orders)",
    "campaign.expired": "a campaign zone passed its deadline short of its target: refunds are owed",
}


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    tenant: str | None  # None: operator-wide (only operator roles see it)
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "tenant": self.tenant,
                "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"), "data": self.data}
