"""plan → apply: the change engine.

    plan(store, tenant, desired)      validate → diff → field work → admit → allocate → price → render
                                      → fingerprint; saved, nothing else changes
    apply(store, plan_id, actor, why) under the engine lock: refuse a stale plan, book exactly the
                                      plan's reservations, allocations and configs, record it all

The pure stages live in their own modules (services.intent/diff, engine.admission/resources/
pricing/devices/fieldwork); this module is the orchestration and the only one here doing I/O.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from unilink.catalog.prices import Quote
from unilink.devices.diff import DeviceChange
from unilink.devices.journal import text_sha
from unilink.devices.push import BoundJournal
from unilink.devices.render import RenderedConfig, dialect
from unilink.engine import holds, records
from unilink.engine import runtime as rt
from unilink.engine.admission import (
    Booking,
    arcs_as_tuple,
    rates_at,
    service_arcs,
    temporary_key,
    temporary_windows,
)
from unilink.engine.devices import (
    DriverFactory,
    TenantDevices,
    attachment_changes,
    commit_configs,
    config_diff,
    sim_driver,
    tenant_devices,
    touched_routers,
)
from unilink.engine.fieldwork import effective_intent, field_work, orphaned_orders, physical_of
from unilink.engine.pricing import plan_price, quote_intent, temporary_cents
from unilink.engine.removals import check_confirmed, live_removals, rename_hints
from unilink.engine.resources import allocate, wanted_owners
from unilink.engine.versions import check_base_of
from unilink.errors import ConflictError, InfeasibleError, NotFoundError, UnilinkError, ValidationError
from unilink.inventory.model import Pop
from unilink.network.ledger import CapacityLedger
from unilink.services.diff import Action, ChangeSet, diff_documents
from unilink.services.intent import (
    Boost,
    Intent,
    Schedule,
    check_boost_times,
    check_intent,
    load_intent_text,
    parse_intent,
    without_ended_boosts,
)
from unilink.store.tables.services import (
    ChangeHistoryRow,
    DeploymentRow,
    IntentVersionRow,
    PlanRow,
    PoolAllocationRow,
    ReservationRow,
    ServiceOrderRow,
)
from unilink.store.tables.tenancy import Tenant
from unilink.store.tenancy import get_tenant

PLAN_LIFETIME = timedelta(minutes=30)
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    tenant: str
    fingerprint: str
    content: dict[str, Any]

    @property
    def changes(self) -> dict[str, Any]:
        return self.content["changes"]

    @property
    def is_empty(self) -> bool:
        return bool(self.content["empty"])

    def to_dict(self) -> dict[str, Any]:
        return self.content


@dataclass(frozen=True, slots=True)
class ApplyResult:
    plan_id: str
    tenant: str
    revision: int
    intent_version: int | None
    routers: tuple[str, ...]
    orders: tuple[str, ...]
    reservations: int
    cancelled_orders: tuple[str, ...] = ()  # open orders the change made pointless (their site is gone)

    def to_dict(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "tenant": self.tenant, "revision": self.revision,
                "intent_version": self.intent_version, "routers": list(self.routers), "orders": list(self.orders),
                "reservations": self.reservations, "cancelled_orders": list(self.cancelled_orders)}


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; the engine stores UTC only."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def coerce_intent(desired: Intent | dict[str, Any] | str) -> Intent:
    if isinstance(desired, Intent):
        return desired
    if isinstance(desired, str):
        return load_intent_text(desired)
    return parse_intent(desired)


@dataclass(slots=True)
class _Deployed:
    revision: int
    intent_version: int | None
    intent: Intent | None
    physical: dict[str, dict[str, Any]]
    desired: dict[str, Any] | None  # the document of `intent_version` (what the tenant asked for last)
    document: dict[str, Any] | None = None  # intent.to_document(), which every plan diffs against
    _quote: Quote | None = None  # its monthly price, computed on first use

    def __post_init__(self) -> None:
        if self.document is None and self.intent is not None:
            self.document = self.intent.to_document()

    def quote(self, pops: Mapping[str, Pop]) -> Quote:
        """The deployed intent's price: the same for every plan against this revision."""
        if self._quote is None:
            self._quote = quote_intent(self.intent, pops)
        return self._quote


def _deployed(session: Session, tenant_id: int, revision: int | None, runtime: rt.Runtime | None = None
              ) -> _Deployed:
    """The tenant's deployed state at `revision` (None: nothing deployed), which the caller has just read;
    from the runtime's cache when it holds that revision."""
    cached = runtime.deployed.get(tenant_id) if runtime is not None else None
    if cached is not None and cached.revision == (revision or 0):
        return cached  # type: ignore[no-any-return]
    row = session.get(DeploymentRow, tenant_id) if revision is not None else None
    if row is None:
        state = _Deployed(0, None, None, {}, None)
    else:
        desired = session.scalars(select(IntentVersionRow.document).where(
            IntentVersionRow.tenant_id == tenant_id, IntentVersionRow.version == row.intent_version)).first()
        state = _Deployed(row.revision, row.intent_version, Intent.model_validate(row.document), dict(row.physical),
                          dict(desired) if desired is not None else None)
    if runtime is not None:
        runtime.deployed[tenant_id] = state
    return state


