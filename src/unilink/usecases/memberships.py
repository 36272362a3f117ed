"""A cooperative's members and their subscriptions, with their rates enforced on the network
(docs/members.md).

Records (members, plans, lines, pools) change the database only. A subscription's steps that
change what the network carries — activate, change plan, suspend, resume, end — are one change
through the change service: the coop's intent gets its `subscribers` section rebuilt from the
subscriptions as they will be after the step, `plan_change` plans it (the access router's config
with every member's shaping, in its vendor's syntax) and `apply_plan` applies it; the step's own
rows (the state and its time, the addresses given or released) are written by the apply's `also`
hook, in the apply's transaction. So the router and the database move together or not at all.

Concurrency: two steps of one coop at once make two plans of the same deployed revision; the engine
applies one and refuses the other as stale, which is planned again from the new state (a few
attempts). Addresses come from the lowest free slot of a pool; a partial unique index (one live
allocation per slot) makes a second taker fail, and its whole apply with it.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unilink.coop import demand
from unilink.coop import members as core
from unilink.coop import pools as pool_rules
from unilink.coop.sizing import SizingModel
from unilink.errors import ConflictError, InfeasibleError, ValidationError
from unilink.store import change_repo
from unilink.store import members_repo as repo
from unilink.store.members_repo import AllocationClash
from unilink.usecases.change_plans import plan_change
from unilink.usecases.plan_applying import apply_plan

# A stale plan (another step of this coop applied first) is made again, up to this many times, after a
# short random pause that grows with the attempts (so racing managers do not collide in step again).
ATTEMPTS = 12
BACKOFF_S = 0.02


# -- records -------------------------------------------------------------------------------------

def add_member(store: Any, coop: str, *, name: object, email: object, address: object) -> dict[str, Any]:
    checked = core.check_member(name, email, address)
    with store.session(write=True) as session:
        row = repo.add_member(session, repo.coop_id(session, coop), name=checked.name, email=checked.email,
                              address=checked.address, now=store.clock.now())
        return _member_view(row)


def add_plan(store: Any, coop: str, *, name: object, down: object, up: object, monthly_cents: object
             ) -> dict[str, Any]:
    checked = core.check_plan(name, down, up, monthly_cents)
    with store.session(write=True) as session:
        row = repo.add_plan(session, repo.coop_id(session, coop), name=checked.name, down_bps=checked.down_bps,
                            up_bps=checked.up_bps, monthly_cents=checked.monthly_cents)
        return _plan_view(row)


def add_line(store: Any, coop: str, *, name: object, router: object, port: object, ceiling_down: object,
             ceiling_up: object) -> dict[str, Any]:
    checked = core.check_line(name, router, port, ceiling_down, ceiling_up)
    edges = sorted(r.name for r in store.load_network().routers if r.role.value == "edge")
    if checked.router not in edges:
        raise ValidationError("not an edge router of the backbone", field="line.router", value=checked.router,
                              accepted=", ".join(edges) or "none")
    with store.session(write=True) as session:
        row = repo.add_line(session, repo.coop_id(session, coop), name=checked.name, router=checked.router,
                            port=checked.port, ceiling_down_bps=checked.ceiling_down_bps,
                            ceiling_up_bps=checked.ceiling_up_bps)
        return _line_view(row)


def add_pool(store: Any, coop: str, *, name: str, kind: str, prefix: str, port_block: int | None = None,
             delegated_length: int | None = None) -> dict[str, Any]:
    spec = pool_rules.check_pool(name, kind, prefix, port_block=port_block, delegated_length=delegated_length)
    with store.session(write=True) as session:
        repo.add_pool(session, repo.coop_id(session, coop), name=spec.name, kind=spec.kind, prefix=spec.prefix,
                      port_block=spec.port_block, delegated_length=spec.delegated_length)
    return {"name": spec.name, "kind": spec.kind, "prefix": spec.prefix, "port_block": spec.port_block,
            "delegated_length": spec.delegated_length, "capacity": pool_rules.capacity(spec)}


def set_trickle(store: Any, coop: str, rate: object) -> int:
    """The rate a suspended member is held at, both ways (default 256 kbit/s). Takes effect at the
    next suspension or change of the coop's lines."""
    bps = core.check_trickle(rate)
    with store.session(write=True) as session:
        repo.set_trickle_bps(session, repo.coop_id(session, coop), bps)
    return bps


