"""Typed keys of what the engine books: reservations (per service, boost or schedule window) and pool values.

The database columns keep the strings they always had ("svc:<service>", "boost:<service>@<site>#<start>",
"sched:<name>@<site>#<start>" in `reservations.service`; "<tenant>/<holder>" in `pool_allocations.owner`):
`stored()` / `owner` is the one place that writes them and `parse_booking_key` / `PoolKey.parse` the one
place that reads them, so no other code splits a key on ":" or "/".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

SERVICE_PREFIX = "svc:"
TEMPORARY_KINDS = ("boost", "sched")


@dataclass(frozen=True, slots=True)
class ServiceKey:
    """A service's base booking (its committed rates, open-ended)."""

    service: str

    def stored(self) -> str:
        return f"{SERVICE_PREFIX}{self.service}"

    @property
    def label(self) -> str:
        """What a refusal names: the service."""
        return self.service


@dataclass(frozen=True, slots=True)
class TemporaryKey:
    """The extra bit/s of a boost (`kind` "boost", `name` its service) or a schedule ("sched", its name)
    at one site, in the window starting at `start` (None: the key of the item at the site, every window)."""

    kind: Literal["boost", "sched"]
    name: str
    site: str
    start: datetime | None = None

    def stored(self) -> str:
        item = f"{self.kind}:{self.name}@{self.site}"
        return item if self.start is None else f"{item}#{self.start.isoformat()}"

    @property
    def label(self) -> str:
        return self.stored().split(":", 1)[1]


BookingKey = ServiceKey | TemporaryKey


def parse_booking_key(text: str) -> BookingKey:
    """The key a reservation row's `service` column holds."""
    if text.startswith(SERVICE_PREFIX):
        return ServiceKey(text[len(SERVICE_PREFIX):])
    kind, _, rest = text.partition(":")
    if kind not in TEMPORARY_KINDS or "@" not in rest:
        raise ValueError(f"not a booking key: {text!r}")
    item, _, start = rest.partition("#")
    name, _, site = item.rpartition("@")
    return TemporaryKey(kind, name, site, datetime.fromisoformat(start) if start else None)  # type: ignore[arg-type]


def is_temporary(text: str) -> bool:
    """Whether a stored booking key is a boost's or a schedule's (re-booked on every plan)."""
    return text.startswith(("boost:", "sched:"))


@dataclass(frozen=True, slots=True, order=True)
class PoolKey:
    """Which value of which pool a tenant holds: (pool, scope, owner), owner = "<tenant>/<holder>"."""

    pool: str    # vlan | port | p2p | rd | rt | vni
    scope: str   # the router for per-router pools, "" for network-wide ones
    owner: str   # "<tenant>/<site>", "<tenant>/<site>/<purpose>", "<tenant>/vpn:<name>", …

    @property
    def tenant(self) -> str:
        return self.owner.split("/", 1)[0]

    @classmethod
    def of(cls, pool: str, scope: str, tenant: str, holder: str) -> PoolKey:
        return cls(pool, scope, owner_of(tenant, holder))

    def as_tuple(self) -> tuple[str, str, str]:
        """The runtime's index key (plain tuples: hashed thousands of times per plan)."""
        return (self.pool, self.scope, self.owner)


def owner_of(tenant: str, holder: str) -> str:
    """The stored owner of a pool value: "<tenant>/<holder>" (no tenant name holds a "/")."""
    return f"{tenant}/{holder}"


def tenant_of_owner(owner: str) -> str:
    return owner.split("/", 1)[0]
