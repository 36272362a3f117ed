"""The pure part of the TM Forum façade: items → intent edits, the culprit of an engine error, the TMF641
states from the field work, TMF638 services from a deployed intent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from unilink.errors import ValidationError
from unilink.services import tmf_mapping as tmf

DEPLOYED = {"sites": [{"name": "hq", "pop": "Paris", "access": {"technology": "fibre", "provider": "on-net",
                                                                 "port": 10**10, "down": 10**9, "up": 10**9}},
                      {"name": "lyon", "pop": "Lyon", "access": {"technology": "ftth", "port": 10**9,
                                                                 "down": 500 * 10**6, "up": 200 * 10**6}}],
            "services": [{"kind": "internet", "name": "hq-internet", "site": "hq", "rate": 300 * 10**6},
                         {"kind": "ipvpn", "name": "corp", "topology": "any-to-any",
                          "members": [{"site": "hq", "rate": 10**8}, {"site": "lyon", "rate": 5 * 10**7}]}]}
KNOWN = {tmf.service_id("acme", "internet", "hq-internet"): ("internet", "hq-internet"),
         tmf.service_id("acme", "access", "hq"): ("access", "hq")}


def _item(i: str, action: str, service: dict) -> dict:
    return {"id": i, "action": action, "service": service}


def test_items_become_one_intent_with_each_path_owned_by_its_item() -> None:
    body = {"serviceOrderItem": [
        _item("new", "add", {"name": "berlin", "serviceSpecification": {"id": "access"}, "serviceCharacteristic": [
            {"name": "pop", "value": "Berlin"}, {"name": "technology", "value": "fibre"},
            {"name": "port", "value": "1G"}, {"name": "down", "value": "1G"}, {"name": "up", "value": 10**9}]}),
        _item("rate", "modify", {"id": tmf.service_id("acme", "internet", "hq-internet"),
                                 "serviceCharacteristic": [{"name": "rate", "value": "600M"}]}),
        _item("same", "noChange", {"id": tmf.service_id("acme", "access", "hq")})]}
    edits = tmf.parse_items(body, KNOWN)
    out = tmf.translate(DEPLOYED, edits, tenant="acme")
    assert out.document["sites"][2] == {"name": "berlin", "pop": "Berlin", "access": {
        "technology": "fibre", "port": 10**9, "down": 10**9, "up": 10**9}}
    assert out.document["services"][0]["rate"] == 600 * 10**6
    assert DEPLOYED["services"][0]["rate"] == 300 * 10**6  # the caller's document is untouched
    assert out.owners == {"sites[0]": "same", "sites[2]": "new", "services[0]": "rate"}
    assert tmf.owner_of("services[0].rate", out.owners) == "rate"
    assert tmf.owner_of("sites[2].access.down", out.owners) == "new"
    assert tmf.owner_of("services[1].members[0].rate", out.owners) is None
    assert not out.removes and out.item_sites == {"new": ("berlin",), "rate": ("hq",), "same": ("hq",)}


def test_a_delete_removes_and_says_so() -> None:
    edits = tmf.parse_items({"serviceOrderItem": [_item("x", "delete", {
        "id": tmf.service_id("acme", "internet", "hq-internet")})]}, KNOWN)
    out = tmf.translate(DEPLOYED, edits, tenant="acme")
    assert [s["name"] for s in out.document["services"]] == ["corp"] and out.removes


def test_a_future_start_is_a_schedule_from_then_on() -> None:
    at = datetime(2027, 1, 15, 8, tzinfo=UTC)
    edits = tmf.parse_items({"serviceOrderItem": [_item("1", "modify", {
        "id": tmf.service_id("acme", "internet", "hq-internet"),
        "serviceCharacteristic": [{"name": "rate", "value": "1G"}]})]}, KNOWN)
    out = tmf.translate(DEPLOYED, edits, tenant="acme", schedule_at=at, order_id="0123456789")
    assert out.document["services"][0]["rate"] == 300 * 10**6
    assert out.document["schedules"] == [{"name": "tmf-01234567-1", "service": "hq-internet", "rate": 10**9,
                                          "at": "2027-01-15T08:00:00Z"}]


@pytest.mark.parametrize(("item", "field"), [
    (_item("1", "add", {"name": "x", "serviceSpecification": {"id": "internet"},
                        "serviceCharacteristic": [{"name": "site", "value": "hq"}]}),
     "serviceOrderItem[0].service.serviceCharacteristic"),  # no rate
    (_item("1", "modify", {"id": tmf.service_id("globex", "internet", "hq-internet")}),
     "serviceOrderItem[0].service.id"),
    (_item("1", "add", {"name": "x", "serviceSpecification": {"id": "eline"}, "serviceCharacteristic": [
        {"name": "a", "value": "hq"}, {"name": "b", "value": "lyon"}, {"name": "rate", "value": "1G"},
        {"name": "protected", "value": "yes"}]}), "serviceOrderItem[0].service.serviceCharacteristic[3].value"),
    (_item("1", "delete", {"id": tmf.service_id("acme", "access", "hq"),
                           "serviceCharacteristic": [{"name": "pop", "value": "Lyon"}]}),
     "serviceOrderItem[0].service.serviceCharacteristic"),
])
def test_what_cannot_be_translated_names_the_field(item: dict, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        tmf.parse_items({"serviceOrderItem": [item]}, KNOWN)
    assert refused.value.field == field


@pytest.mark.parametrize(("native", "expected"), [
    ({}, "completed"),
    ({"hq": ["acknowledged"]}, "inProgress"),
    ({"hq": ["held"]}, "held"),
    ({"hq": ["pending", "inProgress"]}, "pending"),
    ({"hq": ["completed", "completed"]}, "completed"),
    ({"hq": ["completed", "failed"]}, "failed"),
    ({"hq": ["cancelled"]}, "cancelled"),
    ({"lyon": ["held"]}, "completed"),  # another site's field work does not hold this item
])
def test_an_items_state_follows_its_sites_field_work(native: dict, expected: str) -> None:
    assert tmf.item_state(["hq"], native) == expected


@pytest.mark.parametrize(("items", "expected"), [
    ([], "acknowledged"), (["acknowledged"], "inProgress"), (["completed", "inProgress"], "inProgress"),
    (["completed", "held", "pending"], "held"), (["completed", "pending"], "pending"),
    (["completed", "completed"], "completed"), (["failed", "failed"], "failed"),
    (["cancelled"], "cancelled"), (["completed", "cancelled"], "partial"), (["completed", "failed"], "partial"),
])
def test_the_orders_state_from_its_items(items: list[str], expected: str) -> None:
    assert tmf.order_state(items) == expected


def test_inventory_shows_rates_in_bits_per_second_sites_and_vpn_membership() -> None:
    services = {s["name"]: s for s in tmf.inventory("acme", DEPLOYED)}
    chars = {c["name"]: c["value"] for c in services["lyon"]["serviceCharacteristic"]}
    assert chars == {"pop": "Lyon", "technology": "ftth", "port": 10**9, "down": 500 * 10**6, "up": 200 * 10**6,
                     "vpnMembership": ["corp"]}
    internet = services["hq-internet"]
    assert internet["id"] == tmf.service_id("acme", "internet", "hq-internet") != \
        tmf.service_id("globex", "internet", "hq-internet")
    assert [s["id"] for s in internet["supportingService"]] == [services["hq"]["id"]]
    in_force = tmf.inventory("acme", DEPLOYED, {("hq-internet", "hq"): (900 * 10**6, 900 * 10**6)})
    rate = next(c["value"] for s in in_force if s["name"] == "hq-internet" for c in s["serviceCharacteristic"]
                if c["name"] == "rate")
    assert rate == 900 * 10**6