def request(store: Any, coop: str, *, member: int, plan: str, line: str) -> dict[str, Any]:
    """A member asks for `plan` on `line`: a `requested` subscription (nothing on the network yet).
    Refused, changing nothing: an unknown plan or line (field `plan`, `line`), a plan over the
    line's ceiling (`plan`), a line that already carries an open subscription (`line`)."""
    now = store.clock.now()
    with store.session(write=True) as session:
        tenant_id = repo.coop_id(session, coop)
        member_row = repo.member(session, tenant_id, member)
        plan_row = repo.plan_named(session, tenant_id, plan)
        line_row = repo.line_named(session, tenant_id, line)
        core.check_fits_line(_plan_input(plan_row), _line_input(line_row))
        held = repo.open_subscription_on(session, line_row.id)
        if held is not None:
            raise ConflictError(f"line {line} already carries subscription {held.id} ({held.state})", field="line",
                                value=line, accepted="a line without an open subscription (end the other first)")
        row = repo.add_subscription(session, tenant_id, member_row.id, plan_row.id, line_row.id, line, now)
        return {"id": row.id, "state": row.state, "member": member_row.id, "plan": plan_row.name, "line": line,
                "requested_at": now.isoformat()}


# -- steps that change the network ------------------------------------------------------------------

def activate(store: Any, coop: str, subscription: int, *, actor: str) -> dict[str, Any]:
    """requested → active: addresses from the coop's pools, the plan's rates on the member's port."""
    return _step(store, coop, subscription, "active", actor=actor)


def suspend(store: Any, coop: str, subscription: int, *, actor: str) -> dict[str, Any]:
    """active → suspended: held at the trickle rate; the addresses stay the member's."""
    return _step(store, coop, subscription, "suspended", actor=actor)


def resume(store: Any, coop: str, subscription: int, *, actor: str) -> dict[str, Any]:
    """suspended → active: back at the plan's rates."""
    return _step(store, coop, subscription, "active", actor=actor, resuming=True)


def end(store: Any, coop: str, subscription: int, *, actor: str) -> dict[str, Any]:
    """→ ended: the port's shaping and routes go, the addresses go back to the pools."""
    return _step(store, coop, subscription, "ended", actor=actor)


def change_plan(store: Any, coop: str, subscription: int, plan: str, *, actor: str) -> dict[str, Any]:
    """Another plan of the coop on the same line (within its ceiling); an active member is shaped at
    it at once, a suspended one when resumed."""
    return _step(store, coop, subscription, None, actor=actor, new_plan=plan)


@dataclass(frozen=True, slots=True)
class _Prepared:
    tenant_id: int
    from_state: str
    to_state: str
    plan_id: int | None               # a new plan, or None
    grants: tuple[tuple[int, int, str, str], ...]  # (pool id, slot, kind, value) to allocate
    desired: dict[str, Any] | None    # the coop's intent after the step; None: the network does not change
    summary: str


def _step(store: Any, coop: str, subscription: int, to_state: str | None, *, actor: str,
          resuming: bool = False, new_plan: str | None = None) -> dict[str, Any]:
    for attempt in range(ATTEMPTS):
        now = store.clock.now()
        with store.session() as session:
            prepared = _prepare(session, coop, subscription, to_state, new_plan, resuming)
        if prepared.desired is None:  # nothing on the network changes (a request withdrawn, a plan not active yet)
            with store.session(write=True) as session:
                _write(session, prepared, subscription, now)
            return view(store, coop, subscription)
        planned = plan_change(store, coop, prepared.desired, actor=actor, now=now)
        try:
            result = apply_plan(store, planned.id, actor=actor, reason=prepared.summary, now=now,
                                also=_writer(prepared, subscription, now))
        except ConflictError:
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0, BACKOFF_S * (attempt + 1)))
            continue  # another step of this coop went first: plan again from what it left
        out = view(store, coop, subscription)
        out["change"] = {"plan_id": result.plan_id, "routers": sorted(planned.devices)}
        return out
    raise AssertionError("unreachable")


