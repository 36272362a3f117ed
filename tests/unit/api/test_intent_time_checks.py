"""The boost and schedule checks reach every client through the engine's plan: the API answers 422 naming
the field, with the accepted range computed from the plan's clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from api_fixtures import Api, site_document

from frozen_time import TEST_NOW


def _office(**extra: Any) -> dict[str, Any]:
    return {**site_document("acme-office"), **extra}


def _boost(until: datetime) -> dict[str, Any]:
    return {"service": "acme-office-internet", "rate": "200M", "until": until.isoformat()}


@pytest.mark.parametrize(("extra", "field", "needle"), [
    ({"boosts": [_boost(TEST_NOW - timedelta(hours=1))]}, "boosts[0].until", "ends in the past"),
    ({"boosts": [_boost(TEST_NOW + timedelta(days=400))]}, "boosts[0].until", "more than 90 days"),
    ({"boosts": [_boost(TEST_NOW + timedelta(days=1))] * 2}, "boosts[1].service", "the same boost twice"),
    ({"schedules": [{"name": "n", "service": "acme-office-internet", "rate": "200M", "every": "mon,mon",
                     "window": "01:00-05:00"}]}, "schedules[0].every", "mon is named twice"),
    ({"schedules": [{"name": "n", "service": "acme-office-internet", "rate": "200M", "every": "daily",
                     "window": "10:00-10:00"}]}, "schedules[0].window", "starts and ends at the same time"),
])
def test_a_plan_refuses_what_makes_no_sense_naming_the_field(api: Api, extra: dict[str, Any], field: str,
                                                             needle: str) -> None:
    response = api.post("/api/v1/plans", "acme-admin", json=_office(**extra))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["field"] == field and needle in problem["detail"] and problem["accepted"]


def test_a_boost_within_the_range_is_planned(api: Api) -> None:
    response = api.post("/api/v1/plans", "acme-admin", json=_office(boosts=[_boost(TEST_NOW +
                                                                                   timedelta(days=7))]))
    assert response.status_code == 201, response.text
    assert any(line.startswith("add boost") for line in response.json()["summary"])
