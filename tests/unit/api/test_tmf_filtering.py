"""TMF630 filters and sorting on plain resources: operators, symbols, dotted paths into lists, bad input."""

from __future__ import annotations

import pytest

from unilink.api.tmf.filtering import matches, parse_condition, sort_key_list, sort_resources
from unilink.errors import ValidationError

ORDERS = [
    {"id": "a", "state": "completed", "orderDate": "2026-12-01T09:00:00Z", "priority": "4",
     "serviceOrderItem": [{"action": "modify"}, {"action": "add"}]},
    {"id": "b", "state": "inProgress", "orderDate": "2026-12-02T08:00:00+00:00", "priority": "1",
     "serviceOrderItem": [{"action": "add"}]},
    {"id": "c", "state": "failed", "orderDate": "2026-11-30T23:59:59Z", "priority": "10", "enabled": True},
]


def ids(key: str, *values: str) -> list[str]:
    condition = parse_condition(key, list(values))
    return [o["id"] for o in ORDERS if matches(o, condition)]


def test_equality_and_any_of_comma_separated_values() -> None:
    assert ids("state", "completed") == ["a"]
    assert ids("state", "completed,failed") == ["a", "c"]
    assert ids("state.eq", "inProgress") == ["b"]
    assert ids("state.ne", "completed,failed") == ["b"]
    assert ids("enabled", "true") == ["c"]


def test_date_times_compare_as_instants_whatever_their_zone_notation() -> None:
    assert ids("orderDate.gt", "2026-12-01T09:00:00Z") == ["b"]
    assert ids("orderDate.gte", "2026-12-01T09:00:00+00:00") == ["a", "b"]
    assert ids("orderDate.lt", "2026-12-01") == ["c"]          # a date without a zone is UTC midnight
    assert ids("orderDate.lte", "2026-12-02T08:00:00Z") == ["a", "b", "c"]


def test_numbers_compare_as_numbers_not_text() -> None:
    assert ids("priority.gt", "2") == ["a", "c"]   # as text "10" < "2"
    assert ids("priority.lte", "4") == ["a", "b"]


def test_symbol_operators_as_a_query_string_splits_them() -> None:
    # `orderDate>=2026-12-01` reaches us as key "orderDate>" and value "2026-12-01"
    assert ids("orderDate>", "2026-12-01") == ["a", "b"]
    assert ids("orderDate<", "2026-12-01T09:00:00Z") == ["a", "c"]
    # `orderDate>2026-12-01T09:00:00Z` has no `=`: the whole condition is the key, the value empty
    assert ids("orderDate>2026-12-01T09:00:00Z", "") == ["b"]
    assert ids("priority<2", "") == ["b"]


def test_a_dotted_path_into_a_list_matches_when_any_element_does() -> None:
    assert ids("serviceOrderItem.action", "modify") == ["a"]
    assert ids("serviceOrderItem.action", "add") == ["a", "b"]
    assert ids("serviceOrderItem.action.ne", "add") == ["c"]   # none of its items is an add


@pytest.mark.parametrize(("key", "values", "field"), [
    ("state;drop", ["x"], "state;drop"),
    ("", ["x"], ""),
    ("orderDate.gt", ["2026-12-01,2026-12-02"], "orderDate.gt"),   # an order takes one bound
])
def test_bad_filters_name_the_parameter(key: str, values: list[str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_condition(key, values)
    assert refused.value.field == field


def test_sort_by_several_keys_descending_and_missing_last() -> None:
    by_date = sort_resources(ORDERS, sort_key_list("-orderDate"))
    assert [o["id"] for o in by_date] == ["b", "a", "c"]
    by_priority = sort_resources(ORDERS, sort_key_list("priority"))
    assert [o["id"] for o in by_priority] == ["b", "a", "c"]  # 1, 4, 10 as numbers
    by_enabled = sort_resources(ORDERS, sort_key_list("enabled,id"))
    assert [o["id"] for o in by_enabled] == ["c", "a", "b"]   # the one without it after, then by id
    with pytest.raises(ValidationError) as refused:
        sort_key_list("-order Date")
    assert refused.value.field == "sort"


@pytest.mark.parametrize("value", ["²", "٣", "-1", "1e3", " "])
def test_paging_numbers_are_ascii_digits_or_a_400_naming_the_parameter(value: str) -> None:
    from unilink.api.tmf.common import _int

    with pytest.raises(ValidationError) as refused:  # "²".isdigit() is True, yet int("²") raised: a 500
        _int(value, "offset", 0, 0, 10**9)
    assert refused.value.field == "offset"
