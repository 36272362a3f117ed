"""Bad input per resource: wrong types, unknown fields, huge values, injection-looking strings.

Each answer is a 4xx problem+json naming the field, and nothing changes: the same collection reads the
same afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_fixtures import Api

INJECTIONS = ["'; DROP TABLE tenants; --", "<script>alert(1)</script>", "../../etc/passwd", "${jndi:ldap://x}",
              "a\nb", "Robert'); DELETE FROM api_tokens;--", "\u0000", "x" * 10_000]

# (method, path, valid body, collection to compare before/after, caller)
RESOURCES: dict[str, tuple[str, str, dict[str, Any], str, str]] = {
    "pop": ("PUT", "/api/v1/pops/Lyon", {"city": "Lyon", "country": "FR", "lat": 45.7, "lon": 4.8},
            "/api/v1/pops", "op-admin"),
    "router": ("PUT", "/api/v1/routers/par-pe2", {"pop": "Paris", "role": "edge", "vendor": "frr",
                                                  "loopback": "10.255.0.99"}, "/api/v1/routers", "op-admin"),
    "link": ("PUT", "/api/v1/links/London-Frankfurt", {"a": "London", "b": "Frankfurt", "capacity_bps": 10**10},
             "/api/v1/links", "op-admin"),
    "interconnect": ("PUT", "/api/v1/interconnects/par-cogent", {"kind": "transit", "pop": "Paris",
                                                                 "partner": "Cogent", "capacity_bps": 10**11},
                     "/api/v1/interconnects", "op-admin"),
    "tenant": ("POST", "/api/v1/tenants", {"name": "initech", "kind": "enterprise", "display_name": "Initech"},
               "/api/v1/tenants", "op-admin"),
    "user": ("POST", "/api/v1/users", {"username": "bob", "role": "tenant-viewer", "password": "a long passphrase"},
             "/api/v1/users", "acme-admin"),
    "token": ("POST", "/api/v1/tokens", {"role": "tenant-viewer", "name": "ci"}, "/api/v1/tokens", "acme-admin"),
    "webhook": ("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "secret": "0123456789abcdef"},
                "/api/v1/webhooks", "acme-admin"),
    "plan": ("POST", "/api/v1/plans", {"sites": [], "services": []}, "/api/v1/services", "acme-admin"),
    "path": ("POST", "/api/v1/paths", {"src": "Paris", "dst": "London", "bps": 1000}, "/api/v1/links", "op-admin"),
}


def _state(api: Api, collection: str) -> Any:
    return api.get(collection, "op-admin").json()


def _check_refused(api: Api, response: Any, collection: str, before: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "Traceback" not in response.text and "sqlite" not in response.text.lower()
    assert _state(api, collection) == before
    return body


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_valid_body_is_accepted(api: Api, resource: str) -> None:
    """The baseline: without it, the refusals below could be refusals of everything."""
    method, path, body, _, who = RESOURCES[resource]
    assert api.client.request(method, path, headers=api.headers(who), json=body).status_code < 300


@pytest.mark.parametrize("resource", RESOURCES)
def test_unknown_field_is_refused_by_name(api: Api, resource: str) -> None:
    method, path, body, collection, who = RESOURCES[resource]
    before = _state(api, collection)
    response = api.client.request(method, path, headers=api.headers(who), json={**body, "colour": "blue"})
    if resource == "plan":  # an intent document is checked by the engine, which names the field
        problem = _check_refused(api, response, collection, before)
        assert "colour" in problem["detail"]
        return
    problem = _check_refused(api, response, collection, before)
    assert problem["errors"][0]["field"] == "body.colour"


@pytest.mark.parametrize("resource", RESOURCES)
def test_wrong_types_are_refused_by_name(api: Api, resource: str) -> None:
    method, path, body, collection, who = RESOURCES[resource]
    before = _state(api, collection)
    for key, value in body.items():
        wrong: Any = {"x": 1} if not isinstance(value, dict) else "not an object"
        if isinstance(value, list):
            wrong = "not a list"
        response = api.client.request(method, path, headers=api.headers(who), json={**body, key: wrong})
        problem = _check_refused(api, response, collection, before)
        assert key in (problem.get("field") or "") + problem["detail"], (key, problem)


@pytest.mark.parametrize("resource", RESOURCES)
def test_not_json_and_not_an_object_are_refused(api: Api, resource: str) -> None:
    method, path, _, collection, who = RESOURCES[resource]
    before = _state(api, collection)
    for content in (b"{not json", b"[1, 2, 3]", b"null", b'"text"'):
        response = api.client.request(method, path, content=content,
                                      headers={**api.headers(who), "Content-Type": "application/json"})
        _check_refused(api, response, collection, before)


@pytest.mark.parametrize("resource", ["pop", "router", "link", "interconnect", "tenant", "user", "token", "webhook",
                                      "path"])
def test_injection_looking_strings_are_refused_or_stored_inert(api: Api, resource: str) -> None:
    method, path, body, collection, who = RESOURCES[resource]
    strings = [k for k, v in body.items() if isinstance(v, str)]
    for key in strings:
        for evil in INJECTIONS:
            response = api.client.request(method, path, headers=api.headers(who), json={**body, key: evil})
            assert response.status_code < 500, (key, evil, response.text)
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json"
                echoed = response.json().get("errors", [{}])[0].get("value")
                assert echoed is None or len(str(echoed)) <= 201  # never echoes 10 kB back
    # the database is intact: every table still answers
    for check in ("/api/v1/tenants", "/api/v1/tokens", "/api/v1/pops"):
        assert api.get(check, "op-admin").status_code == 200


@pytest.mark.parametrize("value", [10**30, -1, 0, 2**63, 1e308, "10G"])
def test_huge_negative_or_textual_capacities_are_refused(api: Api, value: Any) -> None:
    before = _state(api, "/api/v1/links")
    response = api.put("/api/v1/links/London-Frankfurt", "op-admin",
                       json={"a": "London", "b": "Frankfurt", "capacity_bps": value})
    problem = _check_refused(api, response, "/api/v1/links", before)
    assert problem["errors"][0]["field"] == "body.capacity_bps"


def test_bad_query_parameters_are_refused_by_name(api: Api) -> None:
    for params, field in (({"limit": "many"}, "query.limit"), ({"limit": "100000"}, "query.limit"),
                          ({"tenant": "'; DROP TABLE x;--"}, "query.tenant")):
        response = api.get("/api/v1/audit", "op-admin", params=params)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field


def test_a_huge_intent_document_is_refused_without_effect(api: Api) -> None:
    sites = [{"name": f"s{i}", "pop": "Paris", "access": {"technology": "fibre", "port": "1G", "down": "1M",
                                                           "up": "1M"}} for i in range(10_001)]
    before = _state(api, "/api/v1/services")
    response = api.post("/api/v1/plans", "acme-admin", json={"sites": sites, "services": []})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.sites"
    assert _state(api, "/api/v1/services") == before
