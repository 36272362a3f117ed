"""plan → apply: the change engine, as the orchestration of its stages (docs/architecture.md).

    plan(store, tenant, desired)      read the tenant's state → snapshot → validate → diff → admit →
                                      price → render → the typed Plan; saved (holding what it books),
                                      nothing else changes
    apply(store, plan_id, actor, why) under the engine lock: refuse a stale plan, commit exactly the
                                      plan's bookings, allocations and configs, record it all

The stages live in engine.stages, one module and one function each; the pure ones (validate →
render) read a frozen `PlanSnapshot` and do no I/O. This module does the reads and writes around
them, through the store's `ChangeStore` (engine.ports): it imports no SQL.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from unilink.devices.drivers.registry import drivers_for
from unilink.devices.push import BoundJournal
from unilink.devices.render import RenderedConfig
from unilink.engine import holds
from unilink.engine import runtime as rt
from unilink.engine.admission import rates_at
from unilink.engine.change_plan import Plan, PlanBase, PlannedAllocation
from unilink.engine.devices import TenantDevices, pushed_changes, tenant_devices
from unilink.engine.keys import PoolKey
from unilink.engine.plan_cache import CachedPlan, PlanCache
from unilink.engine.ports import ChangeStore
from unilink.engine.removals import check_confirmed
from unilink.engine.stages.admit import Admission, admit
from unilink.engine.stages.commit import Committed, PushesMoved, commit, planned_pushes
from unilink.engine.stages.diffing import IntentDiff, diff
from unilink.engine.stages.price import Priced, price
from unilink.engine.stages.record import ApplyContext, ApplyResult, record
from unilink.engine.stages.rendering import Rendering, config_sha, render
from unilink.engine.stages.snapshot import NOTHING_DEPLOYED, Deployed, PlanSnapshot
from unilink.engine.stages.validate import ValidIntent, validate
from unilink.engine.versions import check_base_of
from unilink.errors import ConflictError, InfeasibleError, NotFoundError, UnilinkError, ValidationError
from unilink.services.intent import Intent, load_intent_text, parse_intent, without_ended_boosts
from unilink.store import change_repo

__all__ = ["AfterApply", "ApplyResult", "PLAN_CACHE", "Plan", "apply", "history",
           "intent_version", "latest_intent", "plan", "revert", "status"]

PLAN_LIFETIME = timedelta(minutes=30)
_log = logging.getLogger(__name__)

changes: ChangeStore = change_repo  # type: ignore[assignment]  # the store's rows of the change path
PLAN_CACHE = PlanCache()  # the plans this process made recently (the plans table stays the reference)


AfterApply = Callable[[Any, ApplyResult], None]


def coerce_intent(desired: Intent | dict[str, Any] | str) -> Intent:
    if isinstance(desired, Intent):
        return desired
    if isinstance(desired, str):
        return load_intent_text(desired)
    return parse_intent(desired)


def fingerprint(tenant_id: int, revision: int, topology_version: int) -> str:
    return hashlib.sha256(f"{tenant_id}:{revision}:{topology_version}".encode()).hexdigest()[:32]


def _sha(text: str) -> str:
    return config_sha(text)


# -- plan -------------------------------------------------------------------------------------------


def plan(store: Any, tenant: str, desired: Intent | dict[str, Any] | str, *, now: datetime | None = None,
         actor: str = "unknown", accesses_installed: bool = False, base_version: int | None = None) -> Plan:
    """Compute the plan that would bring `tenant` to `desired`; save it; change nothing else.

    `accesses_installed=True` (operators only: onboarding an existing customer, the demo seed) takes
    every access of `desired` as physically in place, so no order is raised for field work.

    `base_version`: the intent version the document was made from (see engine.versions); a plan
    from an older one is refused (ConflictError naming the newer version), and so is its apply
    once another version was written.

    Raises ValidationError (bad document), NotFoundError (tenant), InfeasibleError (naming the
    bottleneck). The plan holds what it books and allocates (engine.holds) until it is applied,
    cancelled or expires, or the tenant makes a newer plan: nothing else is reserved.
    """
    now = now or store.clock.now()
    intent = coerce_intent(desired)
    with rt.LOCK:
        for _ in range(_JOURNAL_ATTEMPTS):
            with store.session() as session:
                tenant_row = changes.plan_context(session, tenant)
                if intent.tenant is not None and intent.tenant != tenant:
                    raise ValidationError("the document is for another tenant", field="tenant",
                                          value=intent.tenant, accepted=tenant)
                check_base_of(session, tenant, base_version)
                runtime = rt.runtime_for(store, session,
                                         versions=(int(tenant_row.topology or 0), int(tenant_row.seq)))
                holds.expire(runtime, now)
                with holds.set_aside(runtime, tenant_row.id):  # the tenant's own earlier plan does not compete
                    snapshot = _snapshot(session, runtime, tenant_row, now, accesses_installed)
                    made, cached = _run_stages(snapshot, intent, actor, base_version)
            saved = _save(store, runtime, tenant_row.id, made, now)
            if saved is not None:
                break
        else:
            raise ConflictError("other processes kept changing what is held while this plan was made; plan again",
                                field="tenant", value=tenant)
    PLAN_CACHE.put(replace(cached, plan=saved))
    return saved


def _snapshot(session: Any, runtime: rt.Runtime, tenant_row: Any, now: datetime, accesses_installed: bool
              ) -> PlanSnapshot:
    """What the stages read: the runtime's state (references, no copies) and the tenant's own rows."""
    assert runtime.devices is not None
    return PlanSnapshot(
        tenant=tenant_row.name, tenant_id=tenant_row.id, now=now, network=runtime.network, graph=runtime.graph,
        gateways=runtime.gateways, pops=runtime.pops, edge_router=runtime.edge_router,
        topology_version=runtime.topology_version, ledger=runtime.ledger,
        booked=runtime.keys.get(tenant_row.id, {}), pools=runtime.pools,
        tenant_pools=runtime.tenant_pools.get(tenant_row.name, {}), devices=runtime.devices,
        deployed=_deployed(session, tenant_row.id, tenant_row.revision, runtime),
        open_orders=changes.open_orders(session, tenant_row.id), accesses_installed=accesses_installed,
        member_lines=changes.member_lines(session, tenant_row.id))


def _run_stages(snapshot: PlanSnapshot, desired: Intent, actor: str, base_version: int | None
                ) -> tuple[Plan, CachedPlan]:
    """validate → diff → admit → price → render, then the plan they make (and what memory keeps of it)."""
    valid = validate(snapshot, desired)
    changed = diff(snapshot, valid)
    admission = admit(snapshot, changed)
    priced = price(snapshot, valid, changed)
    rendering = render(snapshot, changed, admission)
    made = assemble(snapshot, valid, changed, admission, priced, rendering, actor=actor, intent_base=base_version)
    return made, CachedPlan(made, changed.effective, rendering.devices, dict(rendering.configs),
                            priced.effective_quote)


def assemble(snapshot: PlanSnapshot, valid: ValidIntent, changed: IntentDiff, admission: Admission, priced: Priced,
             rendering: Rendering, *, actor: str = "unknown", intent_base: int | None = None,
             plan_id: str | None = None) -> Plan:
    """The typed plan of the stages' results (pure)."""
    now, deployed = snapshot.now, snapshot.deployed
    empty = (changed.changes.is_empty and not changed.new_orders and not changed.cancel_orders
             and not admission.books_services and not rendering.changes_routers)
    return Plan(
        id=plan_id or f"p-{now.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}", tenant=snapshot.tenant,
        fingerprint=fingerprint(snapshot.tenant_id, deployed.revision, snapshot.topology_version),
        created_at=now, empty=empty,
        base=PlanBase(deployed.revision, deployed.intent_version, snapshot.topology_version, intent_base),
        desired=valid.document, physical=changed.physical,
        effective=None if changed.pending is None else changed.effective_document,
        new_intent_version=changed.new_intent_version, changes=changed.changes.to_dict(), summary=changed.summary,
        pending=changed.pending.to_dict() if changed.pending is not None else None,
        orders=tuple(w.to_dict() for w in changed.works), new_orders=tuple(w.to_dict() for w in changed.new_orders),
        open_orders=tuple(sorted(snapshot.open_orders.values())), cancel_orders=changed.cancel_orders,
        removals=tuple(r.to_dict() for r in changed.removals), rename_hints=changed.rename_hints,
        release=admission.releases, bookings=tuple(b.planned(snapshot.graph) for b in admission.bookings),
        new_allocations=tuple(PlannedAllocation(PoolKey(a.pool, a.scope, a.owner), a.value)
                              for a in admission.new_allocations),
        released_allocations=tuple(PlannedAllocation(PoolKey(a.pool, a.scope, a.owner), a.value)
                                   for a in admission.released_allocations),
        devices=rendering.routers, price=priced.price.to_dict(), attachments=rendering.attachments, actor=actor)