def _prepare(session: Any, coop: str, subscription: int, to_state: str | None, new_plan: str | None,
             resuming: bool) -> _Prepared:
    tenant_id = repo.coop_id(session, coop)
    sub = repo.subscription(session, tenant_id, subscription)
    to = sub.state if to_state is None else to_state
    if to_state is not None:
        core.check_transition(sub.state, to, subscription=sub.id)
    if resuming and sub.state != "suspended":
        raise ConflictError(f"subscription {sub.id} is {sub.state}, not suspended", field="state", value=sub.state,
                            accepted="a suspended subscription")
    if sub.state == "ended":
        raise ConflictError(f"subscription {sub.id} has ended", field="subscription", value=sub.id,
                            accepted="an open subscription (request a new one)")
    plan_row = repo.plan_by_id(session, sub.plan_id)
    line_row = repo.line_by_id(session, sub.line_id)
    new_plan_id = None
    if new_plan is not None:
        plan_row = repo.plan_named(session, tenant_id, new_plan)
        core.check_fits_line(_plan_input(plan_row), _line_input(line_row))
        new_plan_id = plan_row.id
    grants = _grants(session, tenant_id) if to == "active" and sub.state == "requested" else ()
    trickle = repo.trickle_bps(session, tenant_id, core.DEFAULT_TRICKLE_BPS)
    before = core.shaped_rates(sub.state, *_plan_rates(repo.plan_by_id(session, sub.plan_id)), trickle)
    after = core.shaped_rates(to, plan_row.down_bps, plan_row.up_bps, trickle)
    prepared = _Prepared(tenant_id, sub.state, to, new_plan_id, grants, None,
                         f"coop member line {line_row.name}: {sub.state} → {to}" +
                         (f", plan {plan_row.name}" if new_plan_id else ""))
    if before == after and sub.state == to:
        return prepared  # e.g. a new plan for a requested or suspended member: nothing shaped changes yet
    if before is None and after is None:
        return prepared
    entries = _subscribers(session, tenant_id, trickle, replacing=sub.id,
                           this=(line_row, plan_row, to, [(g[2], g[3]) for g in grants]))
    latest = change_repo.latest_intent_document(session, coop) or {}
    desired = {**latest, "subscribers": entries}
    desired.pop("tenant", None)
    return _Prepared(prepared.tenant_id, prepared.from_state, to, new_plan_id, grants, desired, prepared.summary)


def _grants(session: Any, tenant_id: int) -> tuple[tuple[int, int, str, str], ...]:
    """One IPv4 value — a public address while the coop's ipv4 pools have one, else a CGNAT share —
    and one IPv6 prefix: the lowest free slot of the first pool of each family with room."""
    records = repo.pools(session, tenant_id)
    out = []
    for family in (("ipv4", "cgnat"), ("ipv6",)):
        candidates = [r for kind in family for r in records if r.kind == kind]
        exhausted = None
        for record in candidates:
            pid = record.id
            spec = pool_rules.PoolSpec(record.name, record.kind, record.prefix, record.port_block,
                                       record.delegated_length)
            try:
                slot = pool_rules.lowest_free(spec, repo.live_slots(session, pid))
            except InfeasibleError as exc:  # this pool is full: the next of the family
                exhausted = exc
                continue
            out.append((pid, slot, spec.kind, pool_rules.value_of(spec, slot).text))
            break
        else:
            if exhausted is not None:
                raise exhausted
    return tuple(out)


def _subscribers(session: Any, tenant_id: int, trickle: int, *, replacing: int,
                 this: tuple[Any, Any, str, list[tuple[str, str]]]) -> list[dict[str, Any]]:
    """The coop's `subscribers` section: every active or suspended subscription, with the one being
    changed as it will be."""
    rows = repo.subscriptions(session, tenant_id, states=("active", "suspended"))
    held = repo.allocations(session, [s.id for s, *_ in rows] + [replacing])
    entries = []
    for sub, _member, plan, line in rows:
        if sub.id == replacing:
            continue
        entries.append(_entry(line, plan, sub.state, [(a.kind, a.value) for a in held[sub.id]], trickle))
    line, plan, state, granted = this
    if state in ("active", "suspended"):
        entries.append(_entry(line, plan, state, [(a.kind, a.value) for a in held[replacing]] + granted, trickle))
    return sorted(entries, key=lambda e: e["line"])