# Recently made plans, so that apply need not decode them again (the table stays the reference).
_RECENT_PLANS: dict[str, dict[str, Any]] = {}
_RECENT_PLANS_MAX = 256


_RECENT_OBJECTS: dict[str, tuple[Intent, TenantDevices]] = {}  # the same plans' effective intent and device inputs
# ... and their rendered configs: a plan's content keeps only each router's diff and the hashes of its
# config before and after (a plan from another process is rendered again at apply, see _planned_configs).
_RECENT_CONFIGS: dict[str, dict[str, RenderedConfig]] = {}
# ... and the price of what they deploy, when that is all of the desired intent (no field work
# pending): the deployed revision's price after the apply, which the next plan compares against.
_RECENT_QUOTES: dict[str, Quote] = {}


def _remember(content: dict[str, Any], effective: Intent, devices: TenantDevices,
              configs: dict[str, RenderedConfig], quote: Quote | None) -> None:
    if len(_RECENT_PLANS) >= _RECENT_PLANS_MAX:
        oldest = next(iter(_RECENT_PLANS))
        _RECENT_PLANS.pop(oldest)
        _RECENT_OBJECTS.pop(oldest, None)
        _RECENT_CONFIGS.pop(oldest, None)
        _RECENT_QUOTES.pop(oldest, None)
    _RECENT_PLANS[content["id"]] = content
    _RECENT_OBJECTS[content["id"]] = (effective, devices)
    _RECENT_CONFIGS[content["id"]] = configs
    if quote is not None:
        _RECENT_QUOTES[content["id"]] = quote


def fingerprint(tenant_id: int, revision: int, topology_version: int) -> str:
    return hashlib.sha256(f"{tenant_id}:{revision}:{topology_version}".encode()).hexdigest()[:32]


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
                tenant_row = records.plan_context(session, tenant)
                if intent.tenant is not None and intent.tenant != tenant:
                    raise ValidationError("the document is for another tenant", field="tenant",
                                          value=intent.tenant, accepted=tenant)
                check_base_of(session, tenant, base_version)
                runtime = rt.runtime_for(store, session,
                                         versions=(int(tenant_row.topology or 0), int(tenant_row.seq)))
                holds.expire(runtime, now)
                with holds.set_aside(runtime, tenant_row.id):  # the tenant's own earlier plan does not compete
                    content, effective, devices, configs, quote = _compute(session, runtime, tenant_row, intent,
                                                                           now, accesses_installed)
            if base_version is not None:
                content["base"]["intent_base"] = base_version  # checked again at apply (_check_fresh)
            plan_id = f"p-{now.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"
            content["id"] = plan_id
            content["actor"] = actor

            def insert(connection: Any, holding: bool) -> None:
                records.insert_plan(connection, id=plan_id, tenant_id=tenant_row.id,  # noqa: B023 - called at once
                                    fingerprint=content["fingerprint"], content=content,  # noqa: B023
                                    status="ready", created_at=now, expires_at=now + PLAN_LIFETIME, holds=holding)
            try:  # the plan holds what it books and allocates until applied, cancelled or expired (engine.holds)
                if holds.save(store, runtime, tenant_row.id, content, now, now + PLAN_LIFETIME, insert):
                    break
            except BaseException:
                rt.forget(store)  # the runtime holds what the table does not
                raise
        else:
            raise ConflictError("other processes kept changing what is held while this plan was made; plan again",
                                field="tenant", value=tenant)
    _remember(content, effective, devices, configs, quote)
    return Plan(plan_id, tenant, content["fingerprint"], content)