def _save(store: Any, runtime: rt.Runtime, tenant_id: int, made: Plan, now: datetime) -> Plan | None:
    """Hold what the plan books and save it; the plan as saved (with its hold), None when another
    process moved the holds meanwhile (nothing saved: plan again)."""
    expires_at = now + PLAN_LIFETIME
    saved: list[Plan] = []

    def insert(connection: Any, hold: dict[str, Any] | None) -> None:
        held = replace(made, hold=hold)
        changes.insert_plan(connection, id=made.id, tenant_id=tenant_id, fingerprint=made.fingerprint,
                            content=held.content, status="ready", created_at=now, expires_at=expires_at,
                            holds=hold is not None)
        saved.append(held)
    try:  # the plan holds what it books and allocates until applied, cancelled or expired (engine.holds)
        return saved[-1] if holds.save(store, runtime, tenant_id, made, now, expires_at, insert) else None
    except BaseException:
        rt.forget(store)  # the runtime holds what the table does not
        raise


def _deployed(session: Any, tenant_id: int, revision: int | None, runtime: rt.Runtime | None = None) -> Deployed:
    """The tenant's deployed state at `revision` (None: nothing deployed), which the caller has just read;
    from the runtime's cache when it holds that revision."""
    cached = runtime.deployed.get(tenant_id) if runtime is not None else None
    if cached is not None and cached.revision == (revision or 0):
        return cached  # type: ignore[no-any-return]
    found = changes.deployment(session, tenant_id) if revision is not None else None
    if found is None:
        state = NOTHING_DEPLOYED
    else:
        revision_, intent_version_, document, physical, desired = found
        state = Deployed(revision_, intent_version_, Intent.model_validate(document), physical, desired)
    if runtime is not None:
        runtime.deployed[tenant_id] = state
    return state


