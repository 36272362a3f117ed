"""Stage 6, commit: book exactly the plan's capacity and pool values, then push its configs to every
router in one device transaction (prepare all → commit all → verify; any failure rolls back all).

Runs under the engine's write lock, in the apply's database transaction and inside the ledger's
`atomic()`: a refusal anywhere (a reservation gone, a pool value taken, a router saying no) leaves
the ledger, the tables and the routers as they were. All device pushing of the engine is
`push_devices` (one call of `devices.transaction.commit_changes`, the one commit path).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from unilink.devices.diff import config_diff
from unilink.devices.drivers.registry import drivers_for
from unilink.devices.push import BoundJournal
from unilink.devices.render import RenderedConfig
from unilink.devices.transaction import commit_changes
from unilink.engine import holds
from unilink.engine import runtime as rt
from unilink.engine.change_plan import Plan, RouterChange
from unilink.engine.devices import TenantDevices, pushed_changes
from unilink.engine.ports import ChangeStore
from unilink.engine.stages.rendering import config_sha
from unilink.errors import ConflictError, InfeasibleError

Pushes = dict[str, tuple[str, RenderedConfig, str]]  # router → (config before, config after, diff)


class PushesMoved(Exception):
    """Another process changed the routers' configs between the journal entry and the lock: retry."""


@dataclass(frozen=True, slots=True)
class Committed:
    routers: tuple[str, ...]                       # the routers whose config changed
    new_reservations: tuple[tuple[str, int], ...]  # (stored booking key, reservation id) booked


def commit(session: Any, runtime: rt.Runtime, tenant_id: int, plan: Plan, devices: TenantDevices,
           configs: Mapping[str, RenderedConfig] | None, journal: BoundJournal | None, changes: ChangeStore, *,
           actor: str, reason: str) -> Committed:
    """Capacity, then pool values (flushed: a clash stops us before any router), then the routers."""
    holds.on_apply(session, runtime, tenant_id)  # the tenant's hold becomes the bookings below
    booked = _book_capacity(session, runtime, tenant_id, plan, changes)
    _book_allocations(session, runtime, tenant_id, plan, changes)
    routers = push_devices(session, runtime, plan, devices, configs, journal, actor=actor, reason=reason)
    return Committed(tuple(routers), tuple(booked))


def _book_capacity(session: Any, runtime: rt.Runtime, tenant_id: int, plan: Plan, changes: ChangeStore
                   ) -> list[tuple[str, int]]:
    ledger, graph = runtime.ledger, runtime.graph
    for rid in plan.release:
        if rid not in ledger:
            raise ConflictError(f"plan {plan.id} is stale: reservation {rid} is gone", field="plan_id", value=plan.id)
        ledger.release(rid)
    if plan.release:
        changes.delete_reservations(session, list(plan.release))
    rows: list[dict[str, Any]] = []
    for booking in plan.bookings:
        key = booking.key.stored()
        for link, direction, bps in booking.arcs:
            rows.append({"tenant_id": tenant_id, "service": key, "link": link, "direction": direction,
                         "bps": bps, "start_at": booking.start, "end_at": booking.end, "hold_expires_at": None,
                         "priority": 0})
    ids = _insert_reservations(session, rows, changes)
    for r, rid in zip(rows, ids, strict=True):
        arc = graph.arc_id(r["link"], r["direction"])
        try:
            ledger.reserve({arc: r["bps"]}, service_id=f"{tenant_id}/{r['service']}", start=r["start_at"],
                           end=r["end_at"], reservation_id=rid)
        except InfeasibleError as exc:
            raise InfeasibleError(f"plan {plan.id} no longer fits: {exc.message}; make a new plan",
                                  details=exc.details) from None
    return [(r["service"], rid) for r, rid in zip(rows, ids, strict=True)]


def _insert_reservations(session: Any, rows: list[dict[str, Any]], changes: ChangeStore) -> list[int]:
    """Insert `rows`; their ids, in the rows' order.

    One batched INSERT … RETURNING: asking SQLAlchemy for the parameters' order costs one statement
    per row on SQLite. The returned rows are matched back by (service, link, direction), unique
    within a plan (identical rows, if any, are interchangeable).
    """
    if not rows:
        return []
    by_key: dict[tuple[str, str, str], list[int]] = {}
    for rid, service, link, direction in sorted(changes.insert_reservations(session, rows)):
        by_key.setdefault((service, link, direction), []).append(int(rid))
    return [by_key[(r["service"], r["link"], r["direction"])].pop(0) for r in rows]


