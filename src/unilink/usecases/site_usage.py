"""Usage for people, the same for the API and the portal: a site's or service's graph, the alarms raised
now, the advice on a site's rate and its one-click plan (docs/usage.md).

`scope` is what the caller may see (`access.scope.visible_tenant`: a tenant's own name, or None for an
operator who named none): a site or service outside it is a `NotFoundError`, exactly as one that
does not exist. The plan of an advice is made by `change_plans.plan_change` like any plan: nothing
changes before the customer applies it.
"""

from __future__ import annotations

from typing import Any

from unilink.engine.core import Plan
from unilink.engine.versions import tenant_intent_head
from unilink.errors import ConflictError, NotFoundError
from unilink.store import usage_alarms_repo
from unilink.usage import advice as usage_advice
from unilink.usage.graph_svg import usage_graph_svg
from unilink.usage.usage_view import UsageGraph, graph_range, parse_zone, service_subject, site_subject, usage_graph
from unilink.usecases import tenant_views
from unilink.usecases.change_plans import plan_change

__all__ = ["advice", "alarms", "graph", "graph_svg", "owner", "plan_advice"]


def owner(store: Any, scope: str | None, kind: str, name: str) -> tuple[str, dict[str, Any]]:
    """(tenant, deployed document) of the tenant in scope that has the site or service `name`."""
    for tenant in tenant_views.tenants_in_scope(store, scope):
        document = tenant_views.deployed_document(store, tenant)
        if any(item.get("name") == name for item in document.get(f"{kind}s", [])):
            return tenant, document
    raise NotFoundError(f"no such {kind}", field=kind, value=name, accepted=f"the name of one of your {kind}s")


def graph(store: Any, scope: str | None, kind: str, name: str, *, range_: str | None = None,
          start: str | None = None, end: str | None = None, resolution: int | None = None,
          tz: str | None = None) -> UsageGraph:
    """The traffic of a site (`kind` "site") or a service ("service") over the range asked for."""
    tenant, document = owner(store, scope, kind, name)
    subject = (site_subject if kind == "site" else service_subject)(document, tenant, name)
    wanted = graph_range(now=store.clock.now(), range_=range_, start=start, end=end, resolution=resolution)
    return usage_graph(store, subject, wanted, parse_zone(tz))


def graph_svg(found: UsageGraph) -> str:
    return usage_graph_svg(found)


def alarms(store: Any, scope: str | None, site: str | None = None) -> list[dict[str, Any]]:
    """The usage alarms raised now (one site's when given)."""
    with store.session() as session:
        found = usage_alarms_repo.raised(session, scope)
    return [{"tenant": t, "site": s, "direction": d, "raised_at": a.raised_at.isoformat() if a.raised_at else None,
             "peak_bps": a.peak_bps} for (t, s, d), a in found if site is None or s == site]


def advice(store: Any, scope: str | None, site: str) -> usage_advice.Advice | None:
    """The advice on one site in scope (None: nothing to suggest), its change made on the latest intent."""
    tenant, document = owner(store, scope, "site", site)
    with store.session() as session:
        head = tenant_intent_head(session, tenant)
    return usage_advice.site_advice(store, document, tenant, site, store.load_network().pop_index(),
                                    store.clock.now(), latest=head.document)


def plan_advice(store: Any, scope: str | None, site: str, *, actor: str) -> Plan:
    """The plan of the site's advice, an ordinary plan (ConflictError when there is nothing to suggest)."""
    found = advice(store, scope, site)
    if found is None:
        raise ConflictError("no advice for this site now: its use is neither near its rate nor under half of it",
                            field="site", value=site, accepted="a site with advice (GET …/advice)")
    with store.session() as session:
        base = tenant_intent_head(session, found.tenant).version
    return plan_change(store, found.tenant, found.document, actor=actor, base_version=base)
