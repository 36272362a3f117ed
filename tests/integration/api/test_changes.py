"""Sites, services, intents, plans, apply, orders, history, revert and operator tools through the API,
on the sample network with the demo tenants' intents applied by the engine."""

from __future__ import annotations

import copy

from demo_api import DemoApi

ACME = "acme-logistics"


def _intent(demo: DemoApi) -> dict:
    response = demo.call("GET", "/api/v1/intent", "acme-admin")
    assert response.status_code == 200
    return response.json()


def test_a_tenant_sees_its_own_sites_and_services_only(demo: DemoApi) -> None:
    sites = demo.call("GET", "/api/v1/sites", "acme-viewer").json()
    assert sites and {s["tenant"] for s in sites} == {ACME}
    assert "paris-hq" in {s["name"] for s in sites}
    services = demo.call("GET", "/api/v1/services", "acme-viewer").json()
    assert {s["kind"] for s in services} >= {"internet", "ipvpn"}
    everyone = demo.call("GET", "/api/v1/sites", "op-viewer").json()
    assert {s["tenant"] for s in everyone} == {ACME, "nordlink-wholesale", "coop-mahieu"}
    assert demo.call("GET", "/api/v1/sites", "acme-viewer", params={"tenant": "coop-mahieu"}).status_code == 404
    nordlink_site = next(s["name"] for s in everyone if s["tenant"] == "nordlink-wholesale")
    assert demo.call("GET", f"/api/v1/sites/{nordlink_site}", "acme-viewer").status_code == 404
    assert demo.call("GET", "/api/v1/sites/paris-hq", "acme-viewer").json()["pop"] == "Paris"


def test_plan_then_apply_a_bandwidth_change_and_see_it_everywhere(demo: DemoApi) -> None:
    desired = _intent(demo)
    internet = next(s for s in desired["services"] if s["kind"] == "internet")
    internet["rate"] = internet["rate"] // 2
    made = demo.call("POST", "/api/v1/plans", "acme-admin", json=desired, params={"devices": "full"})
    assert made.status_code == 201, made.text
    plan = made.json()
    assert not plan["empty"] and plan["tenant"] == ACME
    changed = [c for c in plan["changes"]["services"] if c["action"] == "modify"]
    assert [c["name"] for c in changed] == [internet["name"]]
    assert plan["price"] and plan["devices"]
    # a tenant reads what changes on its own attachments, never a router's config (issue 11 item 2)
    assert any(d["changes"] for d in plan["devices"].values())
    assert all(set(d) == {"changes"} for d in plan["devices"].values())
    as_operator = demo.call("GET", f"/api/v1/plans/{plan['id']}", "op-viewer", params={"devices": "full"}).json()
    assert any(d["added"] or d["removed"] for d in as_operator["devices"].values())
    assert all("diff" in d for d in as_operator["devices"].values())
    # the plan is readable by its tenant only
    assert demo.call("GET", f"/api/v1/plans/{plan['id']}", "acme-viewer").status_code == 200
    assert demo.call("GET", f"/api/v1/plans/{plan['id']}", "nordlink-admin").status_code == 404
    assert demo.call("POST", f"/api/v1/plans/{plan['id']}/apply", "nordlink-admin", json={}).status_code == 404
    assert demo.call("POST", f"/api/v1/plans/{plan['id']}/apply", "acme-viewer", json={}).status_code == 403
    applied = demo.call("POST", f"/api/v1/plans/{plan['id']}/apply", "acme-admin", json={"reason": "quiet month"})
    assert applied.status_code == 200, applied.text
    now = next(s for s in demo.call("GET", "/api/v1/services", "acme-viewer").json() if s["name"] == internet["name"])
    assert now["rate"] == internet["rate"]
    history = demo.call("GET", "/api/v1/history", "acme-viewer").json()
    assert history[0]["plan_id"] == plan["id"] and history[0]["reason"] == "quiet month"
    assert history[0]["actor"].startswith("token:")
    types = [e["type"] for e in demo.call("GET", "/api/v1/events", "acme-viewer").json()]
    assert "change.applied" in types and "change.planned" not in types  # a plan changes nothing
    # applying the same plan again is a conflict
    again = demo.call("POST", f"/api/v1/plans/{plan['id']}/apply", "acme-admin", json={})
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"


def test_a_stale_plan_is_refused_with_409(demo: DemoApi) -> None:
    desired = _intent(demo)
    first = copy.deepcopy(desired)
    first["services"][0]["rate"] = first["services"][0]["rate"] // 2
    second = copy.deepcopy(desired)
    second["services"][0]["rate"] = second["services"][0]["rate"] // 4
    plan_a = demo.call("POST", "/api/v1/plans", "acme-admin", json=first).json()
    plan_b = demo.call("POST", "/api/v1/plans", "acme-admin", json=second).json()
    assert demo.call("POST", f"/api/v1/plans/{plan_a['id']}/apply", "acme-admin", json={}).status_code == 200
    stale = demo.call("POST", f"/api/v1/plans/{plan_b['id']}/apply", "acme-admin", json={})
    assert stale.status_code == 409
    assert "stale" in stale.json()["detail"]


