"""Interface counters as the drivers read them, and what each interface carries.

Every driver that can read counters offers `read_counters(router) -> list[Counter]` (the
`CounterReader` protocol): the simulator from a seeded traffic model (`devices.drivers.sim`), the
lab from the kernel (netlink `IFLA_STATS64`, `lab.driver`), NETCONF from `ietf-interfaces`
statistics (`devices.drivers.netconf_counters`). A reading is raw: the octets since the counter started,
modulo its width. Turning readings into rates (wraps, resets, missed polls) is the collector's job
(`unilink.usage.collector`), never the driver's.

Directions: on a site's access port the PE sends `down` (towards the site) and receives `up`; on a
backbone link the interface of the link's `a_router` sends `ab` and receives `ba` — the ledger's
vocabulary (`network.graph.arc_of`), so measured and booked figures line up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

WIDTHS = (32, 64)
SITE_DIRECTIONS = ("down", "up")   # (what the PE sends, what it receives) on an access port
LINK_DIRECTIONS = ("ab", "ba")     # on the a-side interface; reversed on the b side


@dataclass(frozen=True, slots=True)
class Carries:
    """What an interface carries, where known: a tenant's site (and the service on it) or a
    backbone link. `out_direction`/`in_direction` name what its out and in octets are."""

    kind: str                      # "site" | "link" | "other"
    tenant: str = ""
    site: str = ""
    service: str = ""              # "internet", "vpn:<name>", "eline:<name>", "" when unknown
    link: str = ""
    out_direction: str = "out"     # "down" for a PE access port, "ab"/"ba" on a backbone link
    in_direction: str = "in"

    @classmethod
    def site_port(cls, tenant: str, site: str, service: str = "") -> Carries:
        return cls("site", tenant=tenant, site=site, service=service, out_direction="down", in_direction="up")

    @classmethod
    def link_end(cls, link: str, *, a_side: bool) -> Carries:
        out, into = LINK_DIRECTIONS if a_side else LINK_DIRECTIONS[::-1]
        return cls("link", link=link, out_direction=out, in_direction=into)


UNKNOWN = Carries("other")


@dataclass(frozen=True, slots=True)
class Counter:
    """One interface's counters at one instant.

    `uptime_s` is the device's (or the counter's) age when the device says so; `marker` changes when
    the counter restarted for a reason uptime cannot show (an interface deleted and re-created: its
    ifindex). Either tells the collector a decrease is a reset, not a wrap.
    """

    router: str
    interface: str
    octets_in: int
    octets_out: int
    read_at: datetime
    width: int = 64
    uptime_s: float | None = None
    marker: str = ""
    carries: Carries = UNKNOWN
    speed_bps: int | None = None   # the interface's nominal speed, when known (wrap plausibility)

    def __post_init__(self) -> None:
        if self.width not in WIDTHS:
            raise ValueError(f"a counter is 32 or 64 bits wide, not {self.width}")
        top = 1 << self.width
        if not (0 <= self.octets_in < top and 0 <= self.octets_out < top):
            raise ValueError(f"{self.router}/{self.interface}: counter outside 0..2^{self.width}")

    @property
    def key(self) -> tuple[str, str]:
        return self.router, self.interface


@runtime_checkable
class CounterReader(Protocol):
    """Reads the counters of one router's interfaces (a `DeviceError` when the router does not answer)."""

    def read_counters(self, router: str) -> list[Counter]: ...


# A counter source by driver name, as device drivers are (registry.py): the lab registers its own.
CounterReaderFactory = Callable[[], CounterReader]
_READERS: dict[str, CounterReaderFactory] = {}


def register_counter_reader(name: str, factory: CounterReaderFactory) -> None:
    _READERS[name] = factory


def counter_reader_for(name: str) -> CounterReaderFactory | None:
    return _READERS.get(name)
