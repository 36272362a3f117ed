"""The change form ⇄ desired document (pure; no server, no browser)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unilink.errors import ValidationError
from unilink.services.intent import parse_intent
from unilink.web import forms

DOCUMENT = {
    "tenant": "acme",
    "sites": [
        {"name": "paris", "pop": "Paris", "access": {"technology": "fibre", "port": 10**10, "down": 2 * 10**9,
                                                      "up": 2 * 10**9}},
        {"name": "lyon", "pop": "Lyon", "access": {"technology": "ftth", "port": 10**9, "down": 5 * 10**8,
                                                    "up": 2 * 10**8}},
        {"name": "nice", "pop": "Nice", "access": {"technology": "fibre", "port": 10**9, "down": 10**8,
                                                    "up": 10**8}},
    ],
    "services": [
        {"kind": "internet", "name": "paris-internet", "site": "paris", "rate": 5 * 10**8, "up": 4 * 10**8},
        {"kind": "ipvpn", "name": "corp", "members": [{"site": "paris", "rate": 10**9}, {"site": "lyon", "rate": 10**8},
                                                      {"site": "nice", "rate": 5 * 10**7}]},
        {"kind": "eline", "name": "backup", "a": "paris", "b": "lyon", "rate": 10**7},
    ],
    "boosts": [],
}


def _fields(**overrides: str) -> dict[str, str]:
    base = {"down_mbps": "500", "up_mbps": "200", "vpn_corp": "on", "vpn_corp_mbps": "100"}
    base.update(overrides)
    return base


def test_the_form_shows_the_site_as_the_document_has_it_in_mbit_s() -> None:
    form = forms.site_form(DOCUMENT, "paris")
    assert (form.down_mbps, form.up_mbps, form.port_mbps) == ("2000", "2000", "10000")
    assert form.internet and form.internet_mbps == "500"
    assert form.vpns == (forms.VpnChoice("corp", True, "1000", 3),)
    lyon = forms.site_form(DOCUMENT, "lyon")
    assert not lyon.internet and lyon.internet_mbps == ""


def test_changing_rates_touches_only_that_site_and_leaves_the_input_alone() -> None:
    before = copy.deepcopy(DOCUMENT)
    desired = forms.apply_site_change(DOCUMENT, "lyon", _fields(down_mbps="400", up_mbps="150", vpn_corp_mbps="80"))
    assert before == DOCUMENT  # a new document, not an edit of the caller's
    assert desired["sites"][1]["access"] == {"technology": "ftth", "port": 10**9, "down": 4 * 10**8, "up": 15 * 10**7}
    assert desired["sites"][0] == DOCUMENT["sites"][0] and desired["sites"][2] == DOCUMENT["sites"][2]
    corp = desired["services"][1]
    assert corp["members"][1] == {"site": "lyon", "rate": 8 * 10**7}
    assert corp["members"][0] == DOCUMENT["services"][1]["members"][0]
    assert desired["services"][2] == DOCUMENT["services"][2]  # the E-Line is not the form's business
    parse_intent(desired)  # still a well-formed document


def test_internet_is_added_with_a_fresh_name_and_removed_when_unticked() -> None:
    added = forms.apply_site_change(DOCUMENT, "lyon", _fields(internet="on", internet_mbps="50"))
    new = [s for s in added["services"] if s["kind"] == "internet" and s["site"] == "lyon"]
    assert new == [{"kind": "internet", "name": "lyon-internet", "site": "lyon", "rate": 5 * 10**7}]
    removed = forms.apply_site_change(DOCUMENT, "paris", _fields(down_mbps="2000", up_mbps="2000"))
    assert not [s for s in removed["services"] if s["kind"] == "internet"]


def test_a_new_internet_rate_drops_the_old_explicit_upstream() -> None:
    desired = forms.apply_site_change(DOCUMENT, "paris", _fields(down_mbps="2000", up_mbps="2000", internet="on",
                                                                 internet_mbps="600"))
    assert desired["services"][0] == {"kind": "internet", "name": "paris-internet", "site": "paris",
                                      "rate": 6 * 10**8}
    same = forms.apply_site_change(DOCUMENT, "paris", _fields(down_mbps="2000", up_mbps="2000", internet="on",
                                                              internet_mbps="500"))
    assert same["services"][0]["up"] == 4 * 10**8  # unchanged rate: the upstream stays as written


def test_vpn_membership_is_left_and_joined() -> None:
    left = forms.apply_site_change(DOCUMENT, "nice", {"down_mbps": "100", "up_mbps": "100"})
    assert [m["site"] for m in left["services"][1]["members"]] == ["paris", "lyon"]
    doc = copy.deepcopy(DOCUMENT)
    doc["services"][1]["members"].pop()
    joined = forms.apply_site_change(doc, "nice", {"down_mbps": "100", "up_mbps": "100", "vpn_corp": "on",
                                                   "vpn_corp_mbps": "20"})
    assert joined["services"][1]["members"][-1] == {"site": "nice", "rate": 2 * 10**7}


@pytest.mark.parametrize(("fields", "field"), [
    ({"down_mbps": "abc"}, "down_mbps"),
    ({"down_mbps": "0"}, "down_mbps"),
    ({"up_mbps": "-5"}, "up_mbps"),
    ({"up_mbps": ""}, "up_mbps"),
    ({"down_mbps": "nan"}, "down_mbps"),
    ({"down_mbps": "1e30"}, "down_mbps"),
    ({"down_mbps": "0.0000001"}, "down_mbps"),
    ({"internet": "on", "internet_mbps": "lots"}, "internet_mbps"),
    ({"vpn_corp_mbps": "0"}, "vpn_corp_mbps"),
])
def test_a_bad_number_names_the_form_field_and_what_is_accepted(fields: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        forms.apply_site_change(DOCUMENT, "lyon", _fields(**fields))
    assert caught.value.field == field
    assert caught.value.accepted


def test_an_unknown_site_lists_the_tenant_s_own_sites() -> None:
    with pytest.raises(ValidationError) as caught:
        forms.site_form(DOCUMENT, "tokyo")
    assert caught.value.field == "site" and caught.value.accepted == "paris, lyon, nice"


def test_a_comma_is_a_decimal_separator() -> None:
    assert forms.parse_mbps("2,5", field="f") == 2_500_000


@given(st.integers(min_value=1, max_value=10**15))
def test_mbit_s_text_reads_back_to_the_same_bit_s(bps: int) -> None:
    assert forms.parse_mbps(forms.mbps_text(bps), field="f") == bps
    assert Decimal(forms.mbps_text(bps)) * 10**6 == bps


@pytest.mark.parametrize(("path", "expected"), [
    ("sites[1].access.down", "down_mbps"),
    ("sites[1].access.up", "up_mbps"),
    ("sites[0].access.down", None),  # another site's field: not on this form
    ("services[1].members[1].rate", "vpn_corp_mbps"),
    ("services[1].members", "vpn_corp_mbps"),
    ("services[2].rate", None),  # the E-Line
    ("internet_mbps", "internet_mbps"),
    (None, None),
])
def test_engine_errors_point_at_the_form_field(path: str | None, expected: str | None) -> None:
    assert forms.form_field_for(DOCUMENT, "lyon", path) == expected


def test_the_internet_service_of_the_site_maps_to_the_internet_rate() -> None:
    assert forms.form_field_for(DOCUMENT, "paris", "services[0].rate") == "internet_mbps"
    assert forms.field_label("internet_mbps") == "Internet rate"
    assert forms.field_label("vpn_corp_mbps") == "Rate in VPN corp"
    assert forms.field_label(None) is None


NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


def test_a_boost_is_added_for_a_service_at_the_site_until_a_utc_time() -> None:
    desired = forms.apply_site_change(DOCUMENT, "lyon", _fields(boost_service="corp", boost_mbps="150",
                                                               boost_until="2026-11-27T06:30"), now=NOW)
    assert desired["boosts"] == [{"service": "corp", "site": "lyon", "rate": 15 * 10**7,
                                  "until": "2026-11-27T06:30:00Z"}]
    parse_intent(desired)
    form = forms.site_form(desired, "lyon")
    assert form.boosts == (forms.BoostLine(0, "corp", "150", "2026-11-27T06:30:00Z"),)
    assert form.boostable == ("corp",)
    assert forms.site_form(desired, "paris").boosts == ()  # another site's boost is not on paris's form


def test_a_boost_is_ended_by_its_checkbox() -> None:
    doc = copy.deepcopy(DOCUMENT)
    doc["boosts"] = [{"service": "corp", "site": "lyon", "rate": 15 * 10**7, "until": "2026-11-27T06:30:00Z"},
                     {"service": "corp", "site": "nice", "rate": 9 * 10**7, "until": "2026-11-27T06:30:00Z"}]
    desired = forms.apply_site_change(doc, "lyon", _fields(drop_boost_0="on"), now=NOW)
    assert desired["boosts"] == [doc["boosts"][1]]


@pytest.mark.parametrize(("fields", "field"), [
    ({"boost_service": "backup", "boost_mbps": "20", "boost_until": "2026-11-27T06:30"}, "boost_service"),
    ({"boost_service": "paris-internet", "boost_mbps": "20", "boost_until": "2026-11-27T06:30"}, "boost_service"),
    ({"boost_service": "corp", "boost_mbps": "", "boost_until": "2026-11-27T06:30"}, "boost_mbps"),
    ({"boost_service": "corp", "boost_mbps": "150", "boost_until": "tomorrow"}, "boost_until"),
    ({"boost_service": "corp", "boost_mbps": "150", "boost_until": "2026-11-26T17:59"}, "boost_until"),
])
def test_a_bad_boost_names_its_field(fields: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        forms.apply_site_change(DOCUMENT, "lyon", _fields(**fields), now=NOW)
    assert caught.value.field == field and caught.value.accepted


def test_a_zoned_until_is_converted_to_utc() -> None:
    assert forms.parse_until("2026-11-27T08:00+02:00", NOW) == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    assert forms.form_field_for(DOCUMENT, "lyon", "boosts[0].rate") == "boost_mbps"
    assert forms.form_field_for(DOCUMENT, "lyon", "boosts[1].until") == "boost_until"