def test_an_infeasible_plan_names_the_problem_and_changes_nothing(demo: DemoApi) -> None:
    desired = _intent(demo)
    before = demo.call("GET", "/api/v1/services", "acme-viewer").json()
    desired["services"][0]["rate"] = 10**14  # far above the access
    response = demo.call("POST", "/api/v1/plans", "acme-admin", json=desired)
    assert response.status_code == 422
    body = response.json()
    assert body["field"].startswith("services[0]") or "services[0]" in body["detail"]
    assert demo.call("GET", "/api/v1/services", "acme-viewer").json() == before


def test_a_document_error_names_the_field(demo: DemoApi) -> None:
    desired = _intent(demo)
    desired["sites"][1]["access"]["dwon"] = "1G"
    response = demo.call("POST", "/api/v1/plans", "acme-admin", json=desired)
    assert response.status_code == 422
    assert "sites[1].access" in response.json()["detail"]


def test_a_document_for_another_tenant_cannot_be_planned(demo: DemoApi) -> None:
    desired = _intent(demo)
    desired["tenant"] = "nordlink-wholesale"
    assert demo.call("POST", "/api/v1/plans", "acme-admin", json=desired).status_code == 422
    assert demo.call("POST", "/api/v1/plans", "acme-admin", json=desired,
                     params={"tenant": "nordlink-wholesale"}).status_code == 404


def test_revert_makes_a_plan_back_to_an_earlier_version(demo: DemoApi) -> None:
    desired = _intent(demo)
    version_before = demo.call("GET", "/api/v1/status", "acme-viewer").json()["intent_version"]
    desired["services"][0]["rate"] = desired["services"][0]["rate"] // 2
    plan = demo.call("POST", "/api/v1/plans", "acme-admin", json=desired).json()
    demo.call("POST", f"/api/v1/plans/{plan['id']}/apply", "acme-admin", json={})
    back = demo.call("POST", "/api/v1/revert", "acme-admin", json={"version": version_before})
    assert back.status_code == 201, back.text
    assert [c["action"] for c in back.json()["changes"]["services"] if c["action"] != "noChange"] == ["modify"]
    assert demo.call("POST", "/api/v1/revert", "acme-admin", json={"version": 999}).status_code == 404


def test_new_access_makes_an_order_that_the_tenant_can_cancel(demo: DemoApi) -> None:
    desired = _intent(demo)
    desired["sites"].append({"name": "lille-shop", "pop": "Paris", "access": {
        "technology": "ftth", "provider": "on-net", "port": "1G", "down": "500M", "up": "200M"}})
    desired["services"].append({"kind": "internet", "name": "lille-internet", "site": "lille-shop", "rate": "100M"})
    plan = demo.call("POST", "/api/v1/plans", "acme-admin", json=desired).json()
    assert plan["new_orders"], plan
    # the new site lands with its line: not in this plan's changes, in what is pending
    assert "lille-shop" not in {c["name"] for c in plan["changes"]["sites"]}
    assert {c["name"]: c["action"] for c in plan["pending"]["sites"]}["lille-shop"] == "add"
    applied = demo.call("POST", f"/api/v1/plans/{plan['id']}/apply", "acme-admin", json={}).json()
    order_id = applied["orders"][0]
    assert demo.call("GET", f"/api/v1/orders/{order_id}", "acme-viewer").json()["state"] == "acknowledged"
    assert demo.call("GET", f"/api/v1/orders/{order_id}", "nordlink-admin").status_code == 404
    assert demo.call("POST", f"/api/v1/orders/{order_id}/cancel", "nordlink-admin").status_code == 404
    assert demo.call("POST", f"/api/v1/orders/{order_id}/state", "acme-admin",
                     json={"state": "completed"}).status_code == 403  # field work is the operator's
    cancelled = demo.call("POST", f"/api/v1/orders/{order_id}/cancel", "acme-admin")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert demo.call("POST", f"/api/v1/orders/{order_id}/cancel", "acme-admin").status_code == 409
    events = demo.call("GET", "/api/v1/events", "acme-viewer").json()
    assert {"order": order_id, "state": "cancelled"} in [e["data"] for e in events]


