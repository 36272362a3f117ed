"""The backbone inventory as plain, immutable values: PoPs, routers, links, interconnects.

This is the pure core every other layer speaks: importers produce a `Network`, the store saves and
loads one, `network/` compiles one into arrays. Nothing here does I/O.

Conventions (see docs/inventory.md):
- a **node** of the backbone graph is a PoP, named by `Pop.name` (unique, e.g. "Paris");
- a `Link` joins two PoPs (`a`, `b`) and terminates on a router of each (`a_router`, `b_router`);
- capacities are int bit/s, lengths km, latencies ms. When a source gives no length, it is the
  great-circle distance between the two PoPs, and latency = length × 0.005 ms/km.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from unilink.errors import ValidationError
from unilink.units import great_circle_km, latency_ms_for_length

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._'()/-]{0,63}$")
NAME_ACCEPTED = "1-64 characters: letters, digits, space, . _ ' ( ) / -, starting with a letter or digit"


class RouterRole(StrEnum):
    CORE = "core"  # P router: transit only
    EDGE = "edge"  # PE router: customer access circuits attach here


class Vendor(StrEnum):
    JUNOS = "junos"
    IOSXR = "iosxr"
    SROS = "sros"
    FRR = "frr"
    OPENCONFIG = "openconfig"


class InterconnectKind(StrEnum):
    LOCAL_LOOP = "local_loop"            # a partner reaching sites we do not serve on-net
    PUBLIC_BACKBONE = "public_backbone"  # a departmental network built with public money (DSP)
    TRANSIT = "transit"                  # Internet transit (we pay)
    PEERING = "peering"                  # Internet peering (settlement-free, IXP or private)


def check_name(value: object, *, field: str) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ValidationError(f"{value!r} is not a valid name", field=field, value=value, accepted=NAME_ACCEPTED)
    return value


@dataclass(frozen=True, slots=True)
class Pop:
    name: str
    city: str
    country: str  # ISO 3166-1 alpha-2, "" when unknown
    lat: float
    lon: float

    def __post_init__(self) -> None:
        check_name(self.name, field="pop.name")
        if not (isinstance(self.lat, int | float) and -90 <= self.lat <= 90 and math.isfinite(self.lat)):
            raise ValidationError("latitude out of range", field=f"pop[{self.name}].lat", value=self.lat,
                                  accepted="-90 to 90 degrees")
        if not (isinstance(self.lon, int | float) and -180 <= self.lon <= 180 and math.isfinite(self.lon)):
            raise ValidationError("longitude out of range", field=f"pop[{self.name}].lon", value=self.lon,
                                  accepted="-180 to 180 degrees")


@dataclass(frozen=True, slots=True)
class Router:
    name: str
    pop: str
    role: RouterRole
    vendor: Vendor
    loopback: str  # IPv4 address
    driver: str = "sim"  # sim | lab | netconf

    def __post_init__(self) -> None:
        check_name(self.name, field="router.name")
        try:
            ipaddress.IPv4Address(self.loopback)
        except ValueError as exc:
            raise ValidationError("not an IPv4 address", field=f"router[{self.name}].loopback",
                                  value=self.loopback, accepted="dotted-quad IPv4, e.g. 10.255.0.1") from exc


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    a: str  # PoP name
    b: str  # PoP name
    capacity_bps: int
    length_km: float
    latency_ms: float
    igp_metric: int
    srlgs: tuple[str, ...] = ()
    a_router: str | None = None
    b_router: str | None = None

    def __post_init__(self) -> None:
        where = f"link[{self.name}]"
        if self.a == self.b:
            raise ValidationError("a link cannot join a PoP to itself", field=f"{where}.b", value=self.b)
        if not isinstance(self.capacity_bps, int) or self.capacity_bps <= 0:
            raise ValidationError("capacity must be a positive integer of bit/s",
                                  field=f"{where}.capacity_bps", value=self.capacity_bps,
                                  accepted="an integer > 0, e.g. 10000000000")
        if not (self.length_km >= 0 and math.isfinite(self.length_km)):
            raise ValidationError("length must be >= 0 km", field=f"{where}.length_km", value=self.length_km)
        if not (self.latency_ms >= 0 and math.isfinite(self.latency_ms)):
            raise ValidationError("latency must be >= 0 ms", field=f"{where}.latency_ms", value=self.latency_ms)
        if not isinstance(self.igp_metric, int) or not 1 <= self.igp_metric <= 16_777_215:
            raise ValidationError("IGP metric out of range", field=f"{where}.igp_metric", value=self.igp_metric,
                                  accepted="an integer 1..16777215")


@dataclass(frozen=True, slots=True)
class Interconnect:
    name: str
    kind: InterconnectKind
    pop: str
    partner: str  # the other network: "Orange Wholesale", "Connectis 78", "Cogent"
    capacity_bps: int
    area: tuple[str, ...] = ()  # what it serves: ISO country codes, "FR-78" departments, town names

    def __post_init__(self) -> None:
        check_name(self.name, field="interconnect.name")
        if not isinstance(self.capacity_bps, int) or self.capacity_bps <= 0:
            raise ValidationError("capacity must be a positive integer of bit/s",
                                  field=f"interconnect[{self.name}].capacity_bps", value=self.capacity_bps)


class Demand(NamedTuple):
    """A traffic demand between two PoPs (from SNDlib / REPETITA files or a scenario).

    A named tuple rather than a frozen dataclass: full-mesh matrices hold tens of thousands of
    demands, and a frozen dataclass costs ~3 µs each to build (0.1 s for Cogentco's 34,410).
    """

    src: str
    dst: str
    bps: int


@dataclass(slots=True)
class Network:
    """A whole backbone. Lists keep the order of the source so that output is deterministic."""

    name: str = "network"
    pops: list[Pop] = field(default_factory=list)
    routers: list[Router] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    interconnects: list[Interconnect] = field(default_factory=list)

    def pop_index(self) -> dict[str, Pop]:
        return {p.name: p for p in self.pops}

    def validate(self) -> None:
        """Check references and uniqueness across the whole network; raise on the first problem."""
        pops = self._unique("pop", [p.name for p in self.pops])
        routers = self._unique("router", [r.name for r in self.routers])
        self._unique("link", [lk.name for lk in self.links])
        self._unique("interconnect", [i.name for i in self.interconnects])
        router_pop = {r.name: r.pop for r in self.routers}
        for r in self.routers:
            if r.pop not in pops:
                raise ValidationError("unknown PoP", field=f"router[{r.name}].pop", value=r.pop,
                                      accepted="the name of a PoP of this network")
        for lk in self.links:
            for end, pop, router in (("a", lk.a, lk.a_router), ("b", lk.b, lk.b_router)):
                if pop not in pops:
                    raise ValidationError("unknown PoP", field=f"link[{lk.name}].{end}", value=pop,
                                          accepted="the name of a PoP of this network")
                if router is not None and router_pop.get(router) != pop:
                    raise ValidationError(f"router is not at PoP {pop}", field=f"link[{lk.name}].{end}_router",
                                          value=router, accepted=f"a router of PoP {pop}")
        for ic in self.interconnects:
            if ic.pop not in pops:
                raise ValidationError("unknown PoP", field=f"interconnect[{ic.name}].pop", value=ic.pop,
                                      accepted="the name of a PoP of this network")
        del routers

    @staticmethod
    def _unique(kind: str, names: list[str]) -> set[str]:
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValidationError(f"duplicate {kind} name", field=f"{kind}.name", value=name,
                                      accepted=f"each {kind} name once")
            seen.add(name)
        return seen


def fibre_length_km(a: Pop, b: Pop) -> float:
    """Length of a link when the source gives none: the great-circle distance, to 0.1 km."""
    return round(great_circle_km(a.lat, a.lon, b.lat, b.lon), 1)


def make_link(name: str, a: Pop, b: Pop, capacity_bps: int, *, length_km: float | None = None,
              igp_metric: int | None = None, srlgs: tuple[str, ...] = (),
              a_router: str | None = None, b_router: str | None = None) -> Link:
    """Build a link, deriving what the source left out: length, latency and IGP metric.

    Default IGP metric: latency in units of 10 µs (so 100 km ≈ 50), at least 1 — the common
    operator practice of latency-proportional metrics.
    """
    length = fibre_length_km(a, b) if length_km is None else float(length_km)
    latency = latency_ms_for_length(length)
    metric = igp_metric if igp_metric is not None else max(1, round(latency * 100))
    return Link(name=name, a=a.name, b=b.name, capacity_bps=capacity_bps, length_km=length,
                latency_ms=latency, igp_metric=metric, srlgs=tuple(srlgs), a_router=a_router, b_router=b_router)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an importer read: the network, any demands, and what it merged or skipped (and why)."""

    network: Network
    demands: tuple[Demand, ...] = ()
    skipped: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what was assumed or rewritten (default capacities, renamed labels)
