"""The change engine's rows: plans, reservations, pool allocations, deployments, intent versions,
orders and history — what `unilink.engine` reads and writes, behind its `ports.ChangeStore`.

The hot path (plan → apply) uses prebuilt Core statements:

A single-site change runs about twenty statements; through the ORM each one costs 100–350 µs of
Python (building the statement, its cache key, the unit of work), several times what SQLite needs
to run it. Statements built once with bind parameters, executed on the session's connection (same
transaction as the ORM work around them), cost a fraction of that. Reads return plain rows; writes
take plain dicts. The rest (status, history, intent versions) uses the ORM as usual.
A clash on a UNIQUE constraint is raised as `RowClash`, so that the engine needs no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from unilink.errors import NotFoundError
from unilink.services.order_states import CLOSED_STATES
from unilink.store.db import connection_of
from unilink.store.tables.inventory import TopologyRow
from unilink.store.tables.members import MemberLineRow
from unilink.store.tables.services import (
    ChangeHistoryRow,
    DeploymentRow,
    EngineStateRow,
    IntentVersionRow,
    PlanRow,
    PoolAllocationRow,
    ReservationRow,
    ServiceOrderRow,
)
from unilink.store.tables.tenancy import Tenant
from unilink.store.tenancy import get_tenant

Executor = Session | Connection  # the records work in an ORM session's transaction or on a bare connection

_CLOSED_STATE_NAMES = tuple(sorted(state.value for state in CLOSED_STATES))  # plain strings for the driver


_TOPOLOGY = select(TopologyRow.version).where(TopologyRow.id == 1).scalar_subquery()
_SEQ = select(EngineStateRow.ledger_seq).where(EngineStateRow.id == 1).scalar_subquery()

_VERSIONS = select(_TOPOLOGY, _SEQ)
_PLAN_CONTEXT = select(  # what a plan reads first, in one statement
    Tenant.id, Tenant.name, _TOPOLOGY.label("topology"), _SEQ.label("seq"),
    select(DeploymentRow.revision).where(DeploymentRow.tenant_id == Tenant.id).scalar_subquery().label("revision"),
).where(Tenant.name == bindparam("name"))
_REVISION = select(DeploymentRow.revision).where(DeploymentRow.tenant_id == bindparam("tenant_id"))
_OPEN_ORDERS = select(ServiceOrderRow.id, ServiceOrderRow.site).where(
    ServiceOrderRow.tenant_id == bindparam("tenant_id"), ServiceOrderRow.state.notin_(_CLOSED_STATE_NAMES))
_PLAN_HEAD = select(
    PlanRow.id, PlanRow.tenant_id, PlanRow.fingerprint, PlanRow.status, PlanRow.expires_at,
    select(DeploymentRow.revision).where(DeploymentRow.tenant_id == PlanRow.tenant_id).scalar_subquery(),
    _TOPOLOGY, _SEQ,
    select(func.max(IntentVersionRow.version)).where(IntentVersionRow.tenant_id == PlanRow.tenant_id)
    .scalar_subquery(),
).where(PlanRow.id == bindparam("plan_id"))
_PLAN_CONTENT = select(PlanRow.content).where(PlanRow.id == bindparam("plan_id"))
_LOCK = update(EngineStateRow).where(EngineStateRow.id == 1).values(ledger_seq=EngineStateRow.ledger_seq + 1)
_INSERT_PLAN = insert(PlanRow)
_PLAN_APPLIED = update(PlanRow).where(PlanRow.id == bindparam("plan_id")).values(
    status="applied", applied_at=bindparam("at"))
_INSERT_INTENT = insert(IntentVersionRow)
_INSERT_DEPLOYMENT = insert(DeploymentRow)
_UPDATE_DEPLOYMENT = update(DeploymentRow).where(DeploymentRow.tenant_id == bindparam("tenant"))
_INSERT_HISTORY = insert(ChangeHistoryRow)
_INSERT_RESERVATIONS = insert(ReservationRow).returning(
    ReservationRow.id, ReservationRow.service, ReservationRow.link, ReservationRow.direction)
_DELETE_RESERVATIONS = delete(ReservationRow).where(ReservationRow.id.in_(bindparam("ids", expanding=True)))


def plan_context(session: Executor, name: str) -> Row[Any]:
    """(tenant id, tenant name, topology version, ledger sequence, deployed revision or None) for a plan
    of tenant `name`; NotFoundError as `store.tenancy.get_tenant` raises it."""
    found = connection_of(session).execute(_PLAN_CONTEXT, {"name": name}).first()
    if found is None:
        raise NotFoundError("no such tenant", field="tenant", value=name, accepted="the name of an existing tenant")
    return found


def versions(session: Executor) -> tuple[int, int]:
    """(topology version, ledger sequence number)."""
    topology, seq = connection_of(session).execute(_VERSIONS).one()
    return int(topology or 0), int(seq)


def deployed_revision(session: Executor, tenant_id: int) -> int | None:
    return connection_of(session).execute(_REVISION, {"tenant_id": tenant_id}).scalar()


def open_orders(session: Executor, tenant_id: int) -> dict[str, str]:
    """site → id of the tenant's orders still open."""
    return {site: order_id for order_id, site in connection_of(session).execute(_OPEN_ORDERS, {"tenant_id": tenant_id})}


