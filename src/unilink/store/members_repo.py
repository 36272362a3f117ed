"""The rows of a cooperative's members (store.tables.members): plain reads and writes, each scoped by
the coop's tenant id, so another coop's member, plan or line is simply not found (NotFoundError,
404), never shown. Writes that meet a unique index raise the error the caller shows; an address
allocation that loses a race raises `AllocationClash` inside a savepoint, so the caller's
transaction goes on and takes the next slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from unilink.errors import ConflictError, NotFoundError
from unilink.store.tables.members import (
    AddressAllocationRow,
    AddressPoolRow,
    MemberLineRow,
    MemberPlanRow,
    MemberRow,
    MemberSettingsRow,
    SubscriptionRow,
)
from unilink.store.tables.tenancy import Tenant

OPEN_STATES = ("requested", "active", "suspended")  # as coop.members says (the store may not import coop)


class AllocationClash(Exception):
    """Another transaction holds the slot: take the next one."""


@dataclass(frozen=True, slots=True)
class PoolRecord:
    id: int
    name: str
    kind: str
    prefix: str
    port_block: int | None
    delegated_length: int | None


@dataclass(frozen=True, slots=True)
class Allocation:
    pool: str
    kind: str
    slot: int
    value: str
    allocated_at: datetime
    released_at: datetime | None


def coop_id(session: Session, coop: str) -> int:
    """The id of cooperative tenant `coop`; NotFoundError for an unknown name or another kind of tenant."""
    row = session.scalars(select(Tenant).where(Tenant.name == coop)).one_or_none()
    if row is None or row.kind != "cooperative":
        raise NotFoundError("no such cooperative", field="coop", value=coop,
                            accepted="the name of a cooperative tenant")
    return row.id


def _add(session: Session, row: object, *, field: str, value: object, what: str) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise ConflictError(f"{what} exists already", field=field, value=value) from None


def add_member(session: Session, tenant_id: int, *, name: str, email: str, address: str, now: datetime
               ) -> MemberRow:
    row = MemberRow(tenant_id=tenant_id, name=name, email=email, address=address, created_at=now)
    _add(session, row, field="member.email", value=email, what="a member with this e-mail")
    return row


def add_plan(session: Session, tenant_id: int, *, name: str, down_bps: int, up_bps: int, monthly_cents: int
             ) -> MemberPlanRow:
    row = MemberPlanRow(tenant_id=tenant_id, name=name, down_bps=down_bps, up_bps=up_bps, monthly_cents=monthly_cents)
    _add(session, row, field="plan.name", value=name, what="a plan of this name")
    return row


def add_line(session: Session, tenant_id: int, *, name: str, router: str, port: str, ceiling_down_bps: int,
             ceiling_up_bps: int) -> MemberLineRow:
    if session.scalars(select(MemberLineRow).where(MemberLineRow.router == router,
                                                   MemberLineRow.port == port)).first() is not None:
        raise ConflictError("this port of the access router carries another line", field="line.port",
                            value=port, accepted=f"a port of {router} no line uses")
    row = MemberLineRow(tenant_id=tenant_id, name=name, router=router, port=port,
                        ceiling_down_bps=ceiling_down_bps, ceiling_up_bps=ceiling_up_bps)
    _add(session, row, field="line.name", value=name, what="a line of this name")
    return row


def add_pool(session: Session, tenant_id: int, *, name: str, kind: str, prefix: str, port_block: int | None,
             delegated_length: int | None) -> AddressPoolRow:
    row = AddressPoolRow(tenant_id=tenant_id, name=name, kind=kind, prefix=prefix, port_block=port_block,
                         delegated_length=delegated_length)
    _add(session, row, field="pool.name", value=name, what="a pool of this name")
    return row


def pools(session: Session, tenant_id: int) -> list[PoolRecord]:
    """The coop's pools in the order they were added (the order addresses are taken from)."""
    rows = session.scalars(select(AddressPoolRow).where(AddressPoolRow.tenant_id == tenant_id)
                           .order_by(AddressPoolRow.id))
    return [PoolRecord(r.id, r.name, r.kind, r.prefix, r.port_block, r.delegated_length) for r in rows]


def trickle_bps(session: Session, tenant_id: int, default: int) -> int:
    row = session.get(MemberSettingsRow, tenant_id)
    return row.trickle_bps if row is not None else default


def set_trickle_bps(session: Session, tenant_id: int, bps: int) -> None:
    row = session.get(MemberSettingsRow, tenant_id)
    if row is None:
        session.add(MemberSettingsRow(tenant_id=tenant_id, trickle_bps=bps))
    else:
        row.trickle_bps = bps
    session.flush()


def _scoped(session: Session, table: type, tenant_id: int, key: object, *, field: str, what: str,
            by: str = "id") -> object:
    column = getattr(table, by)
    row = session.scalars(select(table).where(table.tenant_id == tenant_id, column == key)).one_or_none()
    if row is None:  # another coop's row answers the same: not found
        raise NotFoundError(f"no such {what}", field=field, value=key)
    return row


def member(session: Session, tenant_id: int, member_id: int) -> MemberRow:
    return _scoped(session, MemberRow, tenant_id, member_id, field="member", what="member")  # type: ignore[return-value]


def plan_named(session: Session, tenant_id: int, name: str) -> MemberPlanRow:
    try:
        return _scoped(session, MemberPlanRow, tenant_id, name, field="plan", what="plan",  # type: ignore[return-value]
                       by="name")
    except NotFoundError:
        names = session.scalars(select(MemberPlanRow.name).where(MemberPlanRow.tenant_id == tenant_id)
                                .order_by(MemberPlanRow.name))
        raise NotFoundError("no such plan", field="plan", value=name,
                            accepted=", ".join(names) or "no plan yet: add one first") from None


