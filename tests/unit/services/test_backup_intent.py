"""A site's backup line in the intent: what is accepted, each refusal (naming the field), the diff."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from unilink.errors import ValidationError
from unilink.inventory.model import Network
from unilink.services.intent import check_intent, parse_intent
from unilink.services.intent_diff import Action, diff_intents

M = 10**6
LTE = {"technology": "4g", "provider": "Orange Wholesale France", "port": "150M", "down": "100M", "up": "30M"}


def with_backup(document: dict[str, Any], backup: dict[str, Any], site: int = 0) -> dict[str, Any]:
    document["sites"][site]["backup"] = backup
    return document


def test_a_backup_is_parsed_checked_and_kept_in_the_document(document: dict[str, Any], network: Network) -> None:
    intent = parse_intent(with_backup(document, LTE))
    check_intent(intent, network)
    backup = intent.site("HQ").backup
    assert backup is not None and (backup.port, backup.down, backup.up) == (150 * M, 100 * M, 30 * M)
    assert intent.to_document()["sites"][0]["backup"]["technology"] == "4g"
    assert "backup" not in intent.to_document()["sites"][1]  # none: absent, not null
    assert "port: 150M" in intent.to_yaml()


@pytest.mark.parametrize(("change", "field", "value", "accepted"), [
    # 4G/5G are sold as backups only
    (lambda d: d["sites"][0].update(access={"technology": "4g", "port": "150M", "down": "100M", "up": "30M"}),
     "sites[0].access.technology", "4g", "fibre"),
    # the backup within its technology's ceilings and port
    (lambda d: with_backup(d, {**LTE, "down": "200M"}), "sites[0].backup.down", "200M", "down ≤ 150M"),
    (lambda d: with_backup(d, {**LTE, "up": "60M"}), "sites[0].backup.up", "60M", "up ≤ 50M"),
    (lambda d: with_backup(d, {**LTE, "port": "1G"}), "sites[0].backup.port", "1G", "150M"),
    # not the primary's technology (HQ is on fibre)
    (lambda d: with_backup(d, {"technology": "fibre", "port": "1G", "down": "100M", "up": "100M"}),
     "sites[0].backup.technology", "fibre", "a technology other than fibre"),
])
def test_each_refusal_names_the_field_the_value_and_what_is_accepted(
        document: dict[str, Any], network: Network, change: Any, field: str, value: str, accepted: str) -> None:
    change(document)
    with pytest.raises(ValidationError) as caught:
        check_intent(parse_intent(document), network)
    assert caught.value.field == field
    assert caught.value.value == value
    assert accepted in (caught.value.accepted or "")


def test_shape_errors_of_a_backup_name_its_path(document: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_intent(with_backup(document, {**LTE, "technology": "wifi"}))
    assert caught.value.field == "sites[0].backup.technology" and "4g" in (caught.value.accepted or "")
    with pytest.raises(ValidationError) as caught:
        parse_intent(with_backup(document, {**LTE, "colour": "red"}))
    assert caught.value.field == "sites[0].backup.colour"


def test_a_wired_backup_of_another_technology_is_accepted(document: dict[str, Any], network: Network) -> None:
    # Lyon on VDSL2, backed up by ADSL2+ (another technology: a second copper pair and DSLAM)
    check_intent(parse_intent(with_backup(document, {"technology": "adsl2+", "port": "20M", "down": "20M",
                                                     "up": "1M"}, site=1)), network)


def test_adding_changing_and_removing_a_backup_is_a_site_change_in_the_diff(document: dict[str, Any]) -> None:
    def demo() -> dict[str, Any]:
        return copy.deepcopy(document)

    without = parse_intent(document)
    added = diff_intents(without, parse_intent(with_backup(demo(), LTE)))
    [site] = [c for c in added.sites if c.name == "HQ"]
    assert site.action is Action.MODIFY
    assert site.changes["backup.technology"] == (None, "4g") and site.changes["backup.down"] == (None, 100 * M)
    assert [c.action for c in added.services] == [Action.NO_CHANGE, Action.NO_CHANGE]
    changed = diff_intents(parse_intent(with_backup(demo(), LTE)),
                           parse_intent(with_backup(demo(), {**LTE, "technology": "5g", "port": "1G"})))
    [site] = [c for c in changed.sites if c.name == "HQ"]
    assert site.changes == {"backup.technology": ("4g", "5g"), "backup.port": (150 * M, 10**9)}
    removed = diff_intents(parse_intent(with_backup(demo(), LTE)), without)
    [site] = [c for c in removed.sites if c.name == "HQ"]
    assert site.action is Action.MODIFY and site.changes["backup.technology"] == ("4g", None)
