"""A cooperative's connection: design it on the live network (a what-if), and order a design through
the engine like any other change (docs/coop-design.md).

    design(store, communes=[…] | points=[…], members=N, …) → the design document (candidates, best)
    order_design(store, tenant, design, candidate=None, site_name=…, actor=…) → plan applied, orders

`design` reads the network, its interconnects, the capacity ledger (free capacity from `now` on) and
the deployed intents, and changes nothing. `order_design` plans the coop tenant's current intent plus
the new site, its access and an Internet service at the sized rate (`change_plans.plan_change`), and
applies it (`plan_applying.apply_plan`): the same history, events and field-work orders as any change.
After that the backhaul is an ordinary Internet service: its rate changes by an ordinary plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from unilink.coop.design import DesignInput, area_of, local_loop_use, tariffs_with
from unilink.coop.design import design as make_design
from unilink.coop.sizing import SizingModel
from unilink.engine import runtime as rt
from unilink.errors import InfeasibleError, NotFoundError, ValidationError
from unilink.network.graph import CompiledGraph
from unilink.network.ledger import CapacityLedger
from unilink.store import change_repo, deployed_repo, tenancy
from unilink.usecases.change_plans import plan_change
from unilink.usecases.plan_applying import apply_plan


def design(store: Any, *, communes: list[str] | None = None, points: list[tuple[float, float]] | None = None,
           members: int, plan_rates_bps: Sequence[int] = (), busy_hour_bps: int | None = None,
           peak_factor: float | None = None, growth_per_year: float | None = None,
           horizon_years: float | None = None, now: datetime | None = None, nearest: int = 3,
           tariffs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The connection design for `members` in the area (communes and/or points), on the live network.

    `tariffs` overrides figures of `catalog.backhaul.BackhaulTariffs` (route_factor,
    new_build_cents_per_km, amortisation_months, …); the answer's "assumptions" shows those used.

    `best` is None when no candidate is feasible (each candidate then names its bottleneck); the CLI
    turns that into exit 3. Changes nothing.
    """
    model = SizingModel.with_defaults(busy_hour_bps=busy_hour_bps, peak_factor=peak_factor,
                                      growth_per_year=growth_per_year, horizon_years=horizon_years)
    when = now or store.clock.now()
    with rt.LOCK, store.session() as session:
        runtime = rt.runtime_for(store, session)
        free = link_free_bps(runtime.graph, runtime.ledger, when)
        deployments = deployed_repo.deployments(session)
        network, graph = runtime.network, runtime.graph
    area = area_of(network, communes or [], points or [])
    inp = DesignInput(network=network, graph=graph, free_bps=free, area=area, members=members, model=model,
                      plan_rates_bps=tuple(int(r) for r in plan_rates_bps),
                      interconnect_used_bps=local_loop_use(network, (doc for _, doc, _ in deployments)),
                      nearest=nearest, tariffs=tariffs_with(tariffs or {}))
    return make_design(inp).to_dict()


def link_free_bps(graph: CompiledGraph, ledger: CapacityLedger, now: datetime) -> dict[str, int]:
    """Link name → bit/s free from `now` on, the smaller of its two directions (a backhaul is symmetric)."""
    return {link.name: min(ledger.free_bps(2 * i, now, None), ledger.free_bps(2 * i + 1, now, None))
            for i, link in enumerate(graph.links)}


