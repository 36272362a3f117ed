"""Bad input, refusals and isolation on the TMF APIs: the specs' Error body naming the field, nothing
changed on a refusal; an engine refusal is a `failed` order whose culprit item carries the reason;
another tenant's order, service or hub answers 404 as if it did not exist."""

from __future__ import annotations

from typing import Any

import pytest
from tmf_helpers import INVENTORY, ORDERING, TmfApi, access_item, characteristic, conforms, internet_item, rate_item

from unilink.store import outbox_repo

G = 1_000_000_000


def _service_id(api: TmfApi, name: str, who: str = "buyer") -> str:
    found = api.call("GET", f"{INVENTORY}/service", who, params={"name": name}).json()
    assert len(found) == 1, found
    return found[0]["id"]


def _counts(api: TmfApi) -> tuple[int, int, Any]:
    """(TMF orders, outbox rows, the buyer's intent) — what a refusal must leave as it was."""
    orders = api.call("GET", f"{ORDERING}/serviceOrder", "op-admin").json()
    with api.store.session() as session:
        rows = outbox_repo.counts(session)["total"]
    intent = api.call("GET", "/api/v1/intent", "buyer").json()
    return len(orders), rows, intent


@pytest.mark.parametrize(("items", "field", "accepted"), [
    ([], "serviceOrderItem", "a list of ServiceOrderItem objects"),
    ([{"id": "1", "action": "upgrade", "service": {}}], "serviceOrderItem[0].action", "add, modify, delete, noChange"),
    ([{"id": "1", "action": "add", "service": {"name": "x", "serviceSpecification": {"id": "mpls"}}}],
     "serviceOrderItem[0].service.serviceSpecification.id", None),
    ([{"id": "1", "action": "modify", "service": {"id": "no-such-service"}}], "serviceOrderItem[0].service.id", None),
    ([internet_item("1", "hamburg-internet", "hamburg-handoff", "fast")],
     "serviceOrderItem[0].service.serviceCharacteristic[1].value", None),
    ([{"id": "1", "action": "add", "service": {"name": "x", "serviceSpecification": {"id": "internet"},
                                               "serviceCharacteristic": [{"name": "colour", "value": "red"}]}}],
     "serviceOrderItem[0].service.serviceCharacteristic[0].name", "site, rate, up"),
    ([internet_item("1", "a", "hamburg-handoff", "1G"), internet_item("1", "b", "oslo-handoff", "1G")],
     "serviceOrderItem[1].id", "an id unique within the order"),
])
def test_bad_input_is_the_specs_error_naming_the_field(tmf_api: TmfApi, items: list[Any], field: str,
                                                         accepted: str | None) -> None:
    before = _counts(tmf_api)
    answer = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json={"serviceOrderItem": items})
    assert answer.status_code == 400, answer.text
    error = conforms("TMF641", "Error", answer.json())
    assert (error["code"], error["field"]) == ("400", field)
    assert field in error["message"]
    if accepted is not None:
        assert accepted in error["accepted"]
    assert _counts(tmf_api) == before  # nothing stored, no event, the intent unchanged


def test_a_body_that_is_not_an_object_and_a_bad_date(tmf_api: TmfApi) -> None:
    answer = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json=[1, 2])
    assert (answer.status_code, answer.json()["field"]) == (400, "body")
    answer = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json={
        "requestedStartDate": "tomorrow", "serviceOrderItem": [internet_item("1", "i", "oslo-handoff", "1G")]})
    assert (answer.status_code, answer.json()["field"], answer.json()["value"]) == \
        (400, "requestedStartDate", "tomorrow")


def test_an_engine_refusal_is_a_failed_item_with_the_reason(tmf_api: TmfApi) -> None:
    """A 2G Internet on a 1G access: the engine refuses the change; the order is stored as failed,
    the Internet item names the reason, the access item was not applied because of it."""
    before_intent = tmf_api.call("GET", "/api/v1/intent", "buyer").json()
    body = {"serviceOrderItem": [access_item("a", "berlin-pop", "Hamburg"),
                                 internet_item("b", "berlin-internet", "berlin-pop", "2G")]}
    answer = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json=body)
    assert answer.status_code == 201, answer.text
    order = conforms("TMF641", "ServiceOrder", answer.json())
    assert order["state"] == "failed"
    assert [i["state"] for i in order["serviceOrderItem"]] == ["failed", "failed"]
    error = order["errorMessage"]
    assert [i["id"] for i in error["serviceOrderItem"]] == ["b"]  # the culprit
    assert "rate" in error["message"] and error["code"] == 422
    assert tmf_api.call("GET", "/api/v1/intent", "buyer").json() == before_intent
    assert tmf_api.call("GET", f"{INVENTORY}/service", "buyer", params={"name": "berlin-pop"}).json() == []


