"""List endpoints: limit/offset with the counts in X-Total-Count / X-Result-Count, filters, and an
unknown query parameter refused (422 naming it) instead of silently ignored."""

from __future__ import annotations

import pytest
from api_fixtures import Api


def test_an_unknown_query_parameter_is_named_with_a_did_you_mean(api: Api) -> None:
    answer = api.get("/api/v1/orders", "acme-admin", params={"stat": "acknowledged"})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["field"] == "stat" and "did you mean 'state'?" in problem["detail"]
    assert "state" in problem["accepted"] and "limit" in problem["accepted"]


def test_a_route_without_parameters_says_so(api: Api) -> None:
    answer = api.get("/api/v1/auth/whoami", "acme-admin", params={"verbose": "1"})
    assert answer.status_code == 422 and answer.json()["accepted"] == "no query parameter on this route"


def test_limit_and_offset_page_through_with_the_counts(api: Api) -> None:
    everything = api.get("/api/v1/pops", "acme-admin").json()
    first = api.get("/api/v1/pops", "acme-admin", params={"limit": 2})
    rest = api.get("/api/v1/pops", "acme-admin", params={"limit": 2, "offset": 2})
    assert len(everything) == 3
    assert first.json() + rest.json() == everything
    assert (first.headers["x-total-count"], first.headers["x-result-count"]) == ("3", "2")
    assert (rest.headers["x-total-count"], rest.headers["x-result-count"]) == ("3", "1")


@pytest.mark.parametrize(("path", "params", "names"), [
    ("/api/v1/routers", {"vendor": "junos"}, ["lon-pe1"]),
    ("/api/v1/routers", {"pop": "Frankfurt", "role": "core"}, ["fra-p1"]),
    ("/api/v1/links", {"pop": "Frankfurt"}, ["Paris-Frankfurt"]),
    ("/api/v1/pops", {"country": "GB"}, ["London"]),
    ("/api/v1/tenants", {"kind": "cooperative"}, ["hamlet", "village"]),
])
def test_filters_keep_only_what_matches(api: Api, path: str, params: dict[str, str], names: list[str]) -> None:
    answer = api.get(path, "op-admin", params=params)
    assert answer.status_code == 200, answer.text
    assert sorted(item["name"] for item in answer.json()) == names
    assert answer.headers["x-total-count"] == str(len(names))


def test_a_tenants_sites_services_and_orders_page_and_filter(api: Api) -> None:
    sites = api.get("/api/v1/sites", "acme-admin")
    assert sites.headers["x-total-count"] == str(len(sites.json())) and len(sites.json()) >= 1
    one = api.get("/api/v1/sites", "acme-admin", params={"limit": 1})
    assert len(one.json()) == 1 and one.headers["x-total-count"] == sites.headers["x-total-count"]
    assert api.get("/api/v1/sites", "acme-admin", params={"pop": "London"}).json() == []
    services = api.get("/api/v1/services", "acme-admin", params={"site": "acme-office"}).json()
    assert [s["name"] for s in services] == ["acme-office-internet"]
    orders = api.get("/api/v1/orders", "acme-admin").json()
    assert orders and api.get("/api/v1/orders", "acme-admin", params={"state": "completed"}).json() == []
    same = api.get("/api/v1/orders", "acme-admin", params={"state": orders[0]["state"]}).json()
    assert [o["id"] for o in same] == [o["id"] for o in orders if o["state"] == orders[0]["state"]]


def test_a_bad_limit_is_refused_naming_it(api: Api) -> None:
    answer = api.get("/api/v1/pops", "acme-admin", params={"limit": 0})
    assert answer.status_code == 422 and "limit" in answer.text