def _compute(session: Session, runtime: rt.Runtime, tenant_row: Any, desired: Intent, now: datetime,
             accesses_installed: bool = False
             ) -> tuple[dict[str, Any], Intent, TenantDevices, dict[str, RenderedConfig], Quote | None]:
    tenant = tenant_row.name
    check_intent(desired, runtime.network)
    deployed = _deployed(session, tenant_row.id, tenant_row.revision, runtime)
    check_boost_times(desired, now, kept=deployed.intent.boosts if deployed.intent else ())
    open_orders = records.open_orders(session, tenant_row.id)  # site → order id
    works = [] if accesses_installed else field_work(desired, deployed.physical)
    effective = effective_intent(desired, deployed.intent, {w.site for w in works})
    if effective is not desired:  # a mix of desired and deployed parts: check the mix too
        check_intent(effective, runtime.network)
    desired_doc = desired.to_document()
    effective_doc = desired_doc if effective is desired else effective.to_document()
    changes = diff_documents(deployed.document or {}, effective_doc)
    bookings, releases = _admit(runtime, tenant_row.id, deployed.intent, effective, changes, now)
    router_of_site = runtime.router_of_site(effective)
    alloc = runtime.tenant_alloc(tenant)
    new_allocs, released_allocs = allocate(runtime.pools, alloc, wanted_owners(tenant, effective, router_of_site))
    for a in released_allocs:
        alloc.pop((a.pool, a.scope, a.owner), None)
    alloc.update({(a.pool, a.scope, a.owner): a.value for a in new_allocs})
    devices = tenant_devices(tenant, effective, rates_at(effective, now), alloc, router_of_site)
    old_devices = runtime.devices.tenants.get(tenant, TenantDevices()) if runtime.devices else TenantDevices()
    device_changes, configs = _device_changes(runtime, tenant, devices)
    new_orders = [w for w in works if w.site not in open_orders]
    cancelled = orphaned_orders(open_orders, desired, deployed.physical)
    desired_sites, waiting = {s.name for s in desired.sites}, {w.site for w in works}
    physical = {name: spec for name, spec in deployed.physical.items() if name in desired_sites}
    for site in effective.sites:
        if site.name not in waiting:
            physical[site.name] = physical_of(site)
    desired_quote = quote_intent(desired, runtime.pops)
    effective_quote = desired_quote if effective is desired else quote_intent(effective, runtime.pops)
    price = plan_price(deployed.quote(runtime.pops), effective_quote, desired_quote,
                       [w.to_dict() for w in new_orders], temporary_cents(effective, runtime.pops, now)).to_dict()
    graph = runtime.graph
    # Temporaries are re-booked on every plan (their windows move with time): that alone is no change.
    empty = (changes.is_empty and not new_orders and not cancelled
             and not any(b.key.startswith("svc:") for b in bookings)
             and not any(d["diff"] for d in device_changes.values()))
    content = {
        "tenant": tenant, "created_at": now.isoformat(), "empty": empty,
        "fingerprint": fingerprint(tenant_row.id, deployed.revision, runtime.topology_version),
        "base": {"revision": deployed.revision, "intent_version": deployed.intent_version,
                 "topology_version": runtime.topology_version},
        "desired": desired_doc, "physical": physical,
        # the effective intent differs from the desired one only while field work is pending
        "effective": None if effective is desired else effective_doc,
        "new_intent_version": desired_doc != deployed.desired,
        "changes": changes.to_dict(), "summary": _summary(changes),
        # what the orders' completion will change on top (field work pending): shown, applied later
        "pending": None if effective is desired else diff_documents(effective_doc, desired_doc).to_dict(),
        "orders": [w.to_dict() for w in works],
        "new_orders": [w.to_dict() for w in new_orders],
        "open_orders": sorted(open_orders.values()),
        "cancel_orders": cancelled,  # open orders whose line is no longer wanted: cancelled on apply
        # live sites, services and VPN members the change takes away: applied only when confirmed
        "removals": [r.to_dict() for r in live_removals(deployed.intent, desired)],
        "rename_hints": rename_hints(deployed.intent, desired),
        "release": releases, "bookings": [b.to_dict(graph) for b in bookings],
        "allocations": {"new": [[a.pool, a.scope, a.owner, a.value] for a in new_allocs],
                        "release": [[a.pool, a.scope, a.owner, a.value] for a in released_allocs]},
        "devices": device_changes, "price": price,
        # the tenant's view of `devices`: its own attachments per router, never the configs (engine.views)
        "attachments": attachment_changes(old_devices, devices, device_changes),
    }
    return content, effective, devices, configs, effective_quote


def _summary(changes: ChangeSet) -> list[str]:
    lines = []
    for change in changes.changed():
        parts = [f"{field} {_show(b)} → {_show(a)}" for field, (b, a) in change.changes.items()]
        detail = ": " + ", ".join(parts) if change.action is Action.MODIFY else ""
        lines.append(f"{change.action.value} {change.kind} {change.name}{detail}")
    return lines


def _show(value: Any) -> str:
    from unilink.units import format_bandwidth

    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1000:
        return format_bandwidth(value)
    return str(value)


def _changed_services(deployed: Intent | None, effective: Intent, changes: ChangeSet) -> set[str]:
    """Services whose reservations must be recomputed: changed ones, and those on changed sites."""
    names = {c.name for c in changes.services if c.action is not Action.NO_CHANGE}
    moved_sites = {c.name for c in changes.sites if c.action is not Action.NO_CHANGE}
    for intent in (deployed, effective):
        if intent is None:
            continue
        for svc in intent.services:
            from unilink.services.intent import service_sites

            if set(service_sites(svc)) & moved_sites:
                names.add(svc.name)
    return names


def _admit(runtime: rt.Runtime, tenant_id: int, deployed: Intent | None, effective: Intent, changes: ChangeSet,
           now: datetime) -> tuple[list[Booking], list[int]]:
    """Bookings for the changed services and every temporary (their windows move with time).

    Tried on the live ledger inside `trial()`: released and booked, then undone. Raises
    InfeasibleError naming the bottleneck when the whole change does not fit.
    """
    changed = _changed_services(deployed, effective, changes)
    keys = runtime.keys.get(tenant_id, {})
    release_keys = [k for k in keys if (k.startswith("svc:") and k[4:] in changed)
                    or k.startswith(("boost:", "sched:"))]
    releases = sorted(rid for k in release_keys for rid in keys[k])
    present = {s.name for s in effective.services}
    ledger = runtime.ledger
    bookings: list[Booking] = []
    with ledger.trial():
        for rid in releases:
            ledger.release(rid)
        base_rates = rates_at_base(effective)
        site_pop = {s.name: s.pop for s in effective.sites}
        base_arcs: dict[str, dict[int, int]] = {}
        for name in sorted(changed & present):
            arcs = service_arcs(runtime.graph, ledger, runtime.gateways, effective, site_pop, base_rates, name,
                                now, None)
            base_arcs[name] = arcs
            if arcs:
                booking = Booking(f"svc:{name}", arcs_as_tuple(arcs), now, None)
                _reserve(ledger, tenant_id, booking)
                bookings.append(booking)
        items: list[Boost | Schedule] = [*effective.boosts, *effective.schedules]
        for item in items:
            bookings.extend(_temporary_bookings(runtime, ledger, tenant_id, effective, site_pop, base_rates,
                                                base_arcs, item, now))
    return bookings, releases