def plan_by_id(session: Session, plan_id: int) -> MemberPlanRow:
    return session.get_one(MemberPlanRow, plan_id)


def line_named(session: Session, tenant_id: int, name: str) -> MemberLineRow:
    try:
        return _scoped(session, MemberLineRow, tenant_id, name, field="line", what="line",  # type: ignore[return-value]
                       by="name")
    except NotFoundError:
        names = session.scalars(select(MemberLineRow.name).where(MemberLineRow.tenant_id == tenant_id)
                                .order_by(MemberLineRow.name))
        raise NotFoundError("no such line", field="line", value=name,
                            accepted=", ".join(names) or "no line yet: add one first") from None


def line_by_id(session: Session, line_id: int) -> MemberLineRow:
    return session.get_one(MemberLineRow, line_id)


def subscription(session: Session, tenant_id: int, subscription_id: int) -> SubscriptionRow:
    return _scoped(session, SubscriptionRow, tenant_id, subscription_id,  # type: ignore[return-value]
                   field="subscription", what="subscription")


def open_subscription_on(session: Session, line_id: int) -> SubscriptionRow | None:
    return session.scalars(select(SubscriptionRow).where(SubscriptionRow.line_id == line_id,
                                                         SubscriptionRow.state.in_(OPEN_STATES))).first()


def add_subscription(session: Session, tenant_id: int, member_id: int, plan_id: int, line_id: int,
                     line_name: str, now: datetime) -> SubscriptionRow:
    row = SubscriptionRow(tenant_id=tenant_id, member_id=member_id, plan_id=plan_id, line_id=line_id,
                          state="requested", requested_at=now)
    _add(session, row, field="line", value=line_name, what="an open subscription on this line")
    return row


def move(session: Session, subscription_id: int, from_state: str, to_state: str, now: datetime, *,
         plan_id: int | None = None) -> None:
    """Move a subscription from `from_state` (checked in the UPDATE: a concurrent move makes this one
    refuse, ConflictError) to `to_state`, stamping the step's time."""
    values: dict[str, object] = {"state": to_state}
    stamp = {"active": "activated_at", "suspended": "suspended_at", "ended": "ended_at"}.get(to_state)
    if stamp is not None and not (to_state == "active" and from_state == "suspended"):
        values[stamp] = now
    if plan_id is not None:
        values.update(plan_id=plan_id, plan_changed_at=now)
    done = session.execute(update(SubscriptionRow).where(SubscriptionRow.id == subscription_id,
                                                         SubscriptionRow.state == from_state).values(**values))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"subscription {subscription_id} changed meanwhile (it is no longer {from_state})",
                            field="subscription", value=subscription_id, accepted="try again")
    session.expire_all()


def live_slots(session: Session, pool: int) -> set[int]:
    return set(session.scalars(select(AddressAllocationRow.slot).where(AddressAllocationRow.pool_id == pool,
                                                                       AddressAllocationRow.released_at.is_(None))))


def allocate(session: Session, pool: int, subscription_id: int, slot: int, value: str, now: datetime) -> None:
    """Give `slot` of `pool` to the subscription, in a savepoint: AllocationClash if a live
    allocation holds it (the caller's transaction stays usable)."""
    try:
        with session.begin_nested():
            session.add(AddressAllocationRow(pool_id=pool, subscription_id=subscription_id, slot=slot, value=value,
                                             allocated_at=now))
            session.flush()
    except IntegrityError:
        raise AllocationClash(f"pool {pool} slot {slot}") from None


def release(session: Session, subscription_id: int, now: datetime) -> int:
    done = session.execute(update(AddressAllocationRow).where(AddressAllocationRow.subscription_id == subscription_id,
                                                              AddressAllocationRow.released_at.is_(None))
                           .values(released_at=now))
    return int(done.rowcount)  # type: ignore[attr-defined]


def allocations(session: Session, subscription_ids: Iterable[int], *, live_only: bool = True
                ) -> dict[int, list[Allocation]]:
    ids = list(subscription_ids)
    out: dict[int, list[Allocation]] = {i: [] for i in ids}
    if not ids:
        return out
    query = (select(AddressAllocationRow, AddressPoolRow).join(AddressPoolRow)
             .where(AddressAllocationRow.subscription_id.in_(ids)).order_by(AddressAllocationRow.id))
    if live_only:
        query = query.where(AddressAllocationRow.released_at.is_(None))
    for alloc, pool in session.execute(query):
        out[alloc.subscription_id].append(Allocation(pool.name, pool.kind, alloc.slot, alloc.value,
                                                     alloc.allocated_at, alloc.released_at))
    return out


def subscriptions(session: Session, tenant_id: int, *, states: Iterable[str] | None = None
                  ) -> list[tuple[SubscriptionRow, MemberRow, MemberPlanRow, MemberLineRow]]:
    query = (select(SubscriptionRow, MemberRow, MemberPlanRow, MemberLineRow)
             .join(MemberRow, SubscriptionRow.member_id == MemberRow.id)
             .join(MemberPlanRow, SubscriptionRow.plan_id == MemberPlanRow.id)
             .join(MemberLineRow, SubscriptionRow.line_id == MemberLineRow.id)
             .where(SubscriptionRow.tenant_id == tenant_id).order_by(SubscriptionRow.id))
    if states is not None:
        query = query.where(SubscriptionRow.state.in_(list(states)))
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def members(session: Session, tenant_id: int) -> list[MemberRow]:
    return list(session.scalars(select(MemberRow).where(MemberRow.tenant_id == tenant_id).order_by(MemberRow.id)))
