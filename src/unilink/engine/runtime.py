"""The engine's in-process state: compiled graph, capacity ledger, pools and device model.

Rebuilt from the store when the topology version or the ledger sequence (bumped by every apply, in
any process) differs from what this process last saw; kept up to date in place by this process's own
applies. This is what makes a plan cost a few milliseconds with thousands of services in the store.
"""

from __future__ import annotations

import gc
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from unilink.devices.journal import committed_configs
from unilink.engine.admission import internet_gateways, rates_at
from unilink.engine.devices import DeviceModel, tenant_devices
from unilink.engine.keys import tenant_of_owner
from unilink.errors import InfeasibleError
from unilink.inventory.model import Network, Pop, RouterRole
from unilink.network.graph import CompiledGraph, arc_of
from unilink.network.ledger import CapacityLedger
from unilink.services.intent import Intent
from unilink.store import change_repo, deployed_repo, network_repo, runtime_repo

Session = Any  # an open store session (unilink.store.db.Store.session()): the engine needs no SQLAlchemy


@dataclass(slots=True)
class Runtime:
    topology_version: int
    ledger_seq: int
    network: Network
    graph: CompiledGraph
    ledger: CapacityLedger
    gateways: list[str]
    pops: dict[str, Pop]
    edge_router: dict[str, str]  # PoP → its first edge router (by name)
    keys: dict[int, dict[str, list[int]]] = field(default_factory=dict)  # tenant id → key → reservation ids
    pools: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)  # (pool, scope) → owner → value
    tenant_pools: dict[str, dict[tuple[str, str, str], int]] = field(default_factory=dict)  # the same, by tenant
    devices: DeviceModel | None = None
    overbooked: list[int] = field(default_factory=list)  # reservations beyond capacity (booked all the same)
    deployed: dict[int, Any] = field(default_factory=dict)  # tenant id → engine.stages.snapshot.Deployed
    holds: dict[int, Any] = field(default_factory=dict)  # tenant id → engine.holds.Held: its newest plan's hold

    def router_of_site(self, intent: Intent) -> dict[str, str]:
        return {s.name: s.router or self.edge_router[s.pop] for s in intent.sites}

    def tenant_alloc(self, tenant: str) -> dict[tuple[str, str, str], int]:
        return dict(self.tenant_pools.get(tenant, {}))

    def allocated(self, pool: str, scope: str, owner: str, value: int | None) -> None:
        """Record an allocation (value) or its release (None) in both indexes."""
        tenant = tenant_of_owner(owner)
        if value is None:
            self.pools.get((pool, scope), {}).pop(owner, None)
            self.tenant_pools.get(tenant, {}).pop((pool, scope, owner), None)
        else:
            self.pools.setdefault((pool, scope), {})[owner] = value
            self.tenant_pools.setdefault(tenant, {})[(pool, scope, owner)] = value


_RUNTIMES: weakref.WeakKeyDictionary[Any, Runtime] = weakref.WeakKeyDictionary()
LOCK = threading.RLock()  # one engine operation at a time per process; the DB lock row covers processes


def runtime_for(store: Any, session: Session, *, locked: bool = False,
                versions: tuple[int, int] | None = None) -> Runtime:
    """The up-to-date runtime of `store` (loaded in `session`'s transaction when stale).

    `locked`: the caller has taken the engine lock, which already advanced the sequence by one.
    `versions`: (topology version, ledger sequence) when the caller has just read them.
    """
    topology, seq = versions if versions is not None else change_repo.versions(session)
    if locked:
        seq -= 1
    runtime = _RUNTIMES.get(store)
    if runtime is None or runtime.topology_version != topology or runtime.ledger_seq != seq:
        gc.unfreeze()  # the runtime being replaced may hold cycles: let the collector see it again
        runtime = load_runtime(session, topology, seq)  # reads every row as of this transaction
        _RUNTIMES[store] = runtime
    keep_long_lived()
    return runtime


# CPython's full collection walks every tracked object. With 10,000 services the engine's state is
# ~500,000 objects and one full collection takes ~0.5 s, landing on a random change (the p99 of
# bench_engine). That state is long-lived by design, so every engine operation first moves what
# exists out of the collector's sight (gc.freeze, O(1)), after collecting the young generations so
# that their garbage is not frozen with it. Cycles that died in the old generation meanwhile stay
# frozen until the next unfreeze: a runtime reload, or every UNFREEZE_EVERY operations.
UNFREEZE_EVERY = 10_000
_operations = 0


def keep_long_lived() -> None:
    global _operations
    _operations += 1
    if _operations % UNFREEZE_EVERY == 0:
        gc.unfreeze()
        return
    gc.collect(1)
    gc.freeze()


def forget(store: Any) -> None:
    """Drop the cached runtime (after a failure half-way through an apply)."""
    _RUNTIMES.pop(store, None)


def load_runtime(session: Session, topology: int, seq: int) -> Runtime:
    network = network_repo.load(session)
    graph = CompiledGraph.compile(network)
    edge_router: dict[str, str] = {}
    for r in sorted(network.routers, key=lambda r: r.name):
        if r.role is RouterRole.EDGE:
            edge_router.setdefault(r.pop, r.name)
    runtime = Runtime(topology, seq, network, graph, CapacityLedger(graph), internet_gateways(network),
                      network.pop_index(), edge_router)
    _load_reservations(session, runtime)
    for row in runtime_repo.allocations(session):
        runtime.allocated(row.pool, row.scope, row.owner, int(row.value))
    runtime.devices = _load_devices(session, runtime)
    from unilink.engine import holds  # local: holds builds on this module

    holds.load(session, runtime)  # after the reservations: a hold never displaces a booking
    return runtime


def _load_reservations(session: Session, runtime: Runtime) -> None:
    graph, ledger = runtime.graph, runtime.ledger
    for row in runtime_repo.reservations(session):
        link = graph.link_index.get(row.link)
        if link is None:  # the link was removed from the inventory: the reservation is void
            runtime.overbooked.append(row.id)
            continue
        arc = arc_of(link, row.direction)
        booking = {"service_id": f"{row.tenant_id}/{row.service}", "start": row.start_at, "end": row.end_at,
                   "hold_until": row.hold_expires_at, "priority": row.priority, "reservation_id": row.id}
        try:
            ledger.reserve({arc: int(row.bps)}, **booking)
        except InfeasibleError:  # more booked than the link carries now: it still counts (never sold twice)
            runtime.overbooked.append(row.id)
            ledger.reserve({arc: int(row.bps)}, check=False, **booking)
        runtime.keys.setdefault(row.tenant_id, {}).setdefault(row.service, []).append(row.id)


def _load_devices(session: Session, runtime: Runtime) -> DeviceModel:
    model = DeviceModel({r.name: r for r in runtime.network.routers})
    for name, document, updated_at in deployed_repo.deployments(session):
        intent = Intent.model_validate(document)
        if not intent.sites:
            continue
        try:
            devices = tenant_devices(name, intent, rates_at(intent, updated_at), runtime.tenant_alloc(name),
                                     runtime.router_of_site(intent))
            model.set_tenant(name, devices)
        except KeyError:  # a site's PoP lost its edge router: the inventory check reports it
            continue
    for router, config in committed_configs(session).items():
        model.configs[router] = config.full_text()
    return model