def _entry(line: Any, plan: Any, state: str, values: list[tuple[str, str]], trickle: int) -> dict[str, Any]:
    rates = core.shaped_rates(state, plan.down_bps, plan.up_bps, trickle)
    assert rates is not None
    v4 = next((v for kind, v in values if kind in ("ipv4", "cgnat")), None)  # "a.b.c.d" or "a.b.c.d:ports"
    v6 = next((v for kind, v in values if kind == "ipv6"), None)
    address, _, ports = (v4 or "").partition(":")
    return core.subscriber_entry(line=line.name, router=line.router, port=line.port, down=rates[0], up=rates[1],
                                 suspended=state == "suspended", ipv4=address or None, ipv4_ports=ports or None,
                                 ipv6=v6)


def _writer(prepared: _Prepared, subscription: int, now: datetime) -> Callable[[Any, Any], None]:
    def write(session: Any, _result: Any) -> None:
        _write(session, prepared, subscription, now)
    return write


def _write(session: Any, prepared: _Prepared, subscription: int, now: datetime) -> None:
    """The step's rows, in the caller's transaction (the apply's, when the network changes)."""
    repo.move(session, subscription, prepared.from_state, prepared.to_state, now, plan_id=prepared.plan_id)
    for pool, slot, _kind, value in prepared.grants:
        try:
            repo.allocate(session, pool, subscription, slot, value, now)
        except AllocationClash:
            raise ConflictError(f"address {value} was given to another member meanwhile", field="pools",
                                value=value, accepted="try again") from None
    if prepared.to_state == "ended":
        repo.release(session, subscription, now)


# -- reads -------------------------------------------------------------------------------------------

def view(store: Any, coop: str, subscription: int) -> dict[str, Any]:
    with store.session() as session:
        tenant_id = repo.coop_id(session, coop)
        repo.subscription(session, tenant_id, subscription)  # NotFoundError for another coop's
        rows = [r for r in repo.subscriptions(session, tenant_id) if r[0].id == subscription]
        held = repo.allocations(session, [subscription], live_only=False)[subscription]
        trickle = repo.trickle_bps(session, tenant_id, core.DEFAULT_TRICKLE_BPS)
        return _subscription_view(*rows[0], held, trickle)


def subscriptions(store: Any, coop: str) -> list[dict[str, Any]]:
    with store.session() as session:
        tenant_id = repo.coop_id(session, coop)
        rows = repo.subscriptions(session, tenant_id)
        held = repo.allocations(session, [r[0].id for r in rows], live_only=False)
        trickle = repo.trickle_bps(session, tenant_id, core.DEFAULT_TRICKLE_BPS)
        return [_subscription_view(*r, held[r[0].id], trickle) for r in rows]


def members(store: Any, coop: str) -> list[dict[str, Any]]:
    with store.session() as session:
        return [_member_view(m) for m in repo.members(session, repo.coop_id(session, coop))]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _subscription_view(sub: Any, member: Any, plan: Any, line: Any, held: list[repo.Allocation],
                       trickle: int) -> dict[str, Any]:
    rates = core.shaped_rates(sub.state, plan.down_bps, plan.up_bps, trickle)
    return {
        "id": sub.id, "state": sub.state, "member": {"id": member.id, "name": member.name},
        "plan": {"name": plan.name, "down_bps": plan.down_bps, "up_bps": plan.up_bps,
                 "monthly_cents": plan.monthly_cents},
        "line": {"name": line.name, "router": line.router, "port": line.port},
        "shaped": None if rates is None else {"down_bps": rates[0], "up_bps": rates[1],
                                              "text": core.rates_text(*rates)},
        "addresses": [{"pool": a.pool, "kind": a.kind, "value": a.value, "allocated_at": _iso(a.allocated_at),
                       "released_at": _iso(a.released_at)} for a in held],
        "requested_at": _iso(sub.requested_at), "activated_at": _iso(sub.activated_at),
        "suspended_at": _iso(sub.suspended_at), "ended_at": _iso(sub.ended_at),
        "plan_changed_at": _iso(sub.plan_changed_at),
    }


def _member_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "email": row.email, "address": row.address,
            "created_at": _iso(row.created_at)}


def _plan_view(row: Any) -> dict[str, Any]:
    return {"name": row.name, "down_bps": row.down_bps, "up_bps": row.up_bps, "monthly_cents": row.monthly_cents}


