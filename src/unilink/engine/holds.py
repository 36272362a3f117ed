"""Plan holds: a plan holds the capacity and pool values it needs until it is applied, cancelled or expires.

Without holds, two plans made at once both saw the same free bit/s and the same lowest free VLAN,
VNI or /31: the second apply failed with "a resource it allocates was taken" although a plan made a
moment later would have fitted. As in ESnet OSCARS' held reservations, a plan now books what it
needs as a *hold* in the ledger (it counts against capacity for every other plan) and keeps its pool
values out of every other plan's reach, so concurrent plans never collide; applying it releases the
hold and books the same bit/s for good, which always fits.

Rules (docs/admission.md):
- **One holding plan per tenant.** The newest plan of a tenant holds; making another releases the
  hold of the previous one (which stays valid: applying it re-admits it against the ledger, and it
  may then no longer fit). So planning cannot hoard capacity: a tenant holds at most one change.
- **A hold is the change's extra need.** What the tenant already books and the plan releases counts
  towards what the plan books (an upgrade from 500M to 800M holds 300M), so that a plan that fits
  can always be held.
- **Holds end** when the plan is applied (every plan of the tenant is stale then), cancelled, expires
  (`PLAN_LIFETIME`, with the plan: a hold's `hold_until` is the plan's expiry), or the backbone
  changes (every plan is stale).
- The holding plan is flagged in the database (`plans.holds`, with the hold in its content), so a
  process that reloads its runtime holds the same. Within one process holds are exact; a plan made by
  another process is seen when this one next reloads (after any apply): until then the apply-time
  admission still refuses what no longer fits (never oversold).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unilink.engine import runtime as rt
from unilink.engine.change_plan import Plan
from unilink.errors import ConflictError, InfeasibleError, NotFoundError
from unilink.network.ledger import Reservation, to_seconds
from unilink.store import change_repo, holds_repo

Session = Any  # an open store session

MAX_HOLDING_PLANS_PER_TENANT = 1  # the newest plan holds; see the module doc


@dataclass(slots=True)
class Held:
    plan_id: str
    expires_at: datetime
    reservations: list[Reservation]  # the capacity holds, as booked in the ledger
    pools: list[tuple[str, str, str, int]]  # (pool, scope, placeholder owner, value) kept in runtime.pools


def _placeholder(plan_id: str, owner: str) -> str:
    """The owner a held pool value is kept under: never a real owner (those are "<tenant>/…")."""
    return f"~hold:{plan_id}|{owner}"


def _arc(runtime: rt.Runtime, link: str, direction: str) -> int:
    return runtime.graph.arc_id(link, direction)


def hold_arcs(runtime: rt.Runtime, plan: Plan) -> list[list[Any]]:
    """[link, direction, bit/s, start, end] the plan must hold: its bookings less what it releases.

    A released reservation counts towards a booking on the same arc only if its window covers the
    booking's, and each released bit/s counts once: so at every instant, holds + the tenant's current
    reservations ≥ what the plan books, and the apply always fits where the hold did.
    """
    ledger = runtime.ledger
    credit: dict[int, list[list[Any]]] = {}  # arc → [[start, end, bit/s left], …] of released reservations
    for rid in plan.release:
        if rid in ledger:
            old = ledger.get(rid)
            for arc, bps in old.arc_bps:
                credit.setdefault(arc, []).append([old.start, old.end, bps])
    out = []
    for booking in plan.bookings:
        start = to_seconds(booking.start, default=0.0)
        end = to_seconds(booking.end, default=float("inf"))
        start_text, end_text = booking.start.isoformat(), booking.end.isoformat() if booking.end else None
        for link, direction, bps in booking.arcs:
            need = bps
            for entry in credit.get(_arc(runtime, link, direction), []):
                if need and entry[2] and entry[0] <= start and entry[1] >= end:
                    used = min(need, entry[2])
                    entry[2] -= used
                    need -= used
            if need:
                out.append([link, direction, need, start_text, end_text])
    return out


def _book(runtime: rt.Runtime, tenant_id: int, plan_id: str, expires_at: datetime, hold: dict[str, Any]) -> Held:
    """Book `hold` in the ledger and the pools (InfeasibleError, changing nothing, if it does not fit)."""
    ledger, booked = runtime.ledger, []
    for pool, scope, _owner, value in hold["pools"]:
        if value in runtime.pools.get((pool, scope), {}).values():
            raise InfeasibleError(f"pool {pool}: value {value} is taken", details={"pool": pool, "value": value})
    with ledger.atomic():
        for i, (link, direction, bps, start, end) in enumerate(hold["arcs"]):
            booked.append(ledger.reserve(
                {_arc(runtime, link, direction): int(bps)}, service_id=f"{tenant_id}/hold:{plan_id}",
                start=datetime.fromisoformat(start), end=datetime.fromisoformat(end) if end else None,
                hold_until=expires_at, reservation_id=f"hold:{plan_id}#{i}"))
    pools = []
    for pool, scope, owner, value in hold["pools"]:
        runtime.pools.setdefault((pool, scope), {})[_placeholder(plan_id, owner)] = value
        pools.append((pool, scope, _placeholder(plan_id, owner), value))
    held = Held(plan_id, expires_at, booked, pools)
    runtime.holds[tenant_id] = held
    return held


def take(runtime: rt.Runtime, tenant_id: int, plan: Plan, expires_at: datetime) -> dict[str, Any] | None:
    """Hold what `plan` books and allocates; the hold (the plan document's "hold"), None when nothing is held.

    Called under the engine lock right after the plan was computed on this ledger, with the tenant's
    previous hold set aside: the hold then always fits (if it ever did not, the plan holds nothing).
    """
    hold = {"arcs": hold_arcs(runtime, plan), "pools": [a.to_document() for a in plan.new_allocations]}
    if not hold["arcs"] and not hold["pools"]:
        return None
    try:
        _book(runtime, tenant_id, plan.id, expires_at, hold)
    except InfeasibleError:
        return None
    return hold


class HoldsMoved(Exception):
    """Another process applied or changed holds since this runtime saw them: sync and plan again."""


def save(store: Any, runtime: rt.Runtime, tenant_id: int, plan: Plan, now: datetime,
         expires_at: datetime, insert: Callable[[Any, dict[str, Any] | None], None]) -> bool:
    """Hold the plan and save it (`insert(connection, hold)`), checking under the engine's lock that
    no other process applied or changed holds since this runtime saw them. False when one did: the
    runtime was brought up to date (or dropped), nothing was saved, and the caller plans again."""
    holding = take(runtime, tenant_id, plan, expires_at)
    try:
        with store.connection(write=True) as connection:
            seq = holds_repo.lock(connection)
            theirs = {pid for pid, tid, expiry in holds_repo.holding_ids(connection)
                      if tid != tenant_id and expiry > now}
            mine = {h.plan_id for tid, h in runtime.holds.items() if tid != tenant_id}
            if seq != runtime.ledger_seq or theirs != mine:
                raise HoldsMoved
            holds_repo.release_before(connection, tenant_id, now)
            insert(connection, holding)
    except HoldsMoved:
        drop(runtime, tenant_id)
        if seq != runtime.ledger_seq:
            rt.forget(store)  # another process applied: the next attempt reloads everything
        else:
            with store.session() as session:
                for tid in list(runtime.holds):
                    drop(runtime, tid)
                load(session, runtime)
        return False
    return True


def _release(runtime: rt.Runtime, held: Held) -> None:
    for reservation in held.reservations:
        if reservation.id in runtime.ledger:
            runtime.ledger.release(reservation.id)
    for pool, scope, placeholder, _ in held.pools:
        runtime.pools.get((pool, scope), {}).pop(placeholder, None)


def drop(runtime: rt.Runtime, tenant_id: int) -> None:
    """Release the tenant's hold, if any (in the ledger's undo log when inside `atomic()`)."""
    held = runtime.holds.pop(tenant_id, None)
    if held is not None:
        _release(runtime, held)


def expire(runtime: rt.Runtime, now: datetime) -> None:
    """Release every hold whose plan has expired at `now`."""
    for tenant_id, held in list(runtime.holds.items()):
        if held.expires_at <= now:
            drop(runtime, tenant_id)


@contextmanager
def set_aside(runtime: rt.Runtime, tenant_id: int) -> Iterator[None]:
    """Without the tenant's own hold while its new plan is computed (only one of its plans can be
    applied: they do not compete); put back if the block raises, released for good otherwise."""
    held = runtime.holds.pop(tenant_id, None)
    if held is None:
        yield
        return
    _release(runtime, held)
    try:
        yield
    except BaseException:
        for r in held.reservations:
            runtime.ledger.reserve(r.arc_bps, service_id=r.service_id, start=r.start, end=r.end,
                                   hold_until=r.hold_until, reservation_id=r.id, check=False)
        for pool, scope, placeholder, value in held.pools:
            runtime.pools.setdefault((pool, scope), {})[placeholder] = value
        runtime.holds[tenant_id] = held
        raise


@contextmanager
def without_hold(runtime: rt.Runtime, tenant_id: int) -> Iterator[None]:
    """The ledger as if the tenant held nothing (read-only: every change is undone when the block ends)."""
    held = runtime.holds.get(tenant_id)
    with runtime.ledger.trial():
        for reservation in held.reservations if held is not None else ():
            if reservation.id in runtime.ledger:
                runtime.ledger.release(reservation.id)
        yield


def on_apply(session: Session, runtime: rt.Runtime, tenant_id: int) -> None:
    """An apply of the tenant: its hold ends (its plans are all stale after it), in memory and table."""
    drop(runtime, tenant_id)
    holds_repo.release_tenant(session, tenant_id)


def load(session: Session, runtime: rt.Runtime) -> None:
    """Hold again what the flagged plans hold (a runtime (re)load): those still current only — same
    backbone, same deployed revision. One that no longer fits is not held (its apply re-admits it)."""
    for plan_id, tenant_id, expires_at, content in holds_repo.holding_plans(session):
        hold, base = content.get("hold"), content["base"]
        if not hold or base["topology_version"] != runtime.topology_version:
            continue
        if (change_repo.deployed_revision(session, tenant_id) or 0) != base["revision"]:
            continue
        try:
            _book(runtime, tenant_id, plan_id, expires_at, hold)
        except InfeasibleError:
            continue


def cancel(store: Any, plan_id: str) -> dict[str, Any]:
    """Cancel a ready plan: it can no longer be applied, and what it holds is released."""
    with rt.LOCK, store.session(write=True) as session:
        found = change_repo.plan_status(session, plan_id)
        if found is None:
            raise NotFoundError("no such plan", field="plan_id", value=plan_id,
                                accepted="the id printed by `unilink plan`")
        status, tenant_id = found
        if not holds_repo.cancel(session, plan_id):
            raise ConflictError(f"plan {plan_id} is {status}: only a ready plan can be cancelled",
                                field="plan_id", value=plan_id, accepted="a plan that is ready")
        runtime = rt.runtime_for(store, session)
        held = runtime.holds.get(tenant_id)
        if held is not None and held.plan_id == plan_id:
            drop(runtime, tenant_id)
    return {"plan_id": plan_id, "status": "cancelled"}
