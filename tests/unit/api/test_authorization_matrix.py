"""The authorization matrix: every endpoint × every role × own/other tenant → the exact status.

Callers: anonymous, op-admin, op-viewer, acme-admin, acme-viewer (tenant roles of acme), village-manager
(coop-manager of another tenant). "Own" objects belong to acme, "other" objects to globex. Another
tenant's object must answer 404 — the same as an object that does not exist.
Every cell runs against a fresh copy of the database, so a write in one cell never affects another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from api_fixtures import Api

ROLES = ("anonymous", "op-admin", "op-viewer", "acme-admin", "acme-viewer", "village-manager")


def public(ok: int = 200) -> dict[str, int]:
    return dict.fromkeys(ROLES, ok)


def any_role(ok: int = 200) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, ok), "anonymous": 401}


def op_admin_only(ok: int) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, 403), "anonymous": 401, "op-admin": ok}


def operators_only(ok: int = 200) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, 403), "anonymous": 401, "op-admin": ok, "op-viewer": ok}


def tenant_scoped(ok: int) -> dict[str, int]:
    """A per-tenant resource without ?tenant=: tenant roles get their own, operators must name one (422)."""
    return {"anonymous": 401, "op-admin": 422, "op-viewer": 422, "acme-admin": ok, "acme-viewer": ok,
            "village-manager": ok}


def read_own(ok: int = 200) -> dict[str, int]:
    """A read of acme's object: acme roles and operators see it; another tenant gets 404."""
    return {"anonymous": 401, "op-admin": ok, "op-viewer": ok, "acme-admin": ok, "acme-viewer": ok,
            "village-manager": 404}


def read_other(ok: int = 200) -> dict[str, int]:
    """A read of globex's object: only operators see it."""
    return {"anonymous": 401, "op-admin": ok, "op-viewer": ok, "acme-admin": 404, "acme-viewer": 404,
            "village-manager": 404}


def write_own(ok: int) -> dict[str, int]:
    """A write to acme's object: viewers are refused by role (403) before anything is looked up."""
    return {"anonymous": 401, "op-admin": ok, "op-viewer": 403, "acme-admin": ok, "acme-viewer": 403,
            "village-manager": 404}


def write_other(ok: int) -> dict[str, int]:
    return {"anonymous": 401, "op-admin": ok, "op-viewer": 403, "acme-admin": 404, "acme-viewer": 403,
            "village-manager": 404}


def any_writer(ok: int) -> dict[str, int]:
    return {"anonymous": 401, "op-admin": ok, "op-viewer": 403, "acme-admin": ok, "acme-viewer": 403,
            "village-manager": ok}


def campaign_read(ok: int = 200, *, own: bool = True) -> dict[str, int]:
    """A cooperative's campaign (own: village's; else hamlet's): its coop-manager and operators; another
    cooperative's manager gets 404; every other role is refused by its role (403)."""
    return {"anonymous": 401, "op-admin": ok, "op-viewer": ok, "acme-admin": 403, "acme-viewer": 403,
            "village-manager": ok if own else 404}


def campaign_write(ok: int, *, own: bool = True) -> dict[str, int]:
    return {**campaign_read(ok, own=own), "op-viewer": 403}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expected: dict[str, int]
    body: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None  # the body's, when not application/json

    @property
    def id(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.method} {self.path}{'?' + query if query else ''}"


POP = {"city": "Lyon", "country": "FR", "lat": 45.76, "lon": 4.83}
ROUTER = {"pop": "Paris", "role": "edge", "vendor": "frr", "loopback": "10.255.0.99"}
LINK = {"a": "London", "b": "Frankfurt", "capacity_bps": 10**10}
INTERCONNECT = {"kind": "transit", "pop": "Paris", "partner": "Cogent", "capacity_bps": 10**11}
DOC = {"sites": [], "services": []}
ACME = {"tenant": "acme"}
GLOBEX = {"tenant": "globex"}
CAMPAIGN = {"name": "new-fibre", "title": "New fibre", "deadline": "2027-03-01T18:00:00Z",
            "plans": [{"name": "fibre-300", "down_bps": 300_000_000, "up_bps": 300_000_000, "monthly_cents": 2990}],
            "zones": [{"name": "thoiry", "commune": "Thoiry", "target": {"subscribers": 40}}]}