def _book_allocations(session: Any, runtime: rt.Runtime, tenant_id: int, plan: Plan, changes: ChangeStore) -> None:
    changes.release_allocations(session, [a.key.as_tuple() for a in plan.released_allocations])
    changes.add_allocations(session, tenant_id, [(*a.key.as_tuple(), a.value) for a in plan.new_allocations])
    for a in plan.released_allocations:
        runtime.allocated(a.key.pool, a.key.scope, a.key.owner, None)
    for a in plan.new_allocations:
        runtime.allocated(a.key.pool, a.key.scope, a.key.owner, a.value)
    try:
        changes.flush(session)
    except changes.RowClash as exc:
        raise ConflictError(f"plan {plan.id} is stale: a resource it allocates was taken; make a new plan",
                            field="plan_id", value=plan.id) from exc


def planned_pushes(runtime: rt.Runtime, plan: Plan, devices: TenantDevices,
                   configs: Mapping[str, RenderedConfig] | None) -> Pushes:
    """What the apply pushes: router → (config now, config after, diff).

    `configs`: the plan's rendered configs when this process made it (None: rendered again from the
    device inputs, deterministic, and checked against the plan's `after_sha`). A shared router that
    another tenant changed since the plan is rendered again (this tenant's lines are the planned ones;
    the others' are what the router runs now), and so is one whose text differs (new software).
    """
    model = runtime.devices
    assert model is not None
    planned: dict[str, RouterChange] = dict(plan.devices)
    moved = {r for r, change in planned.items() if config_sha(model.configs.get(r, "")) != change.before_sha}
    if configs is None:
        configs = _render_again(runtime, plan, devices)
        moved |= {r for r, change in planned.items() if change.after_sha is not None
                  and config_sha(configs[r].full_text()) != change.after_sha}
    if moved:
        fresh = model.render_routers(sorted(moved), {plan.tenant: devices})
        configs = {**configs, **fresh}
        for r in sorted(moved):
            planned[r] = RouterChange(config_diff(r, model.configs.get(r, ""), fresh[r].full_text()))
    return {router: (model.configs.get(router, ""), configs[router], change.diff)
            for router, change in planned.items() if change.diff}


def _render_again(runtime: rt.Runtime, plan: Plan, devices: TenantDevices) -> dict[str, RenderedConfig]:
    planned = plan.devices
    if planned and all(change.rendered is not None for change in planned.values()):  # saved before the hashes
        return {r: RenderedConfig.from_dict(dict(change.rendered or {})) for r, change in planned.items()}
    assert runtime.devices is not None
    return runtime.devices.render_routers(planned, {plan.tenant: devices}) if planned else {}


def push_devices(session: Any, runtime: rt.Runtime, plan: Plan, devices: TenantDevices,
                 configs: Mapping[str, RenderedConfig] | None, journal: BoundJournal | None, *, actor: str,
                 reason: str) -> list[str]:
    """Push the plan's configs in one journalled device transaction (all routers or none), then keep
    them as the routers' configs in the device model; the routers changed."""
    model = runtime.devices
    assert model is not None
    pushes = planned_pushes(runtime, plan, devices, configs)
    journaled = {r: (before, after.full_text()) for r, (before, after, _) in pushes.items()}
    if pushes and (journal is None or not journal.expects(journaled)):
        raise PushesMoved(sorted(pushes))
    if pushes:
        assert journal is not None
        journal.bind(session)  # its `done` commits with this apply, or not at all
        changes = pushed_changes(model.routers, pushes)
        # the configured driver (`UNILINK_DRIVER`, default sim), by name from the registry
        commit_changes(changes, drivers_for(model.routers, changes), journal, actor=actor, reason=reason,
                       plan_id=plan.id, tx_id=journal.id).raise_for_failure()
    # The journal's `done` (in this session) recorded the pushed configs as the routers' committed ones.
    changed = sorted(pushes)
    for r in changed:
        model.configs[r] = pushes[r][1].full_text()
    model.set_tenant(plan.tenant, devices)
    return changed