def test_another_tenants_objects_answer_404(tmf_api: TmfApi) -> None:
    eline = _service_id(tmf_api, "oslo-handoff-hamburg-handoff")
    created = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer",
                           json={"serviceOrderItem": [rate_item("1", eline, "1.2G")]}).json()
    hub = tmf_api.call("POST", f"{INVENTORY}/hub", "buyer", json={"callback": "http://127.0.0.1:9/cb"}).json()
    for method, path, body in [
            ("GET", f"{ORDERING}/serviceOrder/{created['id']}", None),
            ("PATCH", f"{ORDERING}/serviceOrder/{created['id']}", {"description": "mine now"}),
            ("GET", f"{INVENTORY}/service/{eline}", None),
            ("DELETE", f"{INVENTORY}/hub/{hub['id']}", None)]:
        answer = tmf_api.call(method, path, "acme", json=body)
        assert answer.status_code == 404, (method, path, answer.text)
        conforms("TMF641", "Error", answer.json())
    # a cancellation of another tenant's order is refused as one of an order that does not exist (TMF641
    # documents no 404 for a create): 400 naming serviceOrder.id
    refused = tmf_api.call("POST", f"{ORDERING}/cancelServiceOrder", "acme",
                           json={"serviceOrder": {"id": created["id"]}})
    assert (refused.status_code, refused.json()["field"]) == (400, "serviceOrder.id")
    unknown = tmf_api.call("POST", f"{ORDERING}/cancelServiceOrder", "acme", json={"serviceOrder": {"id": "nope"}})
    assert unknown.json()["message"] == refused.json()["message"].replace(created["id"], "nope")
    # acme's lists hold nothing of the buyer's; acme cannot order on the buyer's service either
    assert tmf_api.call("GET", f"{ORDERING}/serviceOrder", "acme").json() == []
    assert eline not in {s["id"] for s in tmf_api.call("GET", f"{INVENTORY}/service", "acme").json()}
    refused = tmf_api.call("POST", f"{ORDERING}/serviceOrder", "acme",
                           json={"serviceOrderItem": [rate_item("1", eline, "1G")]})
    assert (refused.status_code, refused.json()["field"]) == (400, "serviceOrderItem[0].service.id")
    # the buyer still sees its own, unchanged by acme's attempts
    own = tmf_api.call("GET", f"{ORDERING}/serviceOrder/{created['id']}", "buyer").json()
    assert "description" not in own and own["state"] == "completed"
    line = tmf_api.call("GET", f"{INVENTORY}/service/{eline}", "buyer").json()
    assert characteristic(line, "rate") == 1_200_000_000


def test_a_callback_to_an_internal_address_is_refused_naming_callback(tmf_api: TmfApi) -> None:
    answer = tmf_api.call("POST", f"{ORDERING}/hub", "buyer",
                          json={"callback": "http://169.254.169.254/latest/meta-data/"})
    assert (answer.status_code, answer.json()["field"]) == (400, "callback")
    answer = tmf_api.call("POST", f"{ORDERING}/hub", "buyer",
                          json={"callback": "http://127.0.0.1:9/cb", "query": "eventType=ServiceCreateEvent"})
    assert (answer.status_code, answer.json()["field"]) == (400, "query")  # not an event of TMF641


def test_writes_are_audited_like_native_writes(tmf_api: TmfApi) -> None:
    eline = _service_id(tmf_api, "oslo-handoff-hamburg-handoff")
    tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer", json={"serviceOrderItem": [rate_item("1", eline, "1G")]})
    tmf_api.call("POST", f"{ORDERING}/serviceOrder", "buyer-viewer",
                 json={"serviceOrderItem": [rate_item("1", eline, "1G")]})
    audit = tmf_api.call("GET", "/api/v1/audit", "op-admin", params={"tenant": "nordlink-wholesale"}).json()
    mine = [(a["action"], a["status"]) for a in audit if a["path"] == f"{ORDERING}/serviceOrder"]
    assert sorted(mine) == [(f"POST {ORDERING}/serviceOrder", 201), (f"POST {ORDERING}/serviceOrder", 403)]