PLEDGE = {"name": "Grace Hopper", "email": "grace@example.org", "address": "2 rue de l'Église, Thoiry",
          "lat": 48.8673, "lon": 1.7969, "plan": "fibre-300"}
HOOK = {"url": "http://127.0.0.1:9/new", "secret": "0123456789abcdef0123"}

CASES = [
    # public
    Case("GET", "/api/v1/health", public()),
    Case("GET", "/openapi.json", public()),
    Case("GET", "/metrics", public()),
    # identity
    Case("GET", "/api/v1/auth/whoami", any_role()),
    # inventory: read for all, write for operator-admin
    Case("GET", "/api/v1/pops", any_role()),
    Case("GET", "/api/v1/pops/Paris", any_role()),
    Case("PUT", "/api/v1/pops/Lyon", op_admin_only(200), POP),
    Case("DELETE", "/api/v1/pops/Paris", op_admin_only(409)),  # still used by routers and links
    Case("GET", "/api/v1/routers", any_role()),
    Case("GET", "/api/v1/routers/par-pe1", any_role()),
    Case("PUT", "/api/v1/routers/par-pe2", op_admin_only(200), ROUTER),
    Case("DELETE", "/api/v1/routers/fra-p1", op_admin_only(204)),
    Case("GET", "/api/v1/links", any_role()),
    Case("GET", "/api/v1/links/Paris-London", any_role()),
    Case("PUT", "/api/v1/links/London-Frankfurt", op_admin_only(200), LINK),
    Case("DELETE", "/api/v1/links/Paris-Frankfurt", op_admin_only(204)),
    Case("GET", "/api/v1/interconnects", any_role()),
    Case("GET", "/api/v1/interconnects/none-such", any_role(404)),
    Case("PUT", "/api/v1/interconnects/par-cogent", op_admin_only(200), INTERCONNECT),
    Case("DELETE", "/api/v1/interconnects/none-such", op_admin_only(404)),
    # tenants
    Case("GET", "/api/v1/tenants", any_role()),
    Case("GET", "/api/v1/tenants/acme", read_own()),
    Case("GET", "/api/v1/tenants/globex", read_other()),
    Case("POST", "/api/v1/tenants", op_admin_only(201), {"name": "initech", "kind": "enterprise",
                                                          "display_name": "Initech"}),
    # users
    Case("GET", "/api/v1/users", any_role()),
    Case("GET", "/api/v1/users", read_own(), params={"tenant": "acme"}),
    Case("GET", "/api/v1/users", read_other(), params={"tenant": "globex"}),
    Case("POST", "/api/v1/users", write_own(201), {"username": "bob", "role": "tenant-viewer", "tenant": "acme"}),
    Case("POST", "/api/v1/users", write_other(201), {"username": "eve", "role": "tenant-viewer",
                                                      "tenant": "globex"}),
    Case("POST", "/api/v1/users", op_admin_only(201), {"username": "noc", "role": "operator-viewer"}),
    Case("DELETE", "/api/v1/users/{acme_user}", write_own(200)),
    Case("DELETE", "/api/v1/users/{globex_user}", write_other(200)),
    # tokens
    Case("GET", "/api/v1/tokens", any_role()),
    Case("GET", "/api/v1/tokens", read_own(), params={"tenant": "acme"}),
    Case("GET", "/api/v1/tokens", read_other(), params={"tenant": "globex"}),
    Case("POST", "/api/v1/tokens", write_own(201), {"role": "tenant-viewer", "tenant": "acme"}),
    Case("POST", "/api/v1/tokens", write_other(201), {"role": "tenant-admin", "tenant": "globex"}),
    Case("POST", "/api/v1/tokens", op_admin_only(201), {"role": "operator-admin"}),
    Case("DELETE", "/api/v1/tokens/{acme_token}", write_own(200)),
    Case("DELETE", "/api/v1/tokens/{globex_token}", write_other(200)),
    # audit log
    Case("GET", "/api/v1/audit", any_role()),
    Case("GET", "/api/v1/audit", read_own(), params={"tenant": "acme"}),
    Case("GET", "/api/v1/audit", read_other(), params={"tenant": "globex"}),
    # events
    Case("GET", "/api/v1/events", any_role()),
    Case("GET", "/api/v1/events", read_own(), params={"tenant": "acme"}),
    Case("GET", "/api/v1/events", read_other(), params={"tenant": "globex"}),
    Case("GET", "/api/v1/events/stream", any_role(), params={"follow": "false"}),
    Case("GET", "/api/v1/events/stream", read_other(), params={"follow": "false", "tenant": "globex"}),
    # services through the engine
    Case("GET", "/api/v1/sites", any_role()),
    Case("GET", "/api/v1/sites", read_own(), params=ACME),
    Case("GET", "/api/v1/sites", read_other(), params=GLOBEX),
    Case("GET", "/api/v1/sites/acme-office", read_own()),
    Case("GET", "/api/v1/sites/globex-office", read_other()),
    Case("GET", "/api/v1/services", any_role()),
    Case("GET", "/api/v1/services", read_other(), params=GLOBEX),
    Case("GET", "/api/v1/services/acme-office-internet", read_own()),
    Case("GET", "/api/v1/services/globex-office-internet", read_other()),
    Case("GET", "/api/v1/schedules", any_role()),
    Case("GET", "/api/v1/schedules", read_other(), params=GLOBEX),
    Case("GET", "/api/v1/reservations", any_role()),
    Case("GET", "/api/v1/reservations", read_other(), params=GLOBEX),
    Case("GET", "/api/v1/status", tenant_scoped(200)),
    Case("GET", "/api/v1/status", read_own(), params=ACME),
    Case("GET", "/api/v1/status", read_other(), params=GLOBEX),
    Case("GET", "/api/v1/intent", tenant_scoped(200)),
    Case("GET", "/api/v1/intent", read_other(), params=GLOBEX),
    Case("GET", "/api/v1/intent/versions/1", read_own(), params=ACME),
    Case("GET", "/api/v1/intent/versions/1", read_other(), params=GLOBEX),
    Case("PUT", "/api/v1/intent", write_own(200), DOC, params=ACME),
    Case("PUT", "/api/v1/intent", write_other(200), DOC, params=GLOBEX),
    Case("PATCH", "/api/v1/intent", write_own(200), {}, params=ACME, content_type="application/merge-patch+json"),
    Case("PATCH", "/api/v1/intent", write_other(200), {}, params=GLOBEX, content_type="application/merge-patch+json"),
    Case("POST", "/api/v1/plans", write_own(201), DOC, params=ACME),
    Case("POST", "/api/v1/plans", write_other(201), DOC, params=GLOBEX),
    Case("GET", "/api/v1/plans/{acme_plan}", read_own()),
    Case("GET", "/api/v1/plans/{globex_plan}", read_other()),
    Case("POST", "/api/v1/plans/{acme_plan}/apply", write_own(200), {"reason": "matrix"}),
    Case("POST", "/api/v1/plans/{globex_plan}/apply", write_other(200), {}),
    Case("POST", "/api/v1/plans/{acme_plan}/cancel", write_own(200)),
    Case("POST", "/api/v1/plans/{globex_plan}/cancel", write_other(200)),
    Case("GET", "/api/v1/orders", any_role()),
    Case("GET", "/api/v1/orders", read_other(), params=GLOBEX),
    Case("GET", "/api/v1/orders/{acme_order}", read_own()),
    Case("GET", "/api/v1/orders/{globex_order}", read_other()),
    Case("POST", "/api/v1/orders/{acme_order}/cancel", write_own(200)),
    Case("POST", "/api/v1/orders/{globex_order}/cancel", write_other(200)),
    Case("POST", "/api/v1/orders/{acme_order}/state", op_admin_only(200), {"state": "inProgress"}),
    Case("GET", "/api/v1/history", any_role()),
    Case("GET", "/api/v1/history", read_other(), params=GLOBEX),
    Case("POST", "/api/v1/revert", write_own(201), {"version": 1}, params=ACME),
    Case("POST", "/api/v1/revert", write_other(201), {"version": 1}, params=GLOBEX),
    # operator tools
    Case("POST", "/api/v1/paths", operators_only(), {"src": "Paris", "dst": "London", "bps": 10**6}),
    Case("POST", "/api/v1/whatif", operators_only(), {"links": ["Paris-London"]}),
    # webhooks
    Case("GET", "/api/v1/webhooks", any_role()),
    Case("GET", "/api/v1/webhooks", read_other(), params={"tenant": "globex"}),
    Case("POST", "/api/v1/webhooks", any_writer(201), HOOK),
    Case("POST", "/api/v1/webhooks", write_other(201), HOOK, params={"tenant": "globex"}),
    Case("DELETE", "/api/v1/webhooks/{acme_hook}", write_own(204)),
    Case("DELETE", "/api/v1/webhooks/{globex_hook}", write_other(204)),
    Case("GET", "/api/v1/webhooks/{acme_hook}/deliveries", read_own()),
    Case("GET", "/api/v1/webhooks/{globex_hook}/deliveries", read_other()),
    Case("POST", "/api/v1/webhooks/{acme_hook}/test", write_own(202)),
    Case("POST", "/api/v1/webhooks/{globex_hook}/test", write_other(202)),
    # cooperative campaigns: public pages without an account; the rest for coop managers and operators
    Case("GET", "/api/v1/public/campaigns/village-fibre", public()),
    Case("POST", "/api/v1/public/campaigns/village-fibre/pledges", public(201), PLEDGE),
    Case("POST", "/api/v1/public/pledges/confirm", public(422), {"token": "not-a-token-of-ours"}),
    Case("POST", "/api/v1/public/pledges/withdraw", public(422), {"token": "not-a-token-of-ours"}),
    Case("GET", "/api/v1/campaigns", campaign_read()),
    Case("POST", "/api/v1/campaigns", {**campaign_write(201), "op-admin": 422}, CAMPAIGN),  # names no coop
    Case("POST", "/api/v1/campaigns", campaign_write(201), CAMPAIGN, params={"tenant": "village"}),
    Case("POST", "/api/v1/campaigns", campaign_write(201, own=False), CAMPAIGN, params={"tenant": "hamlet"}),
    Case("GET", "/api/v1/campaigns/village-fibre", campaign_read()),
    Case("GET", "/api/v1/campaigns/hamlet-fibre", campaign_read(own=False)),
    Case("PATCH", "/api/v1/campaigns/village-fibre/zones/thoiry", campaign_write(200),
         {"homes_passed": 600, "homes_source": "the town hall's count"}),
    Case("PATCH", "/api/v1/campaigns/hamlet-fibre/zones/thoiry", campaign_write(200, own=False),
         {"homes_passed": 600, "homes_source": "the town hall's count"}),
    Case("POST", "/api/v1/campaigns/village-fibre/extend", campaign_write(200), {"until": "2027-04-01T18:00:00Z"}),
    Case("POST", "/api/v1/campaigns/hamlet-fibre/extend", campaign_write(200, own=False),
         {"until": "2027-04-01T18:00:00Z"}),
    Case("GET", "/api/v1/campaigns/village-fibre/ledger", campaign_read()),
    Case("GET", "/api/v1/campaigns/hamlet-fibre/ledger", campaign_read(own=False)),
    Case("GET", "/api/v1/campaigns/village-fibre/pledges", campaign_read()),
    Case("GET", "/api/v1/campaigns/hamlet-fibre/pledges", campaign_read(own=False)),
    Case("GET", "/api/v1/campaigns/village-fibre/pledges.csv", campaign_read()),
    Case("GET", "/api/v1/campaigns/hamlet-fibre/pledges.csv", campaign_read(own=False)),
    Case("DELETE", "/api/v1/campaigns/village-fibre/pledges/{village_pledge}", campaign_write(200)),
    Case("POST", "/api/v1/coop/designs", campaign_read(), {"communes": ["Thoiry"], "members": 40}),
    # the zone has not reached its target: a writer is told so (409), before anything is designed
    Case("POST", "/api/v1/campaigns/village-fibre/zones/thoiry/order", campaign_write(409), {}),
    Case("POST", "/api/v1/campaigns/hamlet-fibre/zones/thoiry/order", campaign_write(409, own=False), {}),
    # a cooperative's members (its coop-manager and operators; another coop's manager 404, other roles 403)
    *[Case(method, f"/api/v1/coops/{coop}/{what}", expected(ok, own=own), body)
      for coop, own, member in (("village", True, 1), ("hamlet", False, 2))  # each coop's seeded member
      for method, what, ok, body, expected in (
          ("GET", "members", 200, None, campaign_read),
          ("POST", "members", 201, {"name": "Bo", "email": "bo@example.org", "address": "2 rue"}, campaign_write),
          ("POST", "plans", 201, {"name": "giga", "down": "1G", "up": "500M", "monthly_cents": 5500}, campaign_write),
          ("POST", "lines", 201, {"name": "flat-2", "router": "par-pe1", "port": "m9", "ceiling_down": "1G",
                                  "ceiling_up": "1G"}, lambda ok, own: op_admin_only(ok)),  # the operator's ports
          ("POST", "pools", 201, {"name": "cgn", "kind": "cgnat", "prefix": "100.64.0.0/30", "port_block": 4032},
           campaign_write),
          ("GET", "subscriptions", 200, None, campaign_read),
          ("POST", "subscriptions", 409, {"member": member, "plan": "basic", "line": "flat-1"}, campaign_write),
          ("GET", f"subscriptions/{{{coop}_sub}}", 200, None, campaign_read),
          ("POST", f"subscriptions/{{{coop}_sub}}/activate", 200, None, campaign_write),
          ("POST", f"subscriptions/{{{coop}_sub}}/suspend", 409, None, campaign_write),
          ("PUT", f"subscriptions/{{{coop}_sub}}/plan", 200, {"plan": "plus"}, campaign_write),
          ("GET", "backhaul", 200, None, campaign_read),            # no backhaul service yet: said so
          ("POST", "backhaul/plan", 422, None, campaign_write))],   # … so no increase to plan
    Case("GET", "/api/v1/mail", operators_only()),
    # measured use, for the operator's Prometheus
    Case("GET", "/metrics/usage", operators_only()),
    # usage for people: graphs, alarms, advice and its one-click plan
    *[Case("GET", f"/api/v1/{kind}/{name}/{what}", expected())
      for kind, own, other in (("sites", "acme-office", "globex-office"),
                               ("services", "acme-office-internet", "globex-office-internet"))
      for name, expected in ((own, read_own), (other, read_other)) for what in ("usage", "usage.svg")],
    Case("GET", "/api/v1/usage/alarms", any_role()),
    Case("GET", "/api/v1/usage/alarms", read_other(), params=GLOBEX),
    Case("GET", "/api/v1/sites/acme-office/advice", read_own()),
    Case("GET", "/api/v1/sites/globex-office/advice", read_other()),
    Case("POST", "/api/v1/sites/acme-office/advice/plan", write_own(201)),
    Case("POST", "/api/v1/sites/globex-office/advice/plan", write_other(201)),
    # invoices: tenants read their own (another tenant's number is a 404); operator-admins issue and credit
    Case("GET", "/api/v1/invoices", any_role()),
    Case("GET", "/api/v1/invoices", read_other(), params=GLOBEX),
    *[Case("GET", f"/api/v1/invoices/{{{tenant}_invoice}}{what}", expected())
      for tenant, expected in (("acme", read_own), ("globex", read_other)) for what in ("", "/lines", "/csv", "/xml")],
    Case("POST", "/api/v1/invoices", op_admin_only(201), {"tenant": "acme", "month": "2026-11"}),
    Case("POST", "/api/v1/invoices/{acme_invoice}/credit-notes", op_admin_only(201), {"reason": "test"}),
    Case("POST", "/api/v1/invoices/{globex_invoice}/credit-notes", op_admin_only(201), {"reason": "test"}),
]