def rates_at_base(intent: Intent) -> dict[tuple[str, str], tuple[int, int]]:
    from unilink.services.intent import site_usages

    return dict(site_usages(intent))


def _reserve(ledger: CapacityLedger, tenant_id: int, booking: Booking) -> None:
    try:
        ledger.reserve(booking.arc_bps, service_id=f"{tenant_id}/{booking.key}", start=booking.start,
                       end=booking.end)
    except InfeasibleError as exc:
        what = booking.key.split(":", 1)[1]
        raise InfeasibleError(f"{what}: {exc.message}", details={"service": what, **exc.details}) from None


def _temporary_bookings(runtime: rt.Runtime, ledger: CapacityLedger, tenant_id: int, intent: Intent,
                        site_pop: dict[str, str], base_rates: dict[tuple[str, str], tuple[int, int]],
                        base_arcs: dict[str, dict[int, int]], item: Boost | Schedule, now: datetime) -> list[Booking]:
    from unilink.engine.admission import _item_sites

    out = []
    base = base_arcs.get(item.service)
    if base is None:  # unchanged service: its base route is what it is booked on now
        base = _current_arcs(runtime, tenant_id, item.service)
    for site in _item_sites(intent, item):
        down, up = base_rates[(item.service, site)]
        if item.rate <= down:
            continue  # a lower temporary rate needs nothing more than the base booking
        raised = dict(base_rates)
        raised[(item.service, site)] = (item.rate, min(item.rate, intent.site(site).access.port) if down == up
                                        else up)
        for start, end in temporary_windows(item, now):
            arcs = service_arcs(runtime.graph, ledger, runtime.gateways, intent, site_pop, raised, item.service,
                                start, end)
            extra = {arc: bps - base.get(arc, 0) for arc, bps in arcs.items() if bps > base.get(arc, 0)}
            if extra:
                booking = Booking(f"{temporary_key(item, site)}#{start.isoformat()}", arcs_as_tuple(extra), start,
                                  end)
                _reserve(ledger, tenant_id, booking)
                out.append(booking)
    return out


def _current_arcs(runtime: rt.Runtime, tenant_id: int, service: str) -> dict[int, int]:
    arcs: dict[int, int] = {}
    for rid in runtime.keys.get(tenant_id, {}).get(f"svc:{service}", []):
        for arc, bps in runtime.ledger.get(rid).arc_bps:
            arcs[arc] = arcs.get(arc, 0) + bps
    return arcs


def _device_changes(runtime: rt.Runtime, tenant: str, devices: TenantDevices
                    ) -> tuple[dict[str, dict[str, str]], dict[str, RenderedConfig]]:
    """Per touched router: the diff and the hashes of the config before and after (for the plan's
    content), and the rendered configs themselves (kept in memory only)."""
    model = runtime.devices
    assert model is not None
    old = model.tenants.get(tenant, TenantDevices())
    touched = touched_routers(old, devices)
    if not touched:
        return {}, {}
    after = model.render_routers(touched, {tenant: devices})
    out = {}
    for router in sorted(touched):
        before = model.configs.get(router, "")
        text = after[router].full_text()
        out[router] = {"diff": config_diff(router, before, text), "before_sha": _sha(before), "after_sha": _sha(text)}
    return out, after


def _planned_configs(runtime: rt.Runtime, content: dict[str, Any], devices: TenantDevices) -> dict[str, RenderedConfig]:
    """The configs a plan rendered: from memory when this process made it, else rendered again from
    the plan's device inputs (deterministic: the same text, which `after_sha` lets the caller check)."""
    configs = _RECENT_CONFIGS.get(content["id"])
    if configs is not None:
        return configs
    planned = content["devices"]
    if all("rendered" in change for change in planned.values()):  # a plan saved before the hashes
        return {r: RenderedConfig.from_dict(change["rendered"]) for r, change in planned.items()}
    assert runtime.devices is not None
    return runtime.devices.render_routers(planned, {content["tenant"]: devices}) if planned else {}


def _sha(text: str) -> str:
    return text_sha(text)[:32]


# -- apply ------------------------------------------------------------------------------------------


def _lock(session: Session) -> None:
    """Take the engine's write lock (and advance the ledger sequence number by one).

    The UPDATE of the single engine_state row serialises every apply across processes: PostgreSQL
    holds the row lock until commit (as SELECT … FOR UPDATE would); SQLite already holds the write
    lock since BEGIN IMMEDIATE (`store.session(write=True)`).
    """
    records.lock(session)


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