# -- apply ------------------------------------------------------------------------------------------


def _lock(session: Any) -> None:
    """Take the engine's write lock (and advance the ledger sequence number by one).

    The UPDATE of the single engine_state row serialises every apply across processes: PostgreSQL
    holds the row lock until commit (as SELECT … FOR UPDATE would); SQLite already holds the write
    lock since BEGIN IMMEDIATE (`store.session(write=True)`).
    """
    changes.lock(session)


@dataclass(frozen=True, slots=True)
class _PlanHead:
    """A plan's columns and the state it must be checked against, read in one statement."""

    id: str
    tenant_id: int
    fingerprint: str
    status: str
    expires_at: datetime
    revision: int              # the tenant's deployed revision now
    topology_version: int      # the backbone's now
    ledger_seq: int            # the engine's sequence number now
    intent_version: int        # the tenant's latest intent version (0: none)


def load_plan(session: Any, plan_id: str) -> tuple[_PlanHead, Plan]:
    """The plan's head, and the plan (from memory when this process made it).

    One statement for everything an apply checks first: each one costs a round trip through the
    ORM, and an apply runs this twice (journal, then under the lock).
    """
    found = changes.plan_head(session, plan_id)
    if found is None:
        raise NotFoundError("no such plan", field="plan_id", value=plan_id,
                            accepted="the id printed by `unilink plan`")
    plan_id_, tenant_id, fingerprint_, status_, expires_at, revision, topology, seq, version = found
    head = _PlanHead(plan_id_, tenant_id, fingerprint_, status_, expires_at, int(revision or 0),
                     int(topology or 0), int(seq), int(version or 0))
    cached = PLAN_CACHE.get(plan_id)
    return head, cached.plan if cached is not None else Plan.from_document(changes.plan_content(session, plan_id))