def plan_head(session: Executor, plan_id: str) -> Row[Any] | None:
    """(id, tenant_id, fingerprint, status, expires_at, revision, topology version, ledger sequence,
    latest intent version): everything an apply checks first, in one statement."""
    return connection_of(session).execute(_PLAN_HEAD, {"plan_id": plan_id}).first()


def plan_content(session: Executor, plan_id: str) -> dict[str, Any]:
    return connection_of(session).execute(_PLAN_CONTENT, {"plan_id": plan_id}).scalar_one()  # type: ignore[no-any-return]


def lock(session: Executor) -> None:
    connection_of(session).execute(_LOCK)


def insert_plan(session: Executor, **values: Any) -> None:
    connection_of(session).execute(_INSERT_PLAN, values)


def mark_applied(session: Executor, plan_id: str, at: datetime) -> None:
    connection_of(session).execute(_PLAN_APPLIED, {"plan_id": plan_id, "at": at})


def insert_intent_version(session: Executor, **values: Any) -> None:
    """RowClash when another apply wrote the same version number meanwhile (UNIQUE tenant, version)."""
    with clashes_raised():
        connection_of(session).execute(_INSERT_INTENT, values)


def save_deployment(session: Executor, *, first: bool, **values: Any) -> None:
    if first:
        connection_of(session).execute(_INSERT_DEPLOYMENT, values)
    else:
        tenant = values.pop("tenant_id")
        connection_of(session).execute(_UPDATE_DEPLOYMENT, {"tenant": tenant, **values})


def insert_history(session: Executor, **values: Any) -> None:
    connection_of(session).execute(_INSERT_HISTORY, values)


def insert_reservations(session: Executor, rows: list[dict[str, Any]]) -> list[Row[Any]]:
    """Insert reservation rows in one statement; (id, service, link, direction) of each, in no set order."""
    return list(connection_of(session).execute(_INSERT_RESERVATIONS, rows).all())


def delete_reservations(session: Executor, ids: list[int]) -> None:
    connection_of(session).execute(_DELETE_RESERVATIONS, {"ids": ids})


def cancel_orders(session: Executor, tenant_id: int, orders: list[dict[str, Any]], now: datetime, actor: str,
                  plan_id: str) -> list[str]:
    """Cancel the tenant's `orders` (as a plan's `cancel_orders` lists them) that are still open, each with
    its history row (the order's state event); the ids cancelled."""
    done = []
    connection = connection_of(session)
    for order in orders:
        moved = connection.execute(
            update(ServiceOrderRow).where(ServiceOrderRow.id == order["id"], ServiceOrderRow.tenant_id == tenant_id,
                                          ServiceOrderRow.state.notin_(_CLOSED_STATE_NAMES))
            .values(state="cancelled", updated_at=now)).rowcount
        if moved:
            connection.execute(_INSERT_HISTORY, {
                "tenant_id": tenant_id, "at": now, "actor": actor, "reason": f"order cancelled: {order['reason']}",
                "action": "order", "plan_id": plan_id, "intent_version": None,
                "summary": {"order": order["id"], "state": "cancelled"}})
            done.append(order["id"])
    return done


class RowClash(Exception):
    """A write met a UNIQUE constraint: another transaction took the row first."""


@contextmanager
def clashes_raised() -> Iterator[None]:
    """Raise an IntegrityError of the block as RowClash (the caller says what it means)."""
    try:
        yield
    except IntegrityError as exc:
        raise RowClash(str(exc.orig)) from exc


def flush(session: Session) -> None:
    """Send the pending ORM writes now (RowClash on a UNIQUE constraint)."""
    with clashes_raised():
        session.flush()


def mark_plan(session: Executor, plan_id: str, status: str) -> None:
    """Give a ready plan its final status (superseded, failed…); a plan no longer ready keeps its own."""
    connection_of(session).execute(update(PlanRow).where(PlanRow.id == plan_id, PlanRow.status == "ready")
                                   .values(status=status))


