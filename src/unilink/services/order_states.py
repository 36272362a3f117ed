"""The states of a service order (TMF641 names), in one place.

Lifecycle: acknowledged → inProgress → completed | failed | cancelled, with held and pending as
pauses. `OPEN_STATES` are those an order can still leave; `CLOSED_STATES` those it ends in.
The database's CHECK constraint, the engine's transitions, the portal and the API all read these.
"""

from __future__ import annotations

from enum import StrEnum


class OrderState(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    HELD = "held"
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


CLOSED_STATES: frozenset[OrderState] = frozenset({OrderState.COMPLETED, OrderState.FAILED, OrderState.CANCELLED})
OPEN_STATES: frozenset[OrderState] = frozenset(OrderState) - CLOSED_STATES
# Every state in lifecycle order (for CHECK constraints and documentation).
ALL_STATES: tuple[str, ...] = tuple(state.value for state in OrderState)
# What an order may move to from each open state (a closed state moves nowhere).
TRANSITIONS: dict[OrderState, tuple[OrderState, ...]] = {
    OrderState.ACKNOWLEDGED: (OrderState.IN_PROGRESS, OrderState.HELD, OrderState.PENDING, OrderState.CANCELLED,
                              OrderState.FAILED),
    OrderState.IN_PROGRESS: (OrderState.COMPLETED, OrderState.FAILED, OrderState.HELD, OrderState.PENDING,
                             OrderState.CANCELLED),
    OrderState.HELD: (OrderState.IN_PROGRESS, OrderState.CANCELLED),
    OrderState.PENDING: (OrderState.IN_PROGRESS, OrderState.CANCELLED),
}


def is_open(state: str) -> bool:
    return state not in CLOSED_STATES
