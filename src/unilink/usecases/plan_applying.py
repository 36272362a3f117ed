"""Apply a plan, and record what the change tells the world, whoever asked for it.

In the apply's own transaction (the engine's `after_apply` hook): `change.applied`, an
`order.stateChanged` for every order the change raised (acknowledged) or made pointless (cancelled),
and a `capacity.alarm` for every link direction it pushed over the threshold. A refused apply
(stale, no longer fits) records `change.failed` instead, in a transaction of its own. Delivered from
the outbox once committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from unilink.engine import core as engine_core
from unilink.engine.core import ApplyResult
from unilink.errors import ConflictError, InfeasibleError
from unilink.events import change_events
from unilink.events.alarms import crossings
from unilink.events.outbox_delivery import deliver_pending
from unilink.usecases.capacity_view import link_utilisation, link_utilisation_in_apply
from unilink.usecases.change_listeners import tenant_changed


def apply_plan(store: Any, plan_id: str, *, actor: str, reason: str = "", confirm_removals: bool = False,
               now: datetime | None = None, action: str = "apply",
               also: Callable[[Any, ApplyResult], None] | None = None) -> ApplyResult:
    """Run exactly plan `plan_id` (see `engine.apply` for its refusals) and record its events.

    `also(session, result)`: the caller's own rows of the change (e.g. a subscription's state and
    addresses, usecases.memberships), written in the apply's transaction after its events: if it
    raises, nothing of the change lands, on the routers either."""
    now = now or store.clock.now()
    tenant, tenant_id, links = _plan_facts(store, plan_id)
    before = link_utilisation(store, links, now=now, without_hold_of=tenant_id)

    def record(session: Any, result: ApplyResult) -> None:
        change_events.applied(session, result.to_dict(), at=now)
        after = link_utilisation_in_apply(store, session, links, now)
        change_events.capacity_alarms(session, crossings(before, after), result.plan_id, at=now)
        if also is not None:
            also(session, result)

    try:
        result = engine_core.apply(store, plan_id, actor, reason, now=now, action=action,
                                   confirm_removals=confirm_removals, after_apply=record)
    except (ConflictError, InfeasibleError) as exc:
        record_failure(store, tenant, plan_id, exc.message, now=now)
        raise
    tenant_changed(store, tenant)
    deliver_pending(store)
    return result


def record_failure(store: Any, tenant: str, plan_id: str, reason: str, *, now: datetime) -> None:
    """A planned change that could not be applied (rolled back): the tenant hears of it."""
    with store.session(write=True) as session:
        change_events.apply_failed(session, tenant, plan_id, reason, at=now)
    deliver_pending(store)


def _plan_facts(store: Any, plan_id: str) -> tuple[str, int, set[str]]:
    """(tenant, tenant id, links the plan books on); NotFoundError as the apply would raise it."""
    with store.session() as session:
        head, planned = engine_core.load_plan(session, plan_id)
    return planned.tenant, head.tenant_id, planned.booked_links