def _line_view(row: Any) -> dict[str, Any]:
    return {"name": row.name, "router": row.router, "port": row.port, "ceiling_down_bps": row.ceiling_down_bps,
            "ceiling_up_bps": row.ceiling_up_bps}


def _plan_input(row: Any) -> core.PlanInput:
    return core.PlanInput(row.name, row.down_bps, row.up_bps, row.monthly_cents)


def _line_input(row: Any) -> core.LineInput:
    return core.LineInput(row.name, row.router, row.port, row.ceiling_down_bps, row.ceiling_up_bps)


def _plan_rates(row: Any) -> tuple[int, int]:
    return row.down_bps, row.up_bps




# -- the coop's backhaul against its members' demand -------------------------------------------------

def backhaul(store: Any, coop: str, *, service: str | None = None, model: SizingModel | None = None
             ) -> dict[str, Any]:
    """The coop's members' committed and busy-hour demand against its backhaul (coop.demand): the load,
    `ok` / `warning` (≥ 80 %) / `saturated`, and the rate to buy when not ok. `service`: the coop's
    Internet service that is its backhaul (default: its fastest)."""
    with store.session() as session:
        tenant_id = repo.coop_id(session, coop)
        document = change_repo.latest_intent_document(session, coop) or {}
        trickle = repo.trickle_bps(session, tenant_id, core.DEFAULT_TRICKLE_BPS)
        rows = repo.subscriptions(session, tenant_id, states=("active", "suspended"))
    chosen = _backhaul_service(document, service)
    if chosen is None:
        return {"service": None, "status": "no-backhaul", "members": len(rows), "offer_bps": None}
    loads = []
    for sub, _member, plan, _line in rows:
        rates = core.shaped_rates(sub.state, plan.down_bps, plan.up_bps, trickle)
        assert rates is not None
        loads.append(demand.MemberLoad(sub.state, *rates))
    return {"service": chosen["name"], "site": chosen["site"],
            **demand.backhaul_load(int(chosen["rate"]), loads, model).to_dict()}


def plan_backhaul(store: Any, coop: str, *, actor: str, service: str | None = None,
                  model: SizingModel | None = None) -> dict[str, Any]:
    """The offered backhaul increase as a plan through the change service (nothing applied: the plan
    carries its price; apply it like any plan). Refused when the backhaul is not under pressure."""
    load = backhaul(store, coop, service=service, model=model)
    if load["offer_bps"] is None:
        raise ValidationError(f"the backhaul is {load['status']}: there is no increase to offer", field="service",
                              value=load.get("service"),
                              accepted=f"a backhaul at {demand.WARN_AT:.0%} or more of its rate")
    document = _latest_document(store, coop)
    rate = int(load["offer_bps"])
    for svc in document.get("services", []):
        if svc.get("name") == load["service"]:
            svc["rate"] = rate
    for site in document.get("sites", []):
        access = site["access"]
        if site.get("name") == load["site"] and int(access["down"]) < rate:
            # the line must carry the new rate (within its port, else the engine says so); a symmetric line
            # (fibre, public backbone) stays symmetric
            if int(access["up"]) == int(access["down"]):
                access["up"] = rate
            access["down"] = rate
    document.pop("tenant", None)
    planned = plan_change(store, coop, document, actor=actor)
    return {"plan_id": planned.id, "service": load["service"], "rate_bps": rate, "summary": list(planned.summary),
            "price": planned.price, "load": load}


def _latest_document(store: Any, coop: str) -> dict[str, Any]:
    with store.session() as session:
        repo.coop_id(session, coop)
        return copy.deepcopy(change_repo.latest_intent_document(session, coop) or {})


def _backhaul_service(document: dict[str, Any], name: str | None) -> dict[str, Any] | None:
    internet = [s for s in document.get("services", []) if s.get("kind") == "internet"]
    if name is not None:
        found = next((s for s in internet if s["name"] == name), None)
        if found is None:
            raise ValidationError("not an Internet service of the coop", field="service", value=name,
                                  accepted=", ".join(sorted(s["name"] for s in internet)) or "none")
        return found
    return max(internet, key=lambda s: (int(s["rate"]), s["name"]), default=None)
