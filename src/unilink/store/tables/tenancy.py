"""Tenants: the operator's customers (enterprises, wholesale operators, telecom cooperatives)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime

TENANT_KINDS = ("enterprise", "operator", "cooperative")


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (CheckConstraint("kind IN ('enterprise', 'operator', 'cooperative')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def __repr__(self) -> str:
        return f"Tenant(id={self.id}, name={self.name!r}, kind={self.kind!r})"