# -- ordering a design -------------------------------------------------------------------------------
def order_design(store: Any, tenant: str, design: dict[str, Any], *, candidate: int | None = None,
                 site_name: str, actor: str, now: datetime | None = None) -> dict[str, Any]:
    """Plan and apply the cooperative `tenant`'s connection as `design`'s candidate (None: its best).

    The change is the tenant's latest intent plus the site at the candidate's attachment, its access
    and an Internet service at the backhaul rate; a new access raises its field-work order, and the
    site and its service go live when that order completes (engine.fieldwork). An infeasible
    candidate is an InfeasibleError naming its bottleneck, and nothing is written.
    """
    chosen, index = chosen_candidate(design, candidate)
    with store.session() as session:
        if tenancy.get_tenant(session, tenant).kind != "cooperative":
            raise ValidationError("only a cooperative orders a coop connection", field="tenant", value=tenant,
                                  accepted="the name of a cooperative tenant")
        current = change_repo.latest_intent_document(session, tenant) or {}
    desired = with_connection(current, tenant, chosen, site_name)
    when = now or store.clock.now()
    still_fits(store, chosen, when)
    plan = plan_change(store, tenant, desired, actor=actor, now=when)
    result = apply_plan(store, plan.id, actor=actor, now=when,
                        reason=f"coop connection: {chosen['kind']} at {chosen['attach']}")
    return {"plan_id": plan.id, "applied": True, "orders": list(result.orders), "site": site_name,
            "service": internet_name(site_name), "candidate": {**chosen, "index": index},
            "intent_version": result.intent_version}


def chosen_candidate(design: dict[str, Any], candidate: int | None) -> tuple[dict[str, Any], int]:
    candidates = design.get("candidates") or []
    index = design.get("best") if candidate is None else candidate
    if index is None:
        raise InfeasibleError("no candidate of the design is feasible",
                              details={"bottleneck": [c.get("bottleneck") for c in candidates]})
    if not isinstance(index, int) or not 0 <= index < len(candidates):
        raise NotFoundError("no such candidate", field="candidate", value=index,
                            accepted=f"an index from 0 to {len(candidates) - 1}")
    chosen = candidates[index]
    if not chosen["feasible"]:
        raise InfeasibleError(f"candidate {index} ({chosen['kind']} at {chosen['attach']}) is not feasible",
                              details={"candidate": index, "bottleneck": chosen.get("bottleneck")})
    return chosen, index


def still_fits(store: Any, chosen: dict[str, Any], now: datetime) -> None:
    """The candidate's links still have its backhaul free (a design is a what-if: it may be stale).

    Checked here because the engine books a new site's service only when its access order completes:
    a backhaul ordered over a link filled since the design would be refused months later."""
    with rt.LOCK, store.session() as session:
        runtime = rt.runtime_for(store, session)
        free = link_free_bps(runtime.graph, runtime.ledger, now)
    needed = int(chosen["backhaul_bps"])
    for name in chosen.get("links", []):
        if name not in runtime.graph.link_index:
            raise InfeasibleError(f"link {name} of the design is no longer in the network: design again",
                                  details={"bottleneck": {"reason": "link removed", "link": name}})
        if free[name] < needed:
            link = runtime.graph.links[runtime.graph.link_index[name]]
            raise InfeasibleError(f"link {name} no longer has {needed} bit/s free for the backhaul",
                                  details={"bottleneck": {"reason": "not enough capacity free on the link",
                                                          "link": name, "a": link.a, "b": link.b,
                                                          "capacity_bps": link.capacity_bps,
                                                          "free_bps": free[name], "needed_bps": needed}})


def internet_name(site_name: str) -> str:
    return f"{site_name}-internet"


def with_connection(current: dict[str, Any], tenant: str, chosen: dict[str, Any], site_name: str) -> dict[str, Any]:
    """`current` (an intent document) plus the coop's site, its access and its Internet service."""
    sites = list(current.get("sites", []))
    if any(s["name"] == site_name for s in sites):
        raise ValidationError("the tenant already has a site of that name", field="site_name", value=site_name,
                              accepted="a new site name")
    rate = int(chosen["backhaul_bps"])
    access = {"technology": chosen["technology"], "provider": chosen["provider"], "port": chosen["port_bps"],
              "down": rate, "up": rate}
    sites.append({"name": site_name, "pop": chosen["attach"], "router": chosen["router"], "access": access})
    services = [*current.get("services", []),
                {"kind": "internet", "name": internet_name(site_name), "site": site_name, "rate": rate}]
    return {**current, "tenant": tenant, "sites": sites, "services": services}