def plan_status(session: Session, plan_id: str) -> tuple[str, int] | None:
    """(status, tenant id) of a plan, or None."""
    row = session.get(PlanRow, plan_id)
    return (row.status, row.tenant_id) if row is not None else None


def deployment(session: Session, tenant_id: int
               ) -> tuple[int, int | None, dict[str, Any], dict[str, Any], dict[str, Any] | None] | None:
    """(revision, intent version, deployed document, physical, document of that intent version) or None."""
    row = session.get(DeploymentRow, tenant_id)
    if row is None:
        return None
    desired = session.scalars(select(IntentVersionRow.document).where(
        IntentVersionRow.tenant_id == tenant_id, IntentVersionRow.version == row.intent_version)).first()
    return (row.revision, row.intent_version, row.document, dict(row.physical),
            dict(desired) if desired is not None else None)


# -- apply: pool allocations and orders (ORM: flushed together before any router is touched) ----------


def release_allocations(session: Session, keys: Iterable[tuple[str, str, str]]) -> None:
    for pool, scope, owner in keys:
        session.execute(delete(PoolAllocationRow).where(PoolAllocationRow.pool == pool,
                                                        PoolAllocationRow.scope == scope,
                                                        PoolAllocationRow.owner == owner))


def add_allocations(session: Session, tenant_id: int, values: Iterable[tuple[str, str, str, int]]) -> None:
    for pool, scope, owner, value in values:
        session.add(PoolAllocationRow(tenant_id=tenant_id, pool=pool, scope=scope, owner=owner, value=value))


def add_order(session: Session, *, order_id: str, tenant_id: int, plan_id: str, work: dict[str, Any],
              now: datetime) -> None:
    """A new order (acknowledged) for one field work of a plan (`FieldWork.to_dict()`)."""
    session.add(ServiceOrderRow(id=order_id, tenant_id=tenant_id, state="acknowledged", kind=work["kind"],
                                site=work["site"], description=work["description"], item=work["item"],
                                lead_time_days=work["lead_time_days"], plan_id=plan_id, requested_at=now,
                                due_at=now + timedelta(days=work["lead_time_days"]), updated_at=now))


# -- reading -------------------------------------------------------------------------------------------


def latest_intent_document(session: Session, tenant: str) -> dict[str, Any] | None:
    tenant_row = get_tenant(session, tenant)
    row = session.scalars(select(IntentVersionRow).where(IntentVersionRow.tenant_id == tenant_row.id)
                          .order_by(IntentVersionRow.version.desc()).limit(1)).one_or_none()
    return dict(row.document) if row else None


def intent_document(session: Session, tenant: str, version: int) -> tuple[dict[str, Any] | None, list[int]]:
    """(the document of intent `version` or None, every version number of the tenant when it is None)."""
    tenant_row = get_tenant(session, tenant)
    row = session.scalars(select(IntentVersionRow).where(IntentVersionRow.tenant_id == tenant_row.id,
                                                          IntentVersionRow.version == version)).one_or_none()
    if row is not None:
        return dict(row.document), []
    versions = session.scalars(select(IntentVersionRow.version).where(IntentVersionRow.tenant_id == tenant_row.id))
    return None, sorted(versions.all())


def history(session: Session, tenant: str | None, limit: int) -> list[tuple[ChangeHistoryRow, str]]:
    """The newest history rows (of `tenant`, or of every tenant), with their tenant's name."""
    query = select(ChangeHistoryRow, Tenant.name).join(Tenant, Tenant.id == ChangeHistoryRow.tenant_id)
    if tenant is not None:
        get_tenant(session, tenant)
        query = query.where(Tenant.name == tenant)
    return [(r, name) for r, name in session.execute(query.order_by(ChangeHistoryRow.id.desc()).limit(limit)).all()]


def reservation_count(session: Session, tenant_id: int) -> int:
    return len(session.scalars(select(ReservationRow.id).where(ReservationRow.tenant_id == tenant_id)).all())


def member_lines(session: Session, tenant_id: int) -> frozenset[tuple[str, str, str]]:
    """(line, router, port) of a cooperative's lines: the only ports its intent's `subscribers` may name."""
    rows = session.execute(select(MemberLineRow.name, MemberLineRow.router, MemberLineRow.port)
                           .where(MemberLineRow.tenant_id == tenant_id))
    return frozenset((name, router, port) for name, router, port in rows)


def open_order_ids(session: Session, tenant_id: int) -> list[str]:
    return sorted(session.scalars(select(ServiceOrderRow.id).where(
        ServiceOrderRow.tenant_id == tenant_id, ServiceOrderRow.state.notin_(_CLOSED_STATE_NAMES))).all())
