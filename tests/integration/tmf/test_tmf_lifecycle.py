"""Lists (fields, offset/limit with X-Total-Count and X-Result-Count, attribute filters), patch, cancel
and a future requestedStartDate (a scheduled rate change), every answer checked against the official
schemas."""

from __future__ import annotations

from datetime import timedelta

from tmf_helpers import (
    CATALOG,
    INVENTORY,
    ORDERING,
    TmfApi,
    access_item,
    characteristic,
    conforms,
    internet_item,
    rate_item,
)

from frozen_time import TEST_NOW
from unilink.usecases import scheduled_changes

ELINE = "oslo-handoff-hamburg-handoff"


def _eline(api: TmfApi) -> dict:
    return api.call("GET", f"{INVENTORY}/service", "buyer", params={"name": ELINE}).json()[0]


def test_inventory_lists_page_select_and_filter(tmf_api: TmfApi) -> None:
    everything = conforms("TMF638", "Service", tmf_api.call("GET", f"{INVENTORY}/service", "buyer").json())
    # the buyer's four hand-off sites and its two E-Lines (the seeded intent)
    assert sorted(s["category"] for s in everything) == ["access"] * 4 + ["eline"] * 2
    page = tmf_api.call("GET", f"{INVENTORY}/service", "buyer", params={"offset": "4", "limit": "5"})
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("6", "2")
    assert [s["id"] for s in page.json()] == [s["id"] for s in everything[4:]]
    selected = tmf_api.call("GET", f"{INVENTORY}/service", "buyer", params={"fields": "name,state"}).json()
    assert {frozenset(s) for s in selected} == {frozenset({"id", "href", "@type", "name", "state"})}
    conforms("TMF638", "Service", selected)
    lines = tmf_api.call("GET", f"{INVENTORY}/service", "buyer", params={"serviceSpecification.id": "eline"})
    assert lines.headers["X-Total-Count"] == "2"
    assert {characteristic(s, "rate") for s in lines.json()} == {2_000_000_000, 1_000_000_000}
    assert tmf_api.call("GET", f"{INVENTORY}/service", "buyer", params={"state": "terminated"}).json() == []
    one = tmf_api.call("GET", f"{INVENTORY}/service/{everything[0]['id']}", "buyer", params={"fields": "name"})
    assert set(one.json()) == {"id", "href", "@type", "name"}
    bad = tmf_api.call("GET", f"{INVENTORY}/service", "buyer", params={"limit": "-1"})
    assert (bad.status_code, bad.json()["field"]) == (400, "limit")
    conforms("TMF638", "Error", bad.json())


def test_the_catalog_characteristics_come_from_the_catalog(tmf_api: TmfApi) -> None:
    access = tmf_api.call("GET", f"{CATALOG}/serviceSpecification/access", "acme").json()
    conforms("TMF633", "ServiceSpecification", access)
    names = {c["name"]: c for c in access["specCharacteristic"]}
    assert set(names) == {"pop", "router", "technology", "provider", "port", "down", "up", "vpnMembership"}
    assert names["down"]["characteristicValueSpecification"][0]["unitOfMeasure"] == "bit/s"
    assert "ftth" in names["technology"]["description"]
    catalogs = conforms("TMF633", "ServiceCatalog", tmf_api.call("GET", f"{CATALOG}/serviceCatalog", "acme").json())
    assert [c["id"] for c in catalogs] == ["unilink"]
    assert tmf_api.call("GET", f"{CATALOG}/serviceSpecification/mpls", "acme").status_code == 404


def test_orders_list_filter_and_patch(tmf_api: TmfApi) -> None:
    eline = _eline(tmf_api)["id"]
    first = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json={
        "externalId": "A", "serviceOrderItem": [rate_item("1", eline, "1.1G")]}).json()
    second = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json={
        "externalId": "B", "serviceOrderItem": [access_item("1", "berlin-pop", "Hamburg")]}).json()
    assert (first["state"], second["state"]) == ("completed", "inProgress")
    listed = tmf_api.call("GET", f"{ORDERING}/serviceOrder", "buyer", params={"state": "inProgress"})
    assert [o["externalId"] for o in conforms("TMF641", "ServiceOrder", listed.json())] == ["B"]
    assert listed.headers["X-Total-Count"] == "1"
    both = tmf_api.call("GET", f"{ORDERING}/serviceOrder", "buyer", params={"state": "completed,inProgress",
                                                                           "fields": "externalId"}).json()
    assert [(o["externalId"], set(o)) for o in both] == [("A", {"id", "href", "@type", "externalId"}),
                                                          ("B", {"id", "href", "@type", "externalId"})]
    patched = tmf_api.call("PATCH", f"{ORDERING}/serviceOrder/{second['id']}", "buyer",
                           json={"description": "Berlin, phase 1", "priority": "1"})
    assert patched.status_code == 200, patched.text
    assert conforms("TMF641", "ServiceOrder", patched.json())["description"] == "Berlin, phase 1"
    refused = tmf_api.call("PATCH", f"{ORDERING}/serviceOrder/{second['id']}", "buyer", json={"state": "completed"})
    assert (refused.status_code, refused.json()["field"]) == (400, "state")
    assert tmf_api.call("GET", second["href"].removeprefix("http://testserver"), "buyer").json()["state"] == \
        "inProgress"


