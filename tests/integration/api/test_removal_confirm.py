"""Issue 11 item 5: a typo that renames a live site plans its removal; applying it needs a confirmation.

Seen: `lyon-warehouse` mistyped `lyon-warehous` planned `- site lyon-warehouse` plus a 21-day order, and
applied with exit 0. Now the plan lists the live site with what it carries, suggests the rename, and
its apply is refused (422, field confirm_removals, nothing changes) until confirmed.
"""

from __future__ import annotations

import copy

from demo_api import DemoApi

ACME = "acme-logistics"


def typo(demo: DemoApi) -> dict:
    doc = copy.deepcopy(demo.call("GET", "/api/v1/intent", "acme-admin").json())
    for site in doc["sites"]:
        if site["name"] == "lyon-warehouse":
            site["name"] = "lyon-warehous"
    for svc in doc["services"]:
        for member in svc.get("members", []):
            if member["site"] == "lyon-warehouse":
                member["site"] = "lyon-warehous"
        if svc.get("site") == "lyon-warehouse":
            svc["site"] = "lyon-warehous"
    return doc


def test_a_renamed_site_is_shown_as_a_removal_with_a_hint_and_needs_confirmation(demo: DemoApi) -> None:
    plan = demo.call("POST", "/api/v1/plans", "acme-admin", json=typo(demo))
    assert plan.status_code == 201, plan.text
    content = plan.json()
    [site] = [r for r in content["removals"] if r["kind"] == "site"]
    assert site["name"] == "lyon-warehouse" and "ipvpn corp member at 250M" in site["carries"]
    assert any("rename site lyon-warehouse to lyon-warehous" in h for h in content["rename_hints"])
    status = demo.call("GET", "/api/v1/status", "acme-viewer").json()
    refused = demo.call("POST", f"/api/v1/plans/{content['id']}/apply", "acme-admin", json={"reason": "oops"})
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["field"] == "confirm_removals" and "lyon-warehouse" in problem["detail"]
    assert "did you mean to rename site lyon-warehouse to lyon-warehous" in problem["detail"]
    assert demo.call("GET", "/api/v1/status", "acme-viewer").json() == status  # nothing changed
    assert "lyon-warehouse" in {s["name"] for s in demo.call("GET", "/api/v1/sites", "acme-viewer").json()}
    done = demo.call("POST", f"/api/v1/plans/{content['id']}/apply", "acme-admin",
                     json={"reason": "really", "confirm_removals": True})
    assert done.status_code == 200, done.text
    assert "lyon-warehouse" not in {s["name"] for s in demo.call("GET", "/api/v1/sites", "acme-viewer").json()}


def test_a_plan_that_removes_nothing_live_needs_no_confirmation(demo: DemoApi) -> None:
    doc = demo.call("GET", "/api/v1/intent", "acme-admin").json()
    plan = demo.call("POST", "/api/v1/plans", "acme-admin", json=doc).json()
    assert plan["removals"] == [] and plan["rename_hints"] == []


def test_a_vpn_member_leaving_is_a_removal_too(demo: DemoApi) -> None:
    doc = copy.deepcopy(demo.call("GET", "/api/v1/intent", "acme-admin").json())
    corp = next(s for s in doc["services"] if s["name"] == "corp")
    corp["members"] = [m for m in corp["members"] if m["site"] != "munich-office"]
    plan = demo.call("POST", "/api/v1/plans", "acme-admin", json=doc).json()
    assert plan["removals"] == [{"kind": "vpn-member", "name": "corp member munich-office",
                                 "carries": "site munich-office in ipvpn corp at 10M"}]
    assert demo.call("POST", f"/api/v1/plans/{plan['id']}/apply", "acme-admin", json={}).status_code == 422
