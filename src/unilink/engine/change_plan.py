"""The plan: what `plan()` computed and `apply()` runs, as one typed, immutable object.

A `Plan` is built once by the engine from the stages' results (engine.stages) and is never changed
afterwards (a new value is made with `dataclasses.replace`). Its document form (`to_document()`,
`Plan.from_document()`) is what the plans table stores and what the API, the CLI and the portal read
(engine.plan_views.plan_view): the same keys as before the plan was typed, plus `schema_version`.
A stored document without `schema_version` (written before it existed) loads as version 1.

The parts that only adapters read (the diff, the price, the orders, the tenant's attachments) are
kept as the JSON documents the stages produced: they are read-only by convention (copying them deep
on every plan would cost the hot path); the parts the engine itself reads at apply (base, bookings,
allocations, per-router changes) are typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from unilink.engine.keys import BookingKey, PoolKey, parse_booking_key

SCHEMA_VERSION = 2  # 1: the untyped content dict (no "schema_version" key); 2: this module's document

Document = Mapping[str, Any]  # a JSON document the engine passes on and never changes


@dataclass(frozen=True, slots=True)
class PlanBase:
    """The state the plan was computed against: the apply refuses the plan once it moved."""

    revision: int
    intent_version: int | None
    topology_version: int
    intent_base: int | None = None  # the intent version the caller's document was made from (engine.versions)

    def to_document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"revision": self.revision, "intent_version": self.intent_version,
                               "topology_version": self.topology_version}
        if self.intent_base is not None:
            out["intent_base"] = self.intent_base
        return out

    @classmethod
    def from_document(cls, doc: Document) -> PlanBase:
        return cls(int(doc["revision"]), doc.get("intent_version"), int(doc.get("topology_version") or 0),
                   doc.get("intent_base"))


@dataclass(frozen=True, slots=True)
class PlannedBooking:
    """Bandwidth the apply books: bit/s per (link, direction) over a window."""

    key: BookingKey
    arcs: tuple[tuple[str, str, int], ...]  # (link name, "ab" | "ba", bit/s)
    start: datetime
    end: datetime | None

    def to_document(self) -> dict[str, Any]:
        return {"key": self.key.stored(), "arcs": [list(a) for a in self.arcs], "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None}

    @classmethod
    def from_document(cls, doc: Document) -> PlannedBooking:
        return cls(parse_booking_key(doc["key"]), tuple((str(k), str(d), int(b)) for k, d, b in doc["arcs"]),
                   datetime.fromisoformat(doc["start"]), datetime.fromisoformat(doc["end"]) if doc["end"] else None)


@dataclass(frozen=True, slots=True)
class PlannedAllocation:
    """A pool value the apply takes (or gives back)."""

    key: PoolKey
    value: int

    def to_document(self) -> list[Any]:
        return [self.key.pool, self.key.scope, self.key.owner, self.value]

    @classmethod
    def from_document(cls, doc: Any) -> PlannedAllocation:
        pool, scope, owner, value = doc
        return cls(PoolKey(pool, scope, owner), int(value))


@dataclass(frozen=True, slots=True)
class RouterChange:
    """What the plan changes on one router: its config diff, and hashes of the configs before and after
    (the rendered text itself stays in memory: see engine.plan_cache)."""

    diff: str
    before_sha: str | None = None
    after_sha: str | None = None
    rendered: Document | None = None  # schema 1 plans saved before the hashes kept the whole config

    def to_document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"diff": self.diff}
        if self.before_sha is not None:
            out["before_sha"] = self.before_sha
        if self.after_sha is not None:
            out["after_sha"] = self.after_sha
        if self.rendered is not None:
            out["rendered"] = self.rendered
        return out

    @classmethod
    def from_document(cls, doc: Document) -> RouterChange:
        return cls(doc.get("diff", "") or "", doc.get("before_sha"), doc.get("after_sha"), doc.get("rendered"))


@dataclass(frozen=True)
class Plan:
    """A computed change of one tenant (see the module doc). `content` is its document."""

    id: str
    tenant: str
    fingerprint: str
    created_at: datetime
    empty: bool
    base: PlanBase
    desired: Document                  # the intent document the tenant asked for
    physical: Document                 # site → the lines installed once applied
    effective: Document | None         # what the apply deploys, when field work keeps part of `desired` back
    new_intent_version: bool           # the desired document differs from the last intent version
    changes: Document                  # services.intent_diff.ChangeSet.to_dict() of deployed → effective
    summary: tuple[str, ...]
    pending: Document | None           # effective → desired: what lands once the orders complete
    orders: tuple[Document, ...]       # every field work the desired intent needs
    new_orders: tuple[Document, ...]   # ... of which the apply raises these (the others are open already)
    open_orders: tuple[str, ...]
    cancel_orders: tuple[Document, ...]  # open orders the change makes pointless: cancelled on apply
    removals: tuple[Document, ...]     # live things the change takes away (applied only when confirmed)
    rename_hints: tuple[str, ...]
    release: tuple[int, ...]           # reservation ids the apply releases
    bookings: tuple[PlannedBooking, ...]
    new_allocations: tuple[PlannedAllocation, ...]
    released_allocations: tuple[PlannedAllocation, ...]
    devices: Mapping[str, RouterChange]  # router → its change
    price: Document                    # engine.pricing.PlanPrice.to_dict()
    attachments: Document              # the tenant's view of `devices` (engine.plan_views)
    actor: str = "unknown"
    hold: Document | None = None       # what the plan holds (engine.holds), when it holds anything
    schema_version: int = SCHEMA_VERSION  # the version it was stored with (written back as the current one)
    extra: Document = field(default_factory=dict)  # keys of a newer schema, kept as they are

    @property
    def is_empty(self) -> bool:
        return self.empty

    @property
    def deployed_document(self) -> Document:
        """The intent document the apply deploys."""
        return self.effective if self.effective is not None else self.desired

    @property
    def booked_links(self) -> set[str]:
        """The backbone links the plan books on (the apply's capacity alarms look at these)."""
        return {link for booking in self.bookings for link, _, _ in booking.arcs}

    @cached_property
    def content(self) -> dict[str, Any]:
        """The document form (read-only), as the API, the CLI and the portal read it."""
        return self.to_document()

    def to_dict(self) -> dict[str, Any]:
        return self.content

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "tenant": self.tenant, "created_at": self.created_at.isoformat(), "empty": self.empty,
            "fingerprint": self.fingerprint, "base": self.base.to_document(),
            "desired": self.desired, "physical": self.physical, "effective": self.effective,
            "new_intent_version": self.new_intent_version, "changes": self.changes, "summary": list(self.summary),
            "pending": self.pending, "orders": list(self.orders), "new_orders": list(self.new_orders),
            "open_orders": list(self.open_orders), "cancel_orders": list(self.cancel_orders),
            "removals": list(self.removals), "rename_hints": list(self.rename_hints),
            "release": list(self.release), "bookings": [b.to_document() for b in self.bookings],
            "allocations": {"new": [a.to_document() for a in self.new_allocations],
                            "release": [a.to_document() for a in self.released_allocations]},
            "devices": {r: c.to_document() for r, c in self.devices.items()}, "price": self.price,
            "attachments": self.attachments, "id": self.id, "actor": self.actor, "hold": self.hold,
            **self.extra, "schema_version": SCHEMA_VERSION,
        }
        return doc

    @classmethod
    def from_document(cls, doc: Document) -> Plan:
        """A stored plan; a document without "schema_version" is a schema 1 content dict (same keys, some
        of them missing in the oldest plans)."""
        allocations = doc.get("allocations") or {"new": [], "release": []}
        known = _DOCUMENT_KEYS
        return cls(
            id=doc["id"], tenant=doc["tenant"], fingerprint=doc["fingerprint"],
            created_at=datetime.fromisoformat(doc["created_at"]), empty=bool(doc["empty"]),
            base=PlanBase.from_document(doc["base"]), desired=doc["desired"], physical=doc.get("physical") or {},
            effective=doc.get("effective"), new_intent_version=bool(doc.get("new_intent_version", True)),
            changes=doc["changes"], summary=tuple(doc.get("summary", ())), pending=doc.get("pending"),
            orders=tuple(doc.get("orders", ())), new_orders=tuple(doc.get("new_orders", ())),
            open_orders=tuple(doc.get("open_orders", ())), cancel_orders=tuple(doc.get("cancel_orders", ())),
            removals=tuple(doc.get("removals", ())), rename_hints=tuple(doc.get("rename_hints", ())),
            release=tuple(int(r) for r in doc.get("release", ())),
            bookings=tuple(PlannedBooking.from_document(b) for b in doc.get("bookings", ())),
            new_allocations=tuple(PlannedAllocation.from_document(a) for a in allocations["new"]),
            released_allocations=tuple(PlannedAllocation.from_document(a) for a in allocations["release"]),
            devices={r: RouterChange.from_document(c) for r, c in (doc.get("devices") or {}).items()},
            price=doc["price"], attachments=doc.get("attachments") or {}, actor=doc.get("actor", "unknown"),
            hold=doc.get("hold"), schema_version=int(doc.get("schema_version", 1)),
            extra={k: v for k, v in doc.items() if k not in known})


_DOCUMENT_KEYS = frozenset({
    "tenant", "created_at", "empty", "fingerprint", "base", "desired", "physical", "effective",
    "new_intent_version", "changes", "summary", "pending", "orders", "new_orders", "open_orders",
    "cancel_orders", "removals", "rename_hints", "release", "bookings", "allocations", "devices", "price",
    "attachments", "id", "actor", "hold", "schema_version"})