def test_cancel_a_service_order_cancels_its_field_work(tmf_api: TmfApi) -> None:
    order = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json={"serviceOrderItem": [
        access_item("1", "berlin-pop", "Hamburg"), internet_item("2", "berlin-internet", "berlin-pop", "1G")]}).json()
    native = tmf_api.call("GET", "/api/v1/orders", "buyer", params={"open": "true"}).json()
    assert [o["site"] for o in native] == ["berlin-pop"]
    answer = tmf_api.call("POST", f"{ORDERING}/cancelServiceOrder", "buyer", json={
        "serviceOrder": {"id": order["id"]}, "cancellationReason": "site not ready"})
    assert answer.status_code == 201, answer.text
    request = conforms("TMF641", "CancelServiceOrder", answer.json())
    assert request["state"] == "done"
    assert tmf_api.call("GET", f"/api/v1/orders/{native[0]['id']}", "buyer").json()["state"] == "cancelled"
    cancelled = conforms("TMF641", "ServiceOrder", tmf_api.call("GET", f"{ORDERING}/serviceOrder/{order['id']}",
                                                                "buyer").json())
    assert (cancelled["state"], cancelled["cancellationReason"]) == ("cancelled", "site not ready")
    assert [i["state"] for i in cancelled["serviceOrderItem"]] == ["cancelled", "cancelled"]
    again = tmf_api.call("GET", request["href"].removeprefix("http://testserver"), "buyer").json()
    assert again["id"] == request["id"]
    conforms("TMF641", "CancelServiceOrder", tmf_api.call("GET", f"{ORDERING}/cancelServiceOrder", "buyer").json())
    twice = tmf_api.call("POST", f"{ORDERING}/cancelServiceOrder", "buyer", json={"serviceOrder": {"id": order["id"]}})
    assert (twice.status_code, twice.json()["field"]) == (409, "serviceOrder.id")
    conforms("TMF641", "Error", twice.json())


def test_a_future_start_is_a_scheduled_rate_change(tmf_api: TmfApi, frozen_clock) -> None:  # noqa: ANN001
    eline = _eline(tmf_api)["id"]
    start = TEST_NOW + timedelta(days=2)
    order = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json={
        "requestedStartDate": start.isoformat().replace("+00:00", "Z"),
        "serviceOrderItem": [rate_item("1", eline, "1.5G")]}).json()
    assert conforms("TMF641", "ServiceOrder", order)["state"] == "inProgress"
    intent = tmf_api.call("GET", "/api/v1/intent", "buyer").json()
    assert [(s["service"], s["rate"], s["at"]) for s in intent["schedules"]] == \
        [(ELINE, 1_500_000_000, "2026-12-03T02:30:00Z")]
    assert characteristic(_eline(tmf_api), "rate") == 1_000_000_000  # not yet
    frozen_clock.set(start + timedelta(minutes=1))
    scheduled_changes.run_due(tmf_api.store)
    assert characteristic(_eline(tmf_api), "rate") == 1_500_000_000
    done = tmf_api.call("GET", f"{ORDERING}/serviceOrder/{order['id']}", "buyer").json()
    assert (done["state"], done["serviceOrderItem"][0]["state"]) == ("completed", "completed")
    # a future start is for rate changes: a new site starts when its line is installed
    refused = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json={
        "requestedStartDate": "2027-06-01T00:00:00Z", "serviceOrderItem": [access_item("1", "b", "Hamburg")]})
    assert (refused.status_code, refused.json()["field"]) == (400, "requestedStartDate")


def test_orders_list_with_tmf630_operators_and_sort(tmf_api: TmfApi) -> None:
    eline = _eline(tmf_api)["id"]
    for external_id, rate in (("A", "1.1G"), ("B", "1.2G"), ("C", "1.3G")):
        made = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json={
            "externalId": external_id, "serviceOrderItem": [rate_item("1", eline, rate)]})
        assert made.status_code == 201, made.text
    newest_first = tmf_api.call("GET", f"{ORDERING}/serviceOrder", "buyer", params={"sort": "-externalId"}).json()
    assert [o["externalId"] for o in conforms("TMF641", "ServiceOrder", newest_first)] == ["C", "B", "A"]
    order_date = newest_first[0]["orderDate"]
    not_b = tmf_api.call("GET", f"{ORDERING}/serviceOrder", "buyer", params={"externalId.ne": "B"})
    assert (sorted(o["externalId"] for o in not_b.json()), not_b.headers["X-Total-Count"]) == (["A", "C"], "2")
    assert len(tmf_api.call("GET", f"{ORDERING}/serviceOrder", "buyer",
                            params={"orderDate.lte": order_date}).json()) == 3
    assert tmf_api.call("GET", f"{ORDERING}/serviceOrder", "buyer", params={"orderDate.gt": order_date}).json() == []
    later = (TEST_NOW + timedelta(days=1)).date().isoformat()
    assert tmf_api.call("GET", f"{ORDERING}/serviceOrder?orderDate>={later}", "buyer").json() == []
    bad = tmf_api.call("GET", f"{ORDERING}/serviceOrder", "buyer", params={"sort": "order date"})
    assert (bad.status_code, bad.json()["field"]) == (400, "sort")
    conforms("TMF641", "Error", bad.json())
