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
    "usage.alarm": "a site's traffic stayed above a share of its committed rate for a while (docs/usage.md)",
    "usage.cleared": "a site's usage alarm ended: its traffic stayed below the clear level for a while",
    "campaign.expired": "a campaign zone passed its deadline short of its target: refunds are owed",
    "invoice.issued": "a tenant's invoice of a month was issued (number, month, total; docs/invoices.md)",
    "invoice.credited": "a credit note corrected one of the tenant's invoices (its number, the invoice's, total)",
    **{name: f"TM Forum {api}: {what}" for name, api, what in (
        ("ServiceOrderCreateEvent", "TMF641", "a service order was created"),
        ("ServiceOrderStateChangeEvent", "TMF641", "a service order changed state"),
        ("ServiceOrderAttributeValueChangeEvent", "TMF641", "a service order's attributes changed"),
        ("CancelServiceOrderCreateEvent", "TMF641", "a cancellation of a service order was requested"),
        ("CancelServiceOrderStateChangeEvent", "TMF641", "a cancellation request changed state"),
        ("ServiceCreateEvent", "TMF638", "a service was created by a service order"),
        ("ServiceAttributeValueChangeEvent", "TMF638", "a service was changed by a service order"),
        ("ServiceDeleteEvent", "TMF638", "a service was removed by a service order"),
        ("ServiceSpecificationChangeEvent", "TMF633", "a service specification of the catalog changed"),
    )},
}
# TM Forum events go to their hubs' callbacks as the specs define them: the event itself is the body
# (eventId, eventTime, eventType, event), not unilink's envelope around it.
BARE_EVENT_TYPES = frozenset(name for name in EVENT_TYPES if name[0].isupper())


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    tenant: str | None  # None: operator-wide (only operator roles see it)
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        """The body a webhook receives: unilink's envelope, or a TM Forum event as it is."""
        return self.data if self.type in BARE_EVENT_TYPES else self.to_dict()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "tenant": self.tenant,
                "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"), "data": self.data}
