"""Boosts and schedules that make no sense are refused with the accepted range: a boost ending in the
past or more than MAX_BOOST_AHEAD ahead of the caller's clock, the same boost twice, a window such as
10:00-10:00, a recurrence such as mon,mon."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from unilink.errors import ValidationError
from unilink.inventory.model import Network
from unilink.services.intent import (
    MAX_BOOST_AHEAD,
    check_boost_times,
    check_intent,
    parse_intent,
    without_ended_boosts,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _with(document: dict[str, Any], boosts: list[dict[str, Any]] = (), schedules: list[dict[str, Any]] = ()
          ) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    doc["boosts"], doc["schedules"] = list(boosts), list(schedules)
    return doc


def _boost(until: datetime, service: str = "corp", site: str | None = "HQ", rate: str = "300M") -> dict[str, Any]:
    boost = {"service": service, "rate": rate, "until": _iso(until)}
    return {**boost, "site": site} if site else boost


def _nightly(**changes: str) -> dict[str, Any]:
    return {"name": "nightly", "service": "corp", "site": "HQ", "rate": "300M", "every": "daily",
            "window": "01:00-05:00", **changes}


# -- times, against the caller's clock ----------------------------------------------------------------

@pytest.mark.parametrize(("until", "needle"), [
    (NOW - timedelta(minutes=1), "ends in the past"),
    (NOW, "ends in the past"),
    (NOW + MAX_BOOST_AHEAD + timedelta(seconds=1), "more than 90 days ahead"),
    (NOW + timedelta(days=3 * 365), "more than 90 days ahead"),
])
def test_a_boost_ends_after_now_and_within_the_maximum(document: dict[str, Any], until: datetime,
                                                       needle: str) -> None:
    intent = parse_intent(_with(document, [_boost(NOW + timedelta(hours=1)), _boost(until, "hq-internet", None)]))
    with pytest.raises(ValidationError) as refused:
        check_boost_times(intent, NOW)
    assert refused.value.field == "boosts[1].until" and needle in refused.value.message
    assert refused.value.accepted == ("a time with a zone after 2026-11-26T12:00:00Z and at most 90 days ahead "
                                      "(until 2027-02-24T12:00:00Z)")


def test_the_range_is_inclusive_of_the_maximum_and_follows_the_clock_given(document: dict[str, Any]) -> None:
    intent = parse_intent(_with(document, [_boost(NOW + MAX_BOOST_AHEAD)]))
    check_boost_times(intent, NOW)  # exactly 90 days: accepted
    check_boost_times(intent, NOW + timedelta(days=30))
    with pytest.raises(ValidationError):
        check_boost_times(intent, NOW - timedelta(days=1))  # from an earlier "now", it is too far


def test_a_boost_kept_from_the_deployed_intent_passes_after_it_ended(document: dict[str, Any]) -> None:
    """Deployed at NOW for an hour; at NOW + 2 h the tenant's next change (made from the intent it read,
    before the scheduler dropped the boost) is not refused for it. A changed boost is new: checked."""
    deployed = parse_intent(_with(document, [_boost(NOW + timedelta(hours=1))]))
    later = NOW + timedelta(hours=2)
    check_boost_times(deployed, later, kept=deployed.boosts)
    changed = parse_intent(_with(document, [_boost(NOW + timedelta(hours=1), rate="350M")]))
    with pytest.raises(ValidationError) as refused:
        check_boost_times(changed, later, kept=deployed.boosts)
    assert refused.value.field == "boosts[0].until"


def test_a_revert_leaves_out_the_boosts_that_ended(document: dict[str, Any]) -> None:
    doc = _with(document, [_boost(NOW + timedelta(hours=1)), _boost(NOW + timedelta(days=2), "hq-internet", None)])
    kept = without_ended_boosts(doc, NOW + timedelta(hours=3))
    assert [b["service"] for b in kept["boosts"]] == ["hq-internet"]
    assert without_ended_boosts(doc, NOW) is doc  # nothing over: the same document


# -- shapes, without a clock -------------------------------------------------------------------------

def test_the_same_boost_twice_is_refused(document: dict[str, Any], network: Network) -> None:
    until = NOW + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        check_intent(parse_intent(_with(document, [_boost(until), _boost(until)])), network)
    assert refused.value.field == "boosts[1].service" and "the same boost twice" in refused.value.message
    assert "one boost per service and site" in (refused.value.accepted or "")


def test_two_boosts_of_one_service_at_one_site_are_refused(document: dict[str, Any], network: Network) -> None:
    # an internet service named with and without its (only) site is one and the same usage
    boosts = [_boost(NOW + timedelta(days=1), "hq-internet", None, "400M"),
              _boost(NOW + timedelta(days=2), "hq-internet", "HQ", "450M")]
    with pytest.raises(ValidationError) as refused:
        check_intent(parse_intent(_with(document, boosts)), network)
    assert refused.value.field == "boosts[1].service" and "a second boost" in refused.value.message


def test_boosts_of_a_vpn_at_two_sites_are_two_boosts(document: dict[str, Any], network: Network) -> None:
    boosts = [_boost(NOW + timedelta(days=1), "corp", "HQ"), _boost(NOW + timedelta(days=1), "corp", "Lyon-office",
                                                                   "80M")]
    check_intent(parse_intent(_with(document, boosts)), network)


@pytest.mark.parametrize(("window", "needle"), [
    ("10:00-10:00", "starts and ends at the same time"),
    ("00:00-00:00", "starts and ends at the same time"),
    ("24:00-05:00", "not a time window"),
    ("01:00-24:30", "not a time window"),
    ("1:00-5:00", "not a time window"),
    ("01:00", "not a time window"),
])
def test_windows_that_mean_nothing_are_refused(document: dict[str, Any], window: str, needle: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_intent(_with(document, schedules=[_nightly(window=window)]))
    assert refused.value.field == "schedules[0].window" and needle in refused.value.message
    assert "start and end different" in (refused.value.accepted or "")


@pytest.mark.parametrize("window", ["01:00-05:00", "22:00-02:00", "00:00-24:00", "23:59-00:00"])
def test_real_windows_pass(document: dict[str, Any], network: Network, window: str) -> None:
    check_intent(parse_intent(_with(document, schedules=[_nightly(window=window)])), network)


@pytest.mark.parametrize(("every", "needle"), [
    ("mon,mon", "mon is named twice"), ("mon,tue,MON", "mon is named twice"), ("mon,,tue", "not a recurrence"),
    ("", "not a recurrence"), ("weekly", "not a recurrence"),
])
def test_recurrences_that_repeat_a_day_are_refused(document: dict[str, Any], every: str, needle: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_intent(_with(document, schedules=[_nightly(every=every)]))
    assert refused.value.field == "schedules[0].every" and needle in refused.value.message
    assert refused.value.accepted == "daily, weekdays, or days such as mon,wed,fri (each day once)"