def load_plan(session: Session, plan_id: str) -> tuple[_PlanHead, dict[str, Any]]:
    """The plan's head, and its content (from memory when this process made it).

    One statement for everything an apply checks first: each one costs a round trip through the
    ORM, and an apply runs this twice (journal, then under the lock).
    """
    found = records.plan_head(session, plan_id)
    if found is None:
        raise NotFoundError("no such plan", field="plan_id", value=plan_id,
                            accepted="the id printed by `unilink plan`")
    plan_id_, tenant_id, fingerprint_, status_, expires_at, revision, topology, seq, version = found
    head = _PlanHead(plan_id_, tenant_id, fingerprint_, status_, aware(expires_at), int(revision or 0),  # type: ignore[arg-type]
                     int(topology or 0), int(seq), int(version or 0))
    content = _RECENT_PLANS.get(plan_id)
    if content is None:
        content = records.plan_content(session, plan_id)
    return head, content


def apply(store: Any, plan_id: str, actor: str = "unknown", reason: str = "", *, now: datetime | None = None,
          action: str = "apply", confirm_removals: bool = False,
          after_apply: Callable[[Session, ApplyResult], None] | None = None) -> ApplyResult:
    """Run exactly plan `plan_id`: refuse it when stale, else book, allocate, configure, record.

    ConflictError when the tenant or the topology changed since the plan was made, or the plan
    expired or was applied; InfeasibleError when capacity it needs was taken meanwhile;
    ValidationError (field confirm_removals) when it removes live sites, services or VPN members
    and `confirm_removals` is not given. In every refusal nothing changes.

    `after_apply(session, result)` runs inside the apply's write transaction, after the history row
    and before the commit (the application service records its outbox rows there); raising in it
    rolls the whole apply back.
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
                        row, content = load_plan(session, plan_id)
                        _check_fresh(row, content, now)
                        # reloaded if another process applied
                        runtime = rt.runtime_for(store, session, locked=True,
                                                 versions=(row.topology_version, row.ledger_seq))
                        result = _apply_locked(session, runtime, row, content, actor, reason, now, action, journal,
                                               after_apply)
                        runtime.ledger_seq = row.ledger_seq
                    return result
                except BaseException as exc:
                    if journal is not None:  # the database did not take the change: nor do the routers
                        _settle(store, journal, exc)
                    if not isinstance(exc, _PushesMoved):
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


# -- the device journal: written before the engine's write lock ------------------------------------
#
# SQLite has one writer: the journal entry cannot be committed by another connection while the apply
# holds the write lock, and it must be durable before the first push. So the pushes are computed and
# journalled first (state `preparing`, committed), then checked again under the lock; the entry's
# `done` is written in the apply's own transaction (see devices.push.BoundJournal). A crash anywhere
# leaves routers and database both old (recovery undoes a `preparing` entry) or both new.

_JOURNAL_ATTEMPTS = 3


class _PushesMoved(Exception):
    """Another process changed the routers' configs between the journal entry and the lock: retry."""


def _journal_pushes(store: Any, plan_id: str, now: datetime, actor: str, reason: str, confirm_removals: bool
                    ) -> BoundJournal | None:
    """Journal the pushes the plan would make now (None when it pushes nothing)."""
    with store.session() as session:
        row, content = load_plan(session, plan_id)
        _check_fresh(row, content, now)
        check_confirmed(plan_id, content.get("removals", []), content.get("rename_hints", []), confirm_removals)
        runtime = rt.runtime_for(store, session, versions=(row.topology_version, row.ledger_seq))
        try:
            _, devices = _RECENT_OBJECTS.get(row.id) or _rebuild(runtime, content, now)
            _, pushes = _pushes(runtime, content, devices)
        except UnilinkError:
            return None  # the apply under the lock reports it, after the checks that come first there
    if not pushes:
        return None
    assert runtime.devices is not None
    routers = runtime.devices.routers
    changes = [DeviceChange(router=r, vendor=dialect(routers[r]),
                            before=RenderedConfig(vendor=dialect(routers[r]), text=before), after=after,
                            diff=diff, added=0, removed=0)
               for r, (before, after, diff) in sorted(pushes.items())]
    return BoundJournal.open(store, changes, actor=actor, reason=reason, plan_id=plan_id)


def _settle(store: Any, journal: BoundJournal, exc: BaseException) -> None:
    try:
        journal.settle(_drivers_for(store, journal), why=str(exc) or type(exc).__name__)
    except Exception:  # noqa: BLE001 - the original error matters more; the entry stays for recovery
        _log.exception("device transaction %s: undo after a failed apply failed; recovery will retry it", journal.id)


def _drivers_for(store: Any, journal: BoundJournal) -> Any:
    """The drivers that undo `journal`'s routers after a failed apply (what recovery would use)."""
    vendors = {c.router: c for c in journal.changes}

    def build(routers: Any) -> dict[str, Any]:
        network = store.load_network()
        by_name = {r.name: r for r in network.routers}
        return {r: driver_factory(by_name[r], vendors[r].before or RenderedConfig(vendor=vendors[r].vendor, text=""))
                for r in routers if r in by_name}
    return build