def call(api: Api, case: Case, role: str) -> Any:
    path = case.path.format(**api.objects)
    headers = {} if role == "anonymous" else api.headers(role)
    if case.content_type is not None:
        return api.client.request(case.method, path, headers={**headers, "Content-Type": case.content_type},
                                  content=json.dumps(case.body), params=case.params)
    return api.client.request(case.method, path, headers=headers, json=case.body, params=case.params)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_status(api: Api, case: Case, role: str) -> None:
    response = call(api, case, role)
    assert response.status_code == case.expected[role], response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


def test_matrix_covers_every_route_of_the_app(api: Api) -> None:
    """A new route without a row in the matrix fails here: authorization is never left untested."""
    spec = api.client.get("/openapi.json").json()
    routes = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    covered = {(c.method, _template(c.path.format(**api.objects), set(spec["paths"]))) for c in CASES}
    assert routes - covered - UNCOVERED_ON_PURPOSE == set()


UNCOVERED_ON_PURPOSE = {
    ("POST", "/api/v1/auth/login"),  # anonymous by design; tested in test_app_basics
}


def _template(path: str, templates: set[str]) -> str:
    """The OpenAPI template a concrete path matches: /api/v1/pops/Paris → /api/v1/pops/{name}."""
    import re

    for template in sorted(templates, key=lambda t: t.count("{")):
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    return path