def test_operator_completes_an_order_and_the_logical_part_follows(demo: DemoApi) -> None:
    desired = _intent(demo)
    desired["sites"].append({"name": "lille-shop", "pop": "Paris", "access": {
        "technology": "ftth", "provider": "on-net", "port": "1G", "down": "500M", "up": "200M"}})
    desired["services"].append({"kind": "internet", "name": "lille-internet", "site": "lille-shop", "rate": "100M"})
    plan = demo.call("POST", "/api/v1/plans", "acme-admin", json=desired).json()
    order_id = demo.call("POST", f"/api/v1/plans/{plan['id']}/apply", "acme-admin", json={}).json()["orders"][0]
    assert demo.call("POST", f"/api/v1/orders/{order_id}/state", "op-admin",
                     json={"state": "inProgress"}).json()["state"] == "inProgress"
    done = demo.call("POST", f"/api/v1/orders/{order_id}/state", "op-admin", json={"state": "completed"})
    assert done.status_code == 200 and done.json()["state"] == "completed"
    assert done.json()["applied"]["tenant"] == ACME and done.json()["applied"]["plan_id"].startswith("p-")
    assert "lille-internet" in {s["name"] for s in demo.call("GET", "/api/v1/services", "acme-viewer").json()}


def test_reservations_and_status_are_scoped(demo: DemoApi) -> None:
    mine = demo.call("GET", "/api/v1/reservations", "acme-viewer").json()
    assert mine and {r["tenant"] for r in mine} == {ACME}
    assert demo.call("GET", "/api/v1/status", "acme-viewer").json()["tenant"] == ACME
    assert demo.call("GET", "/api/v1/status", "op-viewer").status_code == 422  # operators name the tenant
    assert demo.call("GET", "/api/v1/status", "op-viewer", params={"tenant": ACME}).status_code == 200
    assert demo.call("GET", "/api/v1/schedules", "acme-viewer").status_code == 200


def test_path_query_and_whatif_are_for_operators(demo: DemoApi) -> None:
    query = {"src": "Paris", "dst": "Milan", "bps": 10**9}
    assert demo.call("POST", "/api/v1/paths", "acme-admin", json=query).status_code == 403
    path = demo.call("POST", "/api/v1/paths", "op-viewer", json=query)
    assert path.status_code == 200, path.text
    nodes = path.json()["primary"]["path"]
    assert nodes[0] == "Paris" and nodes[-1] == "Milan"
    protected = demo.call("POST", "/api/v1/paths", "op-viewer", json={**query, "protected": True}).json()
    assert set(protected["primary"]["links"]).isdisjoint(protected["secondary"]["links"])
    too_big = demo.call("POST", "/api/v1/paths", "op-viewer", json={**query, "bps": 10**15})
    assert too_big.status_code == 422 and too_big.json()["title"] == "Infeasible"
    unknown = demo.call("POST", "/api/v1/paths", "op-viewer", json={**query, "dst": "Atlantis"})
    assert unknown.status_code == 404
    first_link = path.json()["primary"]["links"][0]
    report = demo.call("POST", "/api/v1/whatif", "op-viewer", json={"links": [first_link]})
    assert report.status_code == 200 and report.json()["failed"]["links"] == [first_link]
    assert demo.call("POST", "/api/v1/whatif", "acme-admin", json={"links": [first_link]}).status_code == 403
    # the what-if changed nothing: the same path is still found
    assert demo.call("POST", "/api/v1/paths", "op-viewer", json=query).json() == path.json()


def test_sites_read_their_own_writes_and_see_other_processes_within_the_revalidation_window(demo: DemoApi) -> None:
    import time

    from unilink import engine
    from unilink.usecases.tenant_views import REVALIDATE_S

    desired = _intent(demo)
    assert demo.call("GET", "/api/v1/sites", "acme-viewer").status_code == 200  # warms the cache
    desired["sites"] = [s for s in desired["sites"] if s["name"] != "paris-hq"]
    desired["services"] = [s for s in desired["services"] if s["kind"] != "internet"]
    for svc in desired["services"]:
        if svc["kind"] == "ipvpn":
            svc["members"] = [m for m in svc["members"] if m["site"] != "paris-hq"]
    # another process (here: the engine called directly, as the local CLI does) removes a site
    made = engine.plan(demo.store, ACME, desired)
    engine.apply(demo.store, made.id, "cli", "site closed", confirm_removals=True)
    time.sleep(REVALIDATE_S + 0.05)
    assert "paris-hq" not in {s["name"] for s in demo.call("GET", "/api/v1/sites", "acme-viewer").json()}
    # through the API: visible at once
    desired["sites"] = [s for s in desired["sites"] if s["name"] != "london-hub"]
    for svc in desired["services"]:
        if svc["kind"] == "ipvpn":
            svc["members"] = [m for m in svc["members"] if m["site"] != "london-hub"]
    plan = demo.call("POST", "/api/v1/plans", "acme-admin", json=desired).json()
    assert demo.call("POST", f"/api/v1/plans/{plan['id']}/apply", "acme-admin",
                     json={"confirm_removals": True}).status_code == 200
    assert "london-hub" not in {s["name"] for s in demo.call("GET", "/api/v1/sites", "acme-viewer").json()}