def _check_fresh(row: _PlanHead, content: dict[str, Any], now: datetime) -> None:
    if row.status != "ready":
        raise ConflictError(f"plan {row.id} is {row.status}: make a new plan", field="plan_id", value=row.id)
    if row.expires_at < now:
        raise ConflictError(f"plan {row.id} expired at {row.expires_at.isoformat()}: make a new plan",
                            field="plan_id", value=row.id)
    revision, topology = row.revision, row.topology_version
    if fingerprint(row.tenant_id, revision, topology) != row.fingerprint:
        base = content["base"]
        what = (f"the tenant's services changed (revision {base['revision']} → {revision})"
                if base["revision"] != revision else
                f"the backbone changed (topology version {base['topology_version']} → {topology})")
        raise ConflictError(f"plan {row.id} is stale: {what} since it was made; make a new plan",
                            field="plan_id", value=row.id)
    base = content["base"].get("intent_base")
    if base is not None and base != row.intent_version:  # another intent version was written meanwhile
        raise ConflictError(f"plan {row.id} is stale: it was made from intent version {base}, and version "
                            f"{row.intent_version} was written since; make a new plan from it", field="plan_id",
                            value=row.id, accepted=f"a plan from intent version {row.intent_version}")


def _mark(store: Any, plan_id: str, status: str) -> None:
    with store.session() as session:
        session.execute(update(PlanRow).where(PlanRow.id == plan_id, PlanRow.status == "ready").values(status=status))


def _apply_locked(session: Session, runtime: rt.Runtime, row: _PlanHead, content: dict[str, Any], actor: str,
                  reason: str, now: datetime, action: str, journal: BoundJournal | None = None,
                  after_apply: Callable[[Session, ApplyResult], None] | None = None) -> ApplyResult:
    tenant_id, tenant = row.tenant_id, content["tenant"]
    ledger, graph = runtime.ledger, runtime.graph
    with ledger.atomic():
        holds.on_apply(session, runtime, tenant_id)  # the tenant's hold becomes the bookings below
        # 1. capacity: exactly the plan's releases and bookings, in the ledger and the table
        for rid in content["release"]:
            if rid not in ledger:
                raise ConflictError(f"plan {row.id} is stale: reservation {rid} is gone", field="plan_id",
                                    value=row.id)
            ledger.release(rid)
        if content["release"]:
            records.delete_reservations(session, content["release"])
        rows: list[dict[str, Any]] = []
        for booking in content["bookings"]:
            start = datetime.fromisoformat(booking["start"])
            end = datetime.fromisoformat(booking["end"]) if booking["end"] else None
            for link, direction, bps in booking["arcs"]:
                rows.append({"tenant_id": tenant_id, "service": booking["key"], "link": link, "direction": direction,
                             "bps": bps, "start_at": start, "end_at": end, "hold_expires_at": None, "priority": 0})
        ids = _insert_reservations(session, rows)
        new_rows = [(r["service"], rid) for r, rid in zip(rows, ids, strict=True)]
        for r, rid in zip(rows, ids, strict=True):
            arc = 2 * graph.link_id(r["link"]) + (0 if r["direction"] == "ab" else 1)
            try:
                ledger.reserve({arc: r["bps"]}, service_id=f"{tenant_id}/{r['service']}", start=r["start_at"],
                               end=r["end_at"], reservation_id=rid)
            except InfeasibleError as exc:
                raise InfeasibleError(f"plan {row.id} no longer fits: {exc.message}; make a new plan",
                                      details=exc.details) from None
        # 2. resources (flushed now: a clash on the UNIQUE constraints must stop us before any router)
        _apply_allocations(session, runtime, tenant_id, content["allocations"])
        try:
            session.flush()
        except IntegrityError as exc:
            raise ConflictError(f"plan {row.id} is stale: a resource it allocates was taken; make a new plan",
                                field="plan_id", value=row.id) from exc
        # 3. devices (the engine's device model; the device layer's transaction plugs in here)
        effective, devices = _RECENT_OBJECTS.get(row.id) or _rebuild(runtime, content, now)
        routers = _apply_devices(session, runtime, content, devices, now, actor=actor, reason=reason,
                                 journal=journal)
        # 4. state, intent version, orders, history
        try:
            intent_version = _record_intent(session, tenant_id, row.intent_version, content, actor, reason, now,
                                            action)
        except IntegrityError as exc:  # an intent version written meanwhile (UNIQUE tenant, version)
            raise ConflictError(f"plan {row.id} is stale: the tenant's intent changed; make a new plan",
                                field="plan_id", value=row.id) from exc
        revision = content["base"]["revision"] + 1  # the fingerprint proved the base is current
        records.save_deployment(session, first=revision == 1, tenant_id=tenant_id, revision=revision,
                                intent_version=intent_version, document=_effective_doc(content),
                                physical=content["physical"], updated_at=now)
        orders = _create_orders(session, tenant_id, row.id, content["new_orders"], now)
        cancelled = records.cancel_orders(session, tenant_id, content.get("cancel_orders", []), now, actor, row.id)
        records.insert_history(session, tenant_id=tenant_id, at=now, actor=actor, reason=reason, action=action,
                               plan_id=row.id, intent_version=intent_version,
                               summary={"changes": content["summary"], "orders": orders,
                                        "cancelled_orders": cancelled, "price": content["price"]})
        records.mark_applied(session, row.id, now)
        if after_apply is not None:  # inside the ledger's atomic block too: raising undoes the bookings
            gone = set(content["release"])
            kept = sum(rid not in gone for rids in runtime.keys.get(tenant_id, {}).values() for rid in rids)
            after_apply(session, ApplyResult(row.id, tenant, revision, intent_version, tuple(routers), tuple(orders),
                                             kept + len(new_rows), tuple(cancelled)))
    runtime.deployed[tenant_id] = _Deployed(revision, intent_version, effective, dict(content["physical"]),
                                            content["desired"], _effective_doc(content), _RECENT_QUOTES.get(row.id))
    # the in-memory index follows the table (only after everything above succeeded)
    keys = runtime.keys.setdefault(tenant_id, {})
    released = set(content["release"])
    for key in list(keys):
        keys[key] = [rid for rid in keys[key] if rid not in released]
        if not keys[key]:
            del keys[key]
    for key, rid in new_rows:
        keys.setdefault(key, []).append(rid)
    return ApplyResult(row.id, tenant, revision, intent_version, tuple(routers), tuple(orders),
                       sum(len(v) for v in keys.values()), tuple(cancelled))


