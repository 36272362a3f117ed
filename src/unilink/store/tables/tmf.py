"""TM Forum façade: the TMF641 service orders a buyer placed, the cancellation requests, and the event
hub registrations of the TMF APIs (TMF641, TMF638, TMF633).

A service order is translated into one intent change (`unilink.usecases.tmf_orders`); its row keeps
the order as the buyer sent it, each item's state, and the native plan it became. The field-work
orders that change raised are linked one per row of `tmf_order_links`, so that a native order's move
finds the TMF orders that follow it with one indexed read. A hub registration is a webhook of the
native machinery (`webhooks`, on the auth branch: referenced by id, not by a foreign key across
branches) plus the subscription as TMF shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime


class TmfServiceOrderRow(Base):
    """One TMF641 serviceOrder: `document` is the order as stored (its attributes and items with their
    states); `state` is also a column so that lists filter on it."""

    __tablename__ = "tmf_service_orders"
    __table_args__ = (Index("ix_tmf_service_orders_tenant_id_seq", "tenant_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)  # the order orders were placed in
    id: Mapped[str] = mapped_column(String(40), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(24))
    plan_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the native plan it became
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TmfOrderLinkRow(Base):
    """A native field-work order (`service_orders.id`) a TMF service order waits for, and its site."""

    __tablename__ = "tmf_order_links"

    service_order_id: Mapped[str] = mapped_column(ForeignKey("tmf_service_orders.id", ondelete="CASCADE"),
                                                  primary_key=True)
    native_order_id: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    site: Mapped[str] = mapped_column(String(200))


class TmfCancelOrderRow(Base):
    """One TMF641 cancelServiceOrder request."""

    __tablename__ = "tmf_cancel_orders"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    service_order_id: Mapped[str] = mapped_column(ForeignKey("tmf_service_orders.id", ondelete="CASCADE"))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TmfHubRow(Base):
    """A TMF event hub registration (`POST {basePath}/hub`) of one API, delivered by webhook `webhook_id`."""

    __tablename__ = "tmf_hubs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    api: Mapped[str] = mapped_column(String(32))        # serviceOrdering | serviceInventory | serviceCatalog
    tenant: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # None: an operator's
    webhook_id: Mapped[int] = mapped_column(Integer)
    callback: Mapped[str] = mapped_column(String(2000))
    query: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
