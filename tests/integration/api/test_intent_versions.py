"""Issue 11 item 6: lost updates. Two colleagues read intent version N, each add a service and apply:
the second apply used to delete the first one's service. Now GET /intent answers the version as
ETag; PUT /intent, POST /plans and PATCH /intent take it back (If-Match or `base_version`) and a
plan or write from an older base is refused 409 naming the newer version and who wrote it."""

from __future__ import annotations

import copy
import json

from demo_api import DemoApi

ACME = "acme-logistics"
MERGE = "application/merge-patch+json"


def read(demo: DemoApi) -> tuple[dict, str]:
    answer = demo.call("GET", "/api/v1/intent", "acme-admin")
    assert answer.status_code == 200
    return answer.json(), answer.headers["ETag"]


def with_internet(doc: dict, name: str, site: str) -> dict:
    doc = copy.deepcopy(doc)
    doc["services"].append({"kind": "internet", "name": name, "site": site, "rate": "20M"})
    return doc


def services(demo: DemoApi) -> set[str]:
    return {s["name"] for s in demo.call("GET", "/api/v1/services", "acme-viewer").json()}


def apply(demo: DemoApi, plan_id: str) -> int:
    return demo.call("POST", f"/api/v1/plans/{plan_id}/apply", "acme-admin", json={}).status_code


def test_two_colleagues_from_the_same_version_the_second_is_told_not_silently_undone(demo: DemoApi) -> None:
    doc, etag = read(demo)
    version = int(etag.strip('"'))
    assert version >= 1
    alice = demo.client.post("/api/v1/plans", json=with_internet(doc, "alice-net", "milan-office"),
                             headers={"If-Match": etag, "Authorization": f"Bearer {demo.tokens['acme-admin']}"})
    assert alice.status_code == 201, alice.text
    assert apply(demo, alice.json()["id"]) == 200
    assert read(demo)[1] == f'"{version + 1}"'
    bob = demo.client.post("/api/v1/plans", json=with_internet(doc, "bob-net", "madrid-depot"),
                           headers={"If-Match": etag, "Authorization": f"Bearer {demo.tokens['acme-admin']}"})
    assert bob.status_code == 409
    problem = bob.json()
    assert problem["field"] == "base_version" and f"version {version + 1} was written" in problem["detail"]
    assert "alice-net" in services(demo)  # not deleted


def test_a_plan_made_from_the_latest_version_is_refused_at_apply_once_another_was_applied(demo: DemoApi) -> None:
    doc, etag = read(demo)
    headers = {"Authorization": f"Bearer {demo.tokens['acme-admin']}", "If-Match": etag}
    first = demo.client.post("/api/v1/plans", json=with_internet(doc, "alice-net", "milan-office"), headers=headers)
    second = demo.client.post("/api/v1/plans", json=with_internet(doc, "bob-net", "madrid-depot"), headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert apply(demo, first.json()["id"]) == 200
    assert apply(demo, second.json()["id"]) == 409
    assert "alice-net" in services(demo) and "bob-net" not in services(demo)


def test_put_takes_base_version_in_the_body_and_without_one_last_write_wins(demo: DemoApi) -> None:
    doc, etag = read(demo)
    version = int(etag.strip('"'))
    stale = demo.call("PUT", "/api/v1/intent", "acme-admin", json={**doc, "base_version": version - 1})
    assert stale.status_code == 409 and stale.json()["accepted"] == str(version)
    fresh = demo.call("PUT", "/api/v1/intent", "acme-admin", json={**doc, "base_version": version})
    assert fresh.status_code == 200, fresh.text
    assert demo.call("PUT", "/api/v1/intent", "acme-admin", json=doc).status_code == 200  # no base: accepted
    future = demo.call("PUT", "/api/v1/intent", "acme-admin", json={**doc, "base_version": version + 5})
    assert future.status_code == 422 and future.json()["field"] == "base_version"


def test_a_bad_if_match_is_a_422_naming_the_header(demo: DemoApi) -> None:
    doc, _ = read(demo)
    bad = demo.client.post("/api/v1/plans", json=doc,
                           headers={"If-Match": '"seven"', "Authorization": f"Bearer {demo.tokens['acme-admin']}"})
    assert bad.status_code == 422 and bad.json()["field"] == "If-Match"
    both = demo.client.post("/api/v1/plans", json={**doc, "base_version": 1},
                            headers={"If-Match": '"2"', "Authorization": f"Bearer {demo.tokens['acme-admin']}"})
    assert both.status_code == 422 and both.json()["field"] == "base_version"


def patch(demo: DemoApi, body: dict, etag: str | None, content_type: str = MERGE) -> object:
    headers = {"Authorization": f"Bearer {demo.tokens['acme-admin']}", "Content-Type": content_type}
    if etag is not None:
        headers["If-Match"] = etag
    return demo.client.patch("/api/v1/intent", content=json.dumps(body), headers=headers)


def test_merge_patch_changes_part_of_the_intent_guarded_by_if_match(demo: DemoApi) -> None:
    doc, etag = read(demo)
    # RFC 7396: a list is replaced whole, so the services go with the one added
    body = {"services": with_internet(doc, "patched-net", "milan-office")["services"]}
    answer = patch(demo, body, etag)
    assert answer.status_code == 200, answer.text
    assert "add internet patched-net" in answer.json()["summary"]
    assert apply(demo, answer.json()["id"]) == 200
    assert "patched-net" in services(demo)
    assert patch(demo, body, etag).status_code == 409  # from the version before the patch
    assert patch(demo, {}, '"x"').status_code == 422
    assert patch(demo, body, read(demo)[1], content_type="application/json").status_code == 415
    removed = patch(demo, {"boosts": None}, read(demo)[1])  # null removes a key: the intent without boosts
    assert removed.status_code == 200 and removed.json()["empty"]
