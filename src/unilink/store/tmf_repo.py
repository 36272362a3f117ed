"""The TM Forum façade's rows (`unilink.store.tables.tmf`): service orders and their links to field-work
orders, cancellation requests, hub registrations. Queries only; the rules are in
`unilink.usecases.tmf_orders` and `unilink.usecases.tmf_hubs`.

Rows come back with the tenant's name beside them (the callers scope by tenant name).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from unilink.store.tables.tenancy import Tenant
from unilink.store.tables.tmf import TmfCancelOrderRow, TmfHubRow, TmfOrderLinkRow, TmfServiceOrderRow


def tenant_id(session: Session, tenant: str) -> int | None:
    return session.scalar(select(Tenant.id).where(Tenant.name == tenant))


# -- service orders ----------------------------------------------------------------------------------

def add_order(session: Session, *, order_id: str, tenant_id: int, state: str, document: dict[str, Any],
              at: datetime) -> TmfServiceOrderRow:
    row = TmfServiceOrderRow(id=order_id, tenant_id=tenant_id, state=state, plan_id=None, document=document,
                             created_at=at, updated_at=at)
    session.add(row)
    session.flush()
    return row


def order(session: Session, order_id: str, *, for_update: bool = False) -> tuple[TmfServiceOrderRow, str] | None:
    query = (select(TmfServiceOrderRow, Tenant.name).join(Tenant, Tenant.id == TmfServiceOrderRow.tenant_id)
             .where(TmfServiceOrderRow.id == order_id))
    if for_update:
        query = query.with_for_update(of=TmfServiceOrderRow)
    found = session.execute(query).first()
    return None if found is None else (found[0], found[1])


def orders(session: Session, tenant: str | None) -> list[tuple[TmfServiceOrderRow, str]]:
    """A tenant's orders (None: every tenant's), oldest first."""
    query = (select(TmfServiceOrderRow, Tenant.name).join(Tenant, Tenant.id == TmfServiceOrderRow.tenant_id)
             .order_by(TmfServiceOrderRow.seq))
    if tenant is not None:
        query = query.where(Tenant.name == tenant)
    return [(row, name) for row, name in session.execute(query)]


def save_order(session: Session, row: TmfServiceOrderRow, *, state: str, document: dict[str, Any],
               at: datetime, plan_id: str | None = None) -> None:
    row.state = state
    row.document = document  # a new dict: the JSON column sees the change
    row.updated_at = at
    if plan_id is not None:
        row.plan_id = plan_id
    session.flush()


def link(session: Session, service_order_id: str, native_order_id: str, site: str) -> None:
    session.add(TmfOrderLinkRow(service_order_id=service_order_id, native_order_id=native_order_id, site=site))
    session.flush()


def links(session: Session, service_order_id: str) -> list[tuple[str, str]]:
    """(native order id, site) of the field-work orders a service order waits for."""
    rows = session.execute(select(TmfOrderLinkRow.native_order_id, TmfOrderLinkRow.site)
                           .where(TmfOrderLinkRow.service_order_id == service_order_id)
                           .order_by(TmfOrderLinkRow.native_order_id))
    return [(native, site) for native, site in rows]


def orders_following(session: Session, native_order_id: str) -> list[str]:
    """The service orders that wait for native order `native_order_id`."""
    return list(session.scalars(select(TmfOrderLinkRow.service_order_id)
                                .where(TmfOrderLinkRow.native_order_id == native_order_id)))


# -- cancellation requests ---------------------------------------------------------------------------

def add_cancel(session: Session, *, cancel_id: str, tenant_id: int, service_order_id: str,
               document: dict[str, Any], at: datetime) -> None:
    session.add(TmfCancelOrderRow(id=cancel_id, tenant_id=tenant_id, service_order_id=service_order_id,
                                  document=document, created_at=at))
    session.flush()


def cancel(session: Session, cancel_id: str) -> tuple[TmfCancelOrderRow, str] | None:
    query = (select(TmfCancelOrderRow, Tenant.name).join(Tenant, Tenant.id == TmfCancelOrderRow.tenant_id)
             .where(TmfCancelOrderRow.id == cancel_id))
    found = session.execute(query).first()
    return None if found is None else (found[0], found[1])


def cancels(session: Session, tenant: str | None) -> list[tuple[TmfCancelOrderRow, str]]:
    query = (select(TmfCancelOrderRow, Tenant.name).join(Tenant, Tenant.id == TmfCancelOrderRow.tenant_id)
             .order_by(TmfCancelOrderRow.seq))
    if tenant is not None:
        query = query.where(Tenant.name == tenant)
    return [(row, name) for row, name in session.execute(query)]


# -- hubs --------------------------------------------------------------------------------------------

def add_hub(session: Session, *, hub_id: str, api: str, tenant: str | None, webhook_id: int, callback: str,
            query: str | None, at: datetime) -> TmfHubRow:
    row = TmfHubRow(id=hub_id, api=api, tenant=tenant, webhook_id=webhook_id, callback=callback, query=query,
                    created_at=at)
    session.add(row)
    session.flush()
    return row


def hub(session: Session, hub_id: str) -> TmfHubRow | None:
    return session.get(TmfHubRow, hub_id)


def delete_hub(session: Session, hub_id: str) -> None:
    session.execute(delete(TmfHubRow).where(TmfHubRow.id == hub_id))