def apply(store: Any, plan_id: str, actor: str = "unknown", reason: str = "", *, now: datetime | None = None,
          action: str = "apply", confirm_removals: bool = False, after_apply: AfterApply | None = None
          ) -> ApplyResult:
    """Run exactly plan `plan_id`: refuse it when stale, else commit (book, allocate, configure), record.

    `after_apply(session, result)` runs inside the apply's write transaction, after the history row
    is written and before the commit (what a change records beyond its history, e.g. an outbox, is
    written there with the same session); if it raises, the whole apply rolls back, routers included.

    ConflictError when the tenant or the topology changed since the plan was made, or the plan
    expired or was applied; InfeasibleError when capacity it needs was taken meanwhile;
    ValidationError (field confirm_removals) when it removes live sites, services or VPN members
    and `confirm_removals` is not given. In every refusal nothing changes.
    """
    now = now or store.clock.now()
    if len(reason) > 500:
        raise ValidationError("reason is too long", field="reason", value=len(reason), accepted="≤ 500 characters")
    try:
        with rt.LOCK:
            for _ in range(_JOURNAL_ATTEMPTS):
                journal = _journal_pushes(store, plan_id, now, actor, reason, confirm_removals)
                try:
                    with store.session(write=True) as session:
                        _lock(session)
                        head, planned = load_plan(session, plan_id)
                        _check_fresh(head, planned, now)
                        # reloaded if another process applied
                        runtime = rt.runtime_for(store, session, locked=True,
                                                 versions=(head.topology_version, head.ledger_seq))
                        context = ApplyContext(head.tenant_id, head.intent_version, actor, reason, action, now)
                        result = _apply_locked(session, runtime, planned, context, journal)
                        if after_apply is not None:  # same transaction: its rows commit with the change or not at all
                            after_apply(session, result)
                        runtime.ledger_seq = head.ledger_seq
                    return result
                except BaseException as exc:
                    if journal is not None:  # the database did not take the change: nor do the routers
                        _settle(store, journal, exc)
                    if not isinstance(exc, PushesMoved):
                        raise
                    rt.forget(store)
            raise ConflictError(f"plan {plan_id}: the routers' configs kept changing during the apply; apply again",
                                field="plan_id", value=plan_id)
    except (ConflictError, InfeasibleError) as exc:
        _mark(store, plan_id, "superseded" if isinstance(exc, ConflictError) else "failed")
        rt.forget(store)
        raise
    except BaseException:
        rt.forget(store)
        raise


def _apply_locked(session: Any, runtime: rt.Runtime, planned: Plan, context: ApplyContext,
                  journal: BoundJournal | None) -> ApplyResult:
    """commit → record, all or nothing: in the ledger's undo log and the session's transaction."""
    effective, devices, configs, quote = _memory_of(runtime, planned)
    with runtime.ledger.atomic():
        committed: Committed = commit(session, runtime, context.tenant_id, planned, devices, configs, journal,
                                      changes, actor=context.actor, reason=context.reason)
        return record(session, runtime, planned, committed, effective, quote, context, changes)


def _memory_of(runtime: rt.Runtime, planned: Plan
               ) -> tuple[Intent, TenantDevices, dict[str, RenderedConfig] | None, Any]:
    """(effective intent, device inputs, rendered configs or None, quote or None): from the plan cache
    when this process made the plan, else rebuilt from its document (configs are then rendered again)."""
    cached = PLAN_CACHE.get(planned.id)
    if cached is not None:
        return cached.effective, cached.devices, cached.configs, cached.quote
    effective, devices = _rebuild(runtime, planned)
    return effective, devices, None, None


def _rebuild(runtime: rt.Runtime, planned: Plan) -> tuple[Intent, TenantDevices]:
    """A plan made by another process: its effective intent and device inputs, from its document."""
    effective = Intent.model_validate(planned.deployed_document)
    alloc = runtime.tenant_alloc(planned.tenant)
    for a in planned.released_allocations:
        alloc.pop(a.key.as_tuple(), None)
    alloc.update({a.key.as_tuple(): a.value for a in planned.new_allocations})
    return effective, tenant_devices(planned.tenant, effective, rates_at(effective, planned.created_at), alloc,
                                     runtime.router_of_site(effective))


def _check_fresh(row: _PlanHead, planned: Plan, now: datetime) -> None:
    if row.status != "ready":
        raise ConflictError(f"plan {row.id} is {row.status}: make a new plan", field="plan_id", value=row.id)
    if row.expires_at < now:
        raise ConflictError(f"plan {row.id} expired at {row.expires_at.isoformat()}: make a new plan",
                            field="plan_id", value=row.id)
    revision, topology, base = row.revision, row.topology_version, planned.base
    if fingerprint(row.tenant_id, revision, topology) != row.fingerprint:
        what = (f"the tenant's services changed (revision {base.revision} → {revision})"
                if base.revision != revision else
                f"the backbone changed (topology version {base.topology_version} → {topology})")
        raise ConflictError(f"plan {row.id} is stale: {what} since it was made; make a new plan",
                            field="plan_id", value=row.id)
    if base.intent_base is not None and base.intent_base != row.intent_version:  # another version was written
        raise ConflictError(f"plan {row.id} is stale: it was made from intent version {base.intent_base}, and "
                            f"version {row.intent_version} was written since; make a new plan from it",
                            field="plan_id", value=row.id, accepted=f"a plan from intent version {row.intent_version}")


def _mark(store: Any, plan_id: str, status: str) -> None:
    with store.session() as session:
        changes.mark_plan(session, plan_id, status)