def _insert_reservations(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows`; their ids, in the rows' order.

    One batched INSERT … RETURNING: asking SQLAlchemy for the parameters' order costs one statement
    per row on SQLite. The returned rows are matched back by (service, link, direction), unique
    within a plan (identical rows, if any, are interchangeable).
    """
    if not rows:
        return []
    returned = records.insert_reservations(session, rows)
    by_key: dict[tuple[str, str, str], list[int]] = {}
    for rid, service, link, direction in sorted(returned):
        by_key.setdefault((service, link, direction), []).append(int(rid))
    return [by_key[(r["service"], r["link"], r["direction"])].pop(0) for r in rows]


def _apply_allocations(session: Session, runtime: rt.Runtime, tenant_id: int, allocations: dict[str, Any]) -> None:
    for pool, scope, owner, _ in allocations["release"]:
        session.execute(delete(PoolAllocationRow).where(PoolAllocationRow.pool == pool,
                                                        PoolAllocationRow.scope == scope,
                                                        PoolAllocationRow.owner == owner))
    for pool, scope, owner, value in allocations["new"]:
        session.add(PoolAllocationRow(tenant_id=tenant_id, pool=pool, scope=scope, owner=owner, value=value))
    for pool, scope, owner, _ in allocations["release"]:
        runtime.allocated(pool, scope, owner, None)
    for pool, scope, owner, value in allocations["new"]:
        runtime.allocated(pool, scope, owner, value)


# Builds the driver of each router a change touches; tests and the lab swap it (sim by default).
driver_factory: DriverFactory = sim_driver


def _effective_doc(content: dict[str, Any]) -> dict[str, Any]:
    return content["effective"] if content["effective"] is not None else content["desired"]


def _rebuild(runtime: rt.Runtime, content: dict[str, Any], now: datetime) -> tuple[Intent, TenantDevices]:
    """A plan made by another process: its effective intent and device inputs, from its content."""
    effective = Intent.model_validate(_effective_doc(content))
    alloc = runtime.tenant_alloc(content["tenant"])
    for pool, scope, owner, _ in content["allocations"]["release"]:
        alloc.pop((pool, scope, owner), None)
    alloc.update({(pool, scope, owner): value for pool, scope, owner, value in content["allocations"]["new"]})
    created = datetime.fromisoformat(content["created_at"])
    return effective, tenant_devices(content["tenant"], effective, rates_at(effective, created), alloc,
                                     runtime.router_of_site(effective))


def _pushes(runtime: rt.Runtime, content: dict[str, Any], devices: TenantDevices
            ) -> tuple[dict[str, Any], dict[str, tuple[str, RenderedConfig, str]]]:
    """The plan's content with shared routers rendered again, and its pushes: router → (before, after, diff)."""
    model = runtime.devices
    assert model is not None
    planned = content["devices"]
    # Another tenant may have changed a shared router since the plan: render that router again
    # (this tenant's lines are the planned ones; the others' are what the router runs now).
    moved = sorted(r for r, change in planned.items() if _sha(model.configs.get(r, "")) != change.get("before_sha"))
    configs = _planned_configs(runtime, content, devices)
    if content["id"] not in _RECENT_CONFIGS:  # rendered again here: a different text (new software) is shown anew
        moved = sorted(set(moved) | {r for r, change in planned.items() if "after_sha" in change
                                     and _sha(configs[r].full_text()) != change["after_sha"]})
    if moved:
        fresh = model.render_routers(moved, {content["tenant"]: devices})
        planned = dict(planned)
        configs = {**configs, **fresh}
        for r in moved:
            text = fresh[r].full_text()
            planned[r] = {"diff": config_diff(r, model.configs.get(r, ""), text)}
        content = {**content, "devices": planned}
    pushes = {router: (model.configs.get(router, ""), configs[router], change["diff"])
              for router, change in planned.items() if change["diff"]}
    return content, pushes


def _apply_devices(session: Session, runtime: rt.Runtime, content: dict[str, Any], devices: TenantDevices,
                   now: datetime, *, actor: str, reason: str, journal: BoundJournal | None = None) -> list[str]:
    """Push the plan's configs in one journalled device transaction (all routers or none), then record them."""
    model = runtime.devices
    assert model is not None
    content, pushes = _pushes(runtime, content, devices)
    journaled = {r: (before, after.full_text()) for r, (before, after, _) in pushes.items()}
    if pushes and (journal is None or not journal.expects(journaled)):
        raise _PushesMoved(sorted(pushes))
    if pushes:
        assert journal is not None
        journal.bind(session)  # its `done` commits with this apply, or not at all
        commit_configs(model.routers, pushes, driver_factory=driver_factory, actor=actor, reason=reason,
                       plan_id=content["id"], journal=journal, tx_id=journal.id)
    # The journal's `done` (in this session) recorded the pushed configs as the routers' committed ones.
    changed = sorted(pushes)
    for r in changed:
        model.configs[r] = pushes[r][1].full_text()
    model.set_tenant(content["tenant"], devices)
    return changed


def _record_intent(session: Session, tenant_id: int, latest_version: int, content: dict[str, Any], actor: str,
                   reason: str, now: datetime, action: str) -> int | None:
    """The intent version the apply deploys: a new one after `latest_version` when the document changed
    (two applies racing for the same number meet the UNIQUE constraint: the caller reports it)."""
    base_version = content["base"]["intent_version"]
    if not content["new_intent_version"]:
        return base_version  # type: ignore[no-any-return]
    version = latest_version + 1
    records.insert_intent_version(session, tenant_id=tenant_id, version=version, document=content["desired"],
                                  actor=actor, reason=reason or action, created_at=now)
    return version


def _create_orders(session: Session, tenant_id: int, plan_id: str, works: list[dict[str, Any]], now: datetime
                   ) -> list[str]:
    ids = []
    for work in works:
        order_id = f"o-{now.strftime('%Y%m%d')}-{secrets.token_hex(4)}"
        session.add(ServiceOrderRow(id=order_id, tenant_id=tenant_id, state="acknowledged", kind=work["kind"],
                                    site=work["site"], description=work["description"], item=work["item"],
                                    lead_time_days=work["lead_time_days"], plan_id=plan_id, requested_at=now,
                                    due_at=now + timedelta(days=work["lead_time_days"]), updated_at=now))
        ids.append(order_id)
    return ids


# -- reading ----------------------------------------------------------------------------------------


def latest_intent(store: Any, tenant: str) -> dict[str, Any] | None:
    """The tenant's latest intent document (what it asked for last), or None."""
    with store.session() as session:
        tenant_row = get_tenant(session, tenant)
        row = session.scalars(select(IntentVersionRow).where(IntentVersionRow.tenant_id == tenant_row.id)
                              .order_by(IntentVersionRow.version.desc()).limit(1)).one_or_none()
        return dict(row.document) if row else None


def intent_version(store: Any, tenant: str, version: int) -> dict[str, Any]:
    with store.session() as session:
        tenant_row = get_tenant(session, tenant)
        row = session.scalars(select(IntentVersionRow).where(IntentVersionRow.tenant_id == tenant_row.id,
                                                              IntentVersionRow.version == version)).one_or_none()
        if row is None:
            versions = session.scalars(select(IntentVersionRow.version)
                                       .where(IntentVersionRow.tenant_id == tenant_row.id)).all()
            raise NotFoundError("no such intent version", field="version", value=version,
                                accepted=", ".join(str(v) for v in sorted(versions)) or "none yet")
        return dict(row.document)


def revert(store: Any, tenant: str, version: int, *, now: datetime | None = None, actor: str = "unknown") -> Plan:
    """A plan that brings the tenant back to intent `version` (apply it like any other), less the
    boosts of that version that have ended since."""
    now = now or store.clock.now()
    return plan(store, tenant, without_ended_boosts(intent_version(store, tenant, version), now), now=now,
                actor=actor)


def history(store: Any, tenant: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    with store.session() as session:
        query = select(ChangeHistoryRow, Tenant.name).join(Tenant, Tenant.id == ChangeHistoryRow.tenant_id)
        if tenant is not None:
            get_tenant(session, tenant)
            query = query.where(Tenant.name == tenant)
        rows = session.execute(query.order_by(ChangeHistoryRow.id.desc()).limit(limit)).all()
        return [{"id": r.id, "tenant": name, "at": aware(r.at).isoformat(), "actor": r.actor,  # type: ignore[union-attr]
                 "reason": r.reason, "action": r.action, "plan_id": r.plan_id, "intent_version": r.intent_version,
                 "summary": r.summary} for r, name in rows]


def status(store: Any, tenant: str) -> dict[str, Any]:
    """What is deployed for `tenant`: sites, services, rates, reservations, open orders."""
    with store.session() as session:
        tenant_row = get_tenant(session, tenant)
        deployed = _deployed(session, tenant_row.id, records.deployed_revision(session, tenant_row.id))
        count = len(session.scalars(select(ReservationRow.id).where(ReservationRow.tenant_id == tenant_row.id)).all())
        orders = session.scalars(select(ServiceOrderRow.id).where(
            ServiceOrderRow.tenant_id == tenant_row.id,
            ServiceOrderRow.state.notin_(("completed", "failed", "cancelled")))).all()
    return {"tenant": tenant, "revision": deployed.revision, "intent_version": deployed.intent_version,
            "deployed": deployed.intent.to_document() if deployed.intent else None, "physical": deployed.physical,
            "reservations": count, "open_orders": sorted(orders)}
