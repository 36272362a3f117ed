"""Field work as orders (TMF641 state names), and what completing one does.

Orders for a site's backup line (kind new-backup / backup-change, site `<site>:backup`) follow the
same lifecycle; completing one installs the line under the site's "backup" entry.

Lifecycle: acknowledged → inProgress → completed | failed | cancelled, with held and pending as
pauses. Completing an order installs the ordered access in the tenant's physical state, then plans
and applies the tenant's latest intent: the logical part lands by itself once the line is there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from unilink.engine import runtime as rt
from unilink.engine.core import ApplyResult, latest_intent, plan
from unilink.engine.core import apply as apply_plan
from unilink.errors import ConflictError, NotFoundError, ValidationError
from unilink.services.order_states import CLOSED_STATES, TRANSITIONS
from unilink.store import orders_repo

# Called in the order's own transaction with (session, the order as it is now): the application
# service records its events there (they commit, or roll back, with the transition).
OnMoved = Callable[[Any, dict[str, Any]], None]
# Applies the follow-up plan of a completion: (plan id, reason) → the result (default: the engine's apply).
ApplyFollowUp = Callable[[str, str], ApplyResult]

# the states an order ends in, as the plain strings the order rows hold
CLOSED_STATE_NAMES = tuple(sorted(state.value for state in CLOSED_STATES))


def order_dict(row: Any, tenant: str) -> dict[str, Any]:
    return {"id": row.id, "tenant": tenant, "state": row.state, "kind": row.kind, "site": row.site,
            "description": row.description, "lead_time_days": row.lead_time_days,
            "requested_at": row.requested_at.isoformat(),
            "due_at": row.due_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
            "plan_id": row.plan_id, "item": row.item}


def list_orders(store: Any, tenant: str | None = None, *, open_only: bool = False) -> list[dict[str, Any]]:
    with store.session() as session:
        rows = orders_repo.orders(session, tenant, closed_states=CLOSED_STATE_NAMES if open_only else None)
        return [order_dict(row, name) for row, name in rows]


def get_order(store: Any, order_id: str) -> dict[str, Any]:
    """One order (NotFoundError when there is none)."""
    with store.session() as session:
        row, tenant = _order(session, order_id)
        return order_dict(row, tenant)


def set_order_state(store: Any, order_id: str, state: str, actor: str, *, now: datetime | None = None,
                    on_moved: OnMoved | None = None) -> dict[str, Any]:
    """Move an order along its lifecycle (not to completed: use `complete_order`)."""
    now = now or store.clock.now()
    with store.session(write=True) as session:
        row, tenant = _order(session, order_id)
        _check_transition(row, state)
        if state == "completed":
            raise ValidationError("use complete_order to complete an order", field="state", value=state,
                                  accepted=", ".join(s for s in TRANSITIONS[row.state] if s != "completed"))
        row.state, row.updated_at = state, now
        orders_repo.add_history(session, tenant_id=row.tenant_id, at=now, actor=actor, reason=f"order {state}",
                                action="order", plan_id=row.plan_id, summary={"order": order_id, "state": state})
        moved = order_dict(row, tenant)
        if on_moved is not None:
            on_moved(session, moved)
        return moved


def complete_order(store: Any, order_id: str, actor: str, *, now: datetime | None = None,
                   on_moved: OnMoved | None = None, apply_follow_up: ApplyFollowUp | None = None
                   ) -> ApplyResult | None:
    """The line is in: record it, then apply the tenant's latest intent (None if nothing to do).

    `on_moved` runs in the completion's transaction; `apply_follow_up` applies the follow-up plan."""
    now = now or store.clock.now()
    with rt.LOCK, store.session(write=True) as session:
        row, tenant = _order(session, order_id)
        _check_transition(row, "completed")
        row.state, row.updated_at = "completed", now
        item = row.item
        installed = {"technology": item["access"]["technology"], "provider": item["access"].get("provider", "on-net"),
                     "port": item["access"]["port"], "pop": item["pop"]}
        deployment = orders_repo.deployment(session, row.tenant_id, now)
        deployment.physical = _installed_into(deployment.physical, item, installed)
        deployment.revision += 1  # plans made before the line existed are stale
        orders_repo.add_history(session, tenant_id=row.tenant_id, at=now, actor=actor,
                                reason=f"order {order_id} done", action="order-completed", plan_id=row.plan_id,
                                summary={"order": order_id, "site": row.site, "installed": installed})
        if on_moved is not None:
            on_moved(session, order_dict(row, tenant))
        rt.forget(store)
    desired = latest_intent(store, tenant)
    if desired is None:
        return None
    follow_up = plan(store, tenant, desired, now=now, actor=actor)
    if follow_up.is_empty:
        return None
    reason = f"order {order_id} completed"
    if apply_follow_up is not None:
        return apply_follow_up(follow_up.id, reason)
    # the latest intent's removals were confirmed when it was applied: the rest of it lands now
    return apply_plan(store, follow_up.id, actor, reason, now=now, action="order-completed", confirm_removals=True)


def _installed_into(physical: dict[str, Any], item: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
    """The tenant's physical state with the ordered line installed, under its site's entry.

    A backup line goes under the site's "backup" key; a primary line keeps the backup that is
    there (the two are installed and replaced independently).
    """
    site = item["name"]
    entry = dict(physical.get(site) or {})
    if item.get("role") == "backup":
        entry["backup"] = line
    else:
        entry = {**line, **({"backup": entry["backup"]} if "backup" in entry else {})}
    return {**physical, site: entry}


def _order(session: Any, order_id: str) -> tuple[Any, str]:
    found = orders_repo.order(session, order_id)
    if found is None:
        raise NotFoundError("no such order", field="order_id", value=order_id, accepted="an id from `unilink orders`")
    return found


def _check_transition(row: Any, state: str) -> None:
    allowed = TRANSITIONS.get(row.state, ())
    if state not in allowed:
        raise ConflictError(f"order {row.id} is {row.state}", field="state", value=state,
                            accepted=", ".join(allowed) or "nothing: the order is closed")
