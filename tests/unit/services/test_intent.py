from __future__ import annotations

import copy
from typing import Any

import pytest

from unilink.errors import ValidationError
from unilink.inventory.model import Network
from unilink.services.intent import check_intent, load_intent_text, parse_intent, site_usages
from unilink.services.intent_diff import Action, diff_intents

M = 10**6


def refused(doc: dict[str, Any], network: Network) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        check_intent(parse_intent(doc), network)
    return err.value


def test_rates_parse_with_units_and_usages(document: dict[str, Any], network: Network) -> None:
    intent = parse_intent(document)
    check_intent(intent, network)
    assert intent.sites[0].access.down == 500 * M
    usages = site_usages(intent)
    assert usages[("hq-internet", "HQ")] == (200 * M, 200 * M)
    assert usages[("corp", "Lyon-office")] == (50 * M, 20 * M)  # up in the VDSL2 proportion 100M/40M


def test_yaml_round_trip(document: dict[str, Any]) -> None:
    intent = parse_intent(document)
    assert "rate: 200M" in intent.to_yaml()
    assert load_intent_text(intent.to_yaml()) == intent


@pytest.mark.parametrize(("mutate", "field", "needle"), [
    (lambda d: d["sites"][1]["access"].update(down="0"), "sites[1].access.down", "greater than zero"),
    (lambda d: d["sites"][1]["access"].update(down="-5M"), "sites[1].access.down", "not a bandwidth"),
    (lambda d: d["sites"][0].update(colour="red"), "sites[0].colour", "unknown field"),
    (lambda d: d["services"][0].update(kind="telepathy"), "services[0].kind", "service kind"),
    (lambda d: d["services"][0].update(rate="fast"), "services[0].rate", "not a bandwidth"),
    (lambda d: d["services"][1]["members"][0].update(rate="1.5"), "services[1].members[0].rate", "whole"),
])
def test_shape_errors_name_the_field(document: dict[str, Any], mutate: Any, field: str, needle: str) -> None:
    doc = copy.deepcopy(document)
    mutate(doc)
    with pytest.raises(ValidationError) as err:
        parse_intent(doc)
    assert err.value.field == field
    assert needle in str(err.value)


@pytest.mark.parametrize(("mutate", "field", "needle"), [
    (lambda d: d["services"][0].update(site="Nowhere"), "services[0].site", "unknown site"),
    (lambda d: d["services"][0].update(rate="600M"), "services[0].rate", "over the access"),
    (lambda d: d["sites"].append(copy.deepcopy(d["sites"][0])), "sites[3].name", "duplicate site"),
    (lambda d: d["services"].append(copy.deepcopy(d["services"][1])), "services[2].name", "duplicate service"),
    (lambda d: d["services"][1].update(members=[{"site": "HQ", "rate": "10M"}]), "services[1].members", "two"),
    (lambda d: d["services"][1]["members"].append({"site": "Globex-Berlin", "rate": "10M"}),
     "services[1].members[2].site", "unknown site"),
    (lambda d: d["sites"][1]["access"].update(down="120M"), "sites[1].access.down", "ceiling"),
    (lambda d: d["sites"][2]["access"].update(up="2M"), "sites[2].access.up", "ceiling"),
    (lambda d: d["sites"][0].update(pop="Atlantis"), "sites[0].pop", "unknown PoP"),
    (lambda d: d["sites"][0].update(router="par-p1"), "sites[0].router", "edge router"),
    (lambda d: d["services"][1]["members"][0].update(rate="400M"), "sites[0].access.down", "add up"),
])
def test_reference_and_ceiling_errors(document: dict[str, Any], network: Network, mutate: Any, field: str,
                                      needle: str) -> None:
    doc = copy.deepcopy(document)
    mutate(doc)
    err = refused(doc, network)
    assert err.field == field
    assert needle in str(err)


def test_another_tenants_site_is_just_unknown(document: dict[str, Any], network: Network) -> None:
    doc = copy.deepcopy(document)
    doc["services"][0]["site"] = "Globex-Berlin"
    err = refused(doc, network)
    assert "Globex" not in str(err.accepted) and "HQ" in str(err.accepted)


def test_boost_and_schedule_checks(document: dict[str, Any], network: Network) -> None:
    doc = copy.deepcopy(document)
    doc["boosts"] = [{"service": "hq-internet", "rate": "100M", "until": "2030-01-01T00:00:00Z"}]
    assert "raises" in str(refused(doc, network))
    doc["boosts"] = [{"service": "corp", "rate": "300M", "until": "2030-01-01T00:00:00Z"}]
    assert refused(doc, network).field == "boosts[0].site"
    doc["boosts"] = [{"service": "hq-internet", "rate": "2G", "until": "2030-01-01T00:00:00Z"}]
    assert refused(doc, network).field == "boosts[0].rate"
    doc["boosts"] = []
    doc["schedules"] = [{"name": "nightly", "service": "corp", "site": "Lyon-office", "rate": "90M",
                         "every": "daily", "window": "01:00-25:00"}]
    with pytest.raises(ValidationError) as err:
        parse_intent(doc)
    assert err.value.field == "schedules[0].window" and "HH:MM" in str(err.value)  # the field itself
    doc["schedules"][0]["window"] = "01:00-05:00"
    check_intent(parse_intent(doc), network)


def test_diff_per_site_and_service(document: dict[str, Any]) -> None:
    before = parse_intent(document)
    doc = copy.deepcopy(document)
    doc["services"][0]["rate"] = "100M"
    doc["services"][1]["members"].append({"site": "London-shop", "rate": "10M"})
    del doc["sites"][2]["access"]["up"]
    doc["sites"][2]["access"]["up"] = "1M"
    doc["services"].append({"kind": "eline", "name": "dc", "a": "HQ", "b": "Lyon-office", "rate": "10M"})
    after = parse_intent(doc)
    changes = {c.name: c for c in diff_intents(before, after).services}
    assert changes["hq-internet"].action is Action.MODIFY
    assert changes["hq-internet"].changes["rate"] == (200 * M, 100 * M)
    assert changes["corp"].changes["members[London-shop]"] == (None, "member")
    assert changes["dc"].action is Action.ADD
    assert all(c.action is Action.NO_CHANGE for c in diff_intents(before, after).sites)
    assert diff_intents(after, after).is_empty
    gone = diff_intents(after, before)
    assert {c.name: c.action for c in gone.services}["dc"] is Action.DELETE


def test_a_mistyped_field_is_named_with_the_field_meant() -> None:
    text = """sites: [{name: a, pop: Paris,
         access: {technology: ftth, provider: on-net, port: 1G, down: 300M, up: 100M}}]
services: [{kind: internet, name: a-i, site: a, rat: 100M}]"""
    with pytest.raises(ValidationError) as refused:
        load_intent_text(text)
    # not "services[0].rate: Field required": the unknown field is what the customer wrote
    assert refused.value.field == "services[0].rat" and refused.value.value == "rat"
    assert refused.value.message == "unknown field (did you mean 'rate'?)"


def test_a_yaml_error_gives_the_parsers_reason_and_line() -> None:
    with pytest.raises(ValidationError) as refused:
        load_intent_text("sites:\n  - name: a\n   pop: b\n", source="office.yaml")
    assert "office.yaml" in refused.value.message and "line 3, column 4" in refused.value.message
    assert "expected <block end>" in refused.value.message
