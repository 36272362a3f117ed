"""Backbone inventory tables: PoPs, routers, links (with SRLGs), interconnects (with areas).

Rows are keyed by a surrogate `id` (what other domains' foreign keys point at) and by a unique
`name` (what users and files speak). `position` keeps the order of the source file, so that a
network loaded back is the same list, in the same order, that was saved. The one-row `topology`
table holds the network's name and a version that bumps on every change: plans made against an
older version are stale.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Double, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unilink.store.base import Base, UtcDateTime

NAME_LEN = 64  # inventory.model.NAME_RE allows 64 characters
LINK_NAME_LEN = 200  # link names come from files ("Paris-London#2") and are not restricted like PoP names


class PopRow(Base):
    __tablename__ = "pops"
    __table_args__ = (
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)
    city: Mapped[str] = mapped_column(String(128))
    country: Mapped[str] = mapped_column(String(64))  # ISO 3166-1 alpha-2, "" when unknown
    lat: Mapped[float] = mapped_column(Double)
    lon: Mapped[float] = mapped_column(Double)


class RouterRow(Base):
    __tablename__ = "routers"
    __table_args__ = (CheckConstraint("role IN ('core', 'edge')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)
    pop_id: Mapped[int] = mapped_column(ForeignKey("pops.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    vendor: Mapped[str] = mapped_column(String(32))
    loopback: Mapped[str] = mapped_column(String(15))  # dotted-quad IPv4
    driver: Mapped[str] = mapped_column(String(32))

    pop: Mapped[PopRow] = relationship()


class LinkRow(Base):
    __tablename__ = "links"
    __table_args__ = (
        CheckConstraint("a_pop_id <> b_pop_id", name="distinct_ends"),
        CheckConstraint("capacity_bps > 0", name="capacity_positive"),
        CheckConstraint("length_km >= 0", name="length_nonnegative"),
        CheckConstraint("latency_ms >= 0", name="latency_nonnegative"),
        CheckConstraint("igp_metric >= 1 AND igp_metric <= 16777215", name="igp_metric_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(LINK_NAME_LEN), unique=True)
    a_pop_id: Mapped[int] = mapped_column(ForeignKey("pops.id"), index=True)
    b_pop_id: Mapped[int] = mapped_column(ForeignKey("pops.id"), index=True)
    a_router_id: Mapped[int | None] = mapped_column(ForeignKey("routers.id"), nullable=True)
    b_router_id: Mapped[int | None] = mapped_column(ForeignKey("routers.id"), nullable=True)
    capacity_bps: Mapped[int] = mapped_column(BigInteger)
    length_km: Mapped[float] = mapped_column(Double)
    latency_ms: Mapped[float] = mapped_column(Double)
    igp_metric: Mapped[int] = mapped_column(Integer)

    srlgs: Mapped[list[LinkSrlgRow]] = relationship(
        order_by="LinkSrlgRow.position", cascade="all, delete-orphan", passive_deletes=True
    )


class LinkSrlgRow(Base):
    """A shared-risk link group a link belongs to (same duct, same cable), in the order given."""

    __tablename__ = "link_srlgs"

    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    srlg: Mapped[str] = mapped_column(String(NAME_LEN), index=True)


class InterconnectRow(Base):
    __tablename__ = "interconnects"
    __table_args__ = (
        CheckConstraint("kind IN ('local_loop', 'public_backbone', 'transit', 'peering')", name="kind"),
        CheckConstraint("capacity_bps > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    pop_id: Mapped[int] = mapped_column(ForeignKey("pops.id"), index=True)
    partner: Mapped[str] = mapped_column(String(128))
    capacity_bps: Mapped[int] = mapped_column(BigInteger)

    areas: Mapped[list[InterconnectAreaRow]] = relationship(
        order_by="InterconnectAreaRow.position", cascade="all, delete-orphan", passive_deletes=True
    )


class InterconnectAreaRow(Base):
    """What an interconnect serves: a country code, a department ("FR-78"), a town name."""

    __tablename__ = "interconnect_areas"

    interconnect_id: Mapped[int] = mapped_column(ForeignKey("interconnects.id", ondelete="CASCADE"),
                                                 primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    area: Mapped[str] = mapped_column(String(128))


class TopologyRow(Base):
    """Exactly one row (id = 1): the network's name and its version."""

    __tablename__ = "topology"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
