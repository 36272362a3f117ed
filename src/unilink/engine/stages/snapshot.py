"""What the pure stages read: one frozen snapshot of the tenant's world at the moment of a plan.

`PlanSnapshot` gathers the network, its compiled graph, the capacity ledger, the pools, the device
model and the tenant's deployed state. Building one costs nothing (references, no copies): the
engine's runtime keeps all of it in memory. The stages treat every part as read-only; the ledger is
only ever tried on inside `ledger.trial()`, which undoes what the stage booked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from unilink.catalog.prices import Quote
from unilink.engine.devices import DeviceModel
from unilink.engine.pricing import quote_intent
from unilink.inventory.model import Network, Pop
from unilink.network.graph import CompiledGraph
from unilink.network.ledger import CapacityLedger
from unilink.services.intent import Intent


@dataclass(frozen=True)
class Deployed:
    """A tenant's deployed state at one revision (revision 0: nothing deployed)."""

    revision: int
    intent_version: int | None
    intent: Intent | None
    physical: Mapping[str, Mapping[str, Any]]  # site → the lines installed
    desired: Mapping[str, Any] | None  # the document of `intent_version` (what the tenant asked for last)
    document: Mapping[str, Any] | None = None  # intent.to_document(), which every plan diffs against
    known_quote: Quote | None = None  # its monthly price, when the apply that made it knew it

    def __post_init__(self) -> None:
        if self.document is None and self.intent is not None:
            object.__setattr__(self, "document", self.intent.to_document())

    def quote(self, pops: Mapping[str, Pop]) -> Quote:
        """The deployed intent's price: the same for every plan against this revision (computed once)."""
        cached = self.__dict__.get("_quote") or self.known_quote
        if cached is None:
            cached = quote_intent(self.intent, pops)
        self.__dict__["_quote"] = cached
        return cached


NOTHING_DEPLOYED = Deployed(0, None, None, {}, None)


@dataclass(frozen=True, slots=True)
class PlanSnapshot:
    tenant: str
    tenant_id: int
    now: datetime
    network: Network
    graph: CompiledGraph
    gateways: Sequence[str]                      # PoPs with Internet transit or peering
    pops: Mapping[str, Pop]
    edge_router: Mapping[str, str]               # PoP → its first edge router (by name)
    topology_version: int
    ledger: CapacityLedger                       # every tenant's bookings; tried on, never left changed
    booked: Mapping[str, Sequence[int]]          # the tenant's reservation ids by stored booking key
    pools: Mapping[tuple[str, str], Mapping[str, int]]  # (pool, scope) → owner → value, every tenant
    tenant_pools: Mapping[tuple[str, str, str], int]    # (pool, scope, owner) → value, this tenant's
    devices: DeviceModel                         # every tenant's device inputs and the routers' configs
    deployed: Deployed
    open_orders: Mapping[str, str]               # site key → id of the tenant's open orders
    accesses_installed: bool = False             # take every access as installed (no field work)
    # a cooperative's lines (line, router, port): what its intent's `subscribers` may name (docs/members.md)
    member_lines: frozenset[tuple[str, str, str]] = frozenset()

    def router_of_site(self, intent: Intent) -> dict[str, str]:
        return {s.name: s.router or self.edge_router[s.pop] for s in intent.sites}