# -- the device journal: written before the engine's write lock ------------------------------------
#
# SQLite has one writer: the journal entry cannot be committed by another connection while the apply
# holds the write lock, and it must be durable before the first push. So the pushes are computed and
# journalled first (state `preparing`, committed), then checked again under the lock; the entry's
# `done` is written in the apply's own transaction (see devices.push.BoundJournal). A crash anywhere
# leaves routers and database both old (recovery undoes a `preparing` entry) or both new.

_JOURNAL_ATTEMPTS = 3
_PushesMoved = PushesMoved  # the name the engine's callers and tests knew


def _journal_pushes(store: Any, plan_id: str, now: datetime, actor: str, reason: str, confirm_removals: bool
                    ) -> BoundJournal | None:
    """Journal the pushes the plan would make now (None when it pushes nothing)."""
    with store.session() as session:
        head, planned = load_plan(session, plan_id)
        _check_fresh(head, planned, now)
        check_confirmed(plan_id, [dict(r) for r in planned.removals], list(planned.rename_hints), confirm_removals)
        runtime = rt.runtime_for(store, session, versions=(head.topology_version, head.ledger_seq))
        try:
            _, devices, configs, _ = _memory_of(runtime, planned)
            pushes = planned_pushes(runtime, planned, devices, configs)
        except UnilinkError:
            return None  # the apply under the lock reports it, after the checks that come first there
    if not pushes:
        return None
    assert runtime.devices is not None
    device_changes = pushed_changes(runtime.devices.routers, pushes)
    return BoundJournal.open(store, device_changes, actor=actor, reason=reason, plan_id=plan_id)


def _settle(store: Any, journal: BoundJournal, exc: BaseException) -> None:
    try:
        journal.settle(_drivers_for(store, journal), why=str(exc) or type(exc).__name__)
    except Exception:  # noqa: BLE001 - the original error matters more; the entry stays for recovery
        _log.exception("device transaction %s: undo after a failed apply failed; recovery will retry it", journal.id)


def _drivers_for(store: Any, journal: BoundJournal) -> Any:
    """The drivers that undo `journal`'s routers after a failed apply (what recovery would use: the
    configured driver, `devices.drivers.registry`)."""

    def build(routers: Any) -> dict[str, Any]:
        by_name = {r.name: r for r in store.load_network().routers}
        wanted = set(routers)
        return drivers_for(by_name, [c for c in journal.changes if c.router in wanted and c.router in by_name])
    return build


# -- reading ----------------------------------------------------------------------------------------


def latest_intent(store: Any, tenant: str) -> dict[str, Any] | None:
    """The tenant's latest intent document (what it asked for last), or None."""
    with store.session() as session:
        return changes.latest_intent_document(session, tenant)


def intent_version(store: Any, tenant: str, version: int) -> dict[str, Any]:
    with store.session() as session:
        document, versions = changes.intent_document(session, tenant, version)
    if document is None:
        raise NotFoundError("no such intent version", field="version", value=version,
                            accepted=", ".join(str(v) for v in versions) or "none yet")
    return document


def revert(store: Any, tenant: str, version: int, *, now: datetime | None = None, actor: str = "unknown") -> Plan:
    """A plan that brings the tenant back to intent `version` (apply it like any other), less the
    boosts of that version that have ended since."""
    now = now or store.clock.now()
    return plan(store, tenant, without_ended_boosts(intent_version(store, tenant, version), now), now=now,
                actor=actor)


def history(store: Any, tenant: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    with store.session() as session:
        rows = changes.history(session, tenant, limit)
        return [{"id": r.id, "tenant": name, "at": r.at.isoformat(), "actor": r.actor,
                 "reason": r.reason, "action": r.action, "plan_id": r.plan_id, "intent_version": r.intent_version,
                 "summary": r.summary} for r, name in rows]


def status(store: Any, tenant: str) -> dict[str, Any]:
    """What is deployed for `tenant`: sites, services, rates, reservations, open orders."""
    with store.session() as session:
        tenant_id = changes.plan_context(session, tenant).id
        deployed = _deployed(session, tenant_id, changes.deployed_revision(session, tenant_id))
        count = changes.reservation_count(session, tenant_id)
        orders = changes.open_order_ids(session, tenant_id)
    return {"tenant": tenant, "revision": deployed.revision, "intent_version": deployed.intent_version,
            "deployed": deployed.intent.to_document() if deployed.intent else None,
            "physical": dict(deployed.physical), "reservations": count, "open_orders": sorted(orders)}
