"""Safe rendering: no customer string can add a config line or break out of its quotes.

Property: for any text used as a site name (what a customer types), either the device layer refuses
it with a ValidationError naming the field, or every vendor's rendering is *exactly* the rendering of
a harmless placeholder with the text substituted into its slots — same lines, same structure.
"""

from __future__ import annotations

import json
from dataclasses import replace

import dev_scenarios as scenarios
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from unilink.devices import safe
from unilink.devices.device_intent import build_device_intents
from unilink.devices.render import VENDORS, render
from unilink.errors import ValidationError

PLACEHOLDER = "Placeholder0"
NASTY = st.sampled_from(["\n", "\r", "\x00", ";", '"', "'", "\\", "{", "}", "[", "]", "#", "!", "$", "`", "|",
                         "<", ">", "&", " ", "é", "\u2028", "\u0085", "set system root-authentication", "\t"])
TEXTS = st.one_of(
    st.text(max_size=90),
    st.lists(st.one_of(NASTY, st.text(alphabet="abcXYZ019 -", max_size=5)), max_size=12).map("".join),
    st.from_regex(safe.DESCRIPTION_RE, fullmatch=True),
)


def _render_paris(site: str) -> dict[str, str]:
    atts, vpns, elines = scenarios.base()
    atts[0] = replace(atts[0], site=site, port="eth1")  # a port name every vendor (Linux too) accepts
    intent = build_device_intents(scenarios.ROUTERS, atts, vpns, elines)["par-pe1"]
    return {vendor: render(vendor, intent).full_text() for vendor in VENDORS}


def _render_vpn(name: str) -> dict[str, str]:
    atts, vpns, elines = scenarios.base()
    atts = [replace(a, port="eth1", vpns=(name,) if a.vpns else ()) for a in atts if a.router == "par-pe1"]
    intent = build_device_intents(scenarios.ROUTERS, atts, [replace(vpns[0], name=name)], elines)["par-pe1"]
    return {vendor: render(vendor, intent).full_text() for vendor in VENDORS}


BASELINE = _render_paris(PLACEHOLDER)
VPN_BASELINE = _render_vpn(PLACEHOLDER)


def _same_modulo_text(vendor: str, baseline: str, rendered: str, text: str) -> None:
    if vendor == "openconfig":
        expected = json.loads(baseline.replace(PLACEHOLDER, text.replace("\\", "\\\\").replace('"', '\\"')))
        assert json.loads(rendered) == expected
        return
    if vendor == "ietf":
        a, b = etree.fromstring(rendered.encode()), etree.fromstring(baseline.encode())
        assert [e.tag for e in a.iter()] == [e.tag for e in b.iter()]
    base_lines, lines = baseline.splitlines(), rendered.splitlines()
    assert len(lines) == len(base_lines), "a customer string added or removed a config line"
    for got, want in zip(lines, base_lines, strict=True):
        assert got == want.replace(PLACEHOLDER, safe.quote_xml(text) if vendor == "ietf" else text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_a_site_name_is_refused_or_confined_to_its_slot(text: str) -> None:
    try:
        rendered = _render_paris(text)
    except ValidationError as err:
        assert err.field == "attachments[0].site"
        assert err.accepted == safe.DESCRIPTION_ACCEPTED
        return
    assert safe.DESCRIPTION_RE.match(text)
    for vendor in VENDORS:
        _same_modulo_text(vendor, BASELINE[vendor], rendered[vendor], text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_a_vpn_name_is_refused_or_confined_to_its_slot(text: str) -> None:
    try:
        rendered = _render_vpn(text)
    except ValidationError as err:
        assert err.field == "vpns[0].name"
        return
    for vendor in VENDORS:
        _same_modulo_text(vendor, VPN_BASELINE[vendor], rendered[vendor], text)


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from(sorted(safe.QUOTERS)))
def test_quoting_filters_never_emit_a_line_break_or_an_inner_quote(text: str, vendor: str) -> None:
    try:
        quoted = safe.quote(vendor, text)
    except ValidationError as err:
        assert err.field == "description"
        return
    assert "\n" not in quoted and "\r" not in quoted and "\x00" not in quoted
    if vendor in ("junos", "sros"):
        assert quoted.startswith('"') and quoted.endswith('"') and '"' not in quoted[1:-1]
    if vendor == "openconfig":
        assert json.loads(quoted) == text


@pytest.mark.parametrize("text", ['HQ"\nset system root-authentication plain-text-password', "a;b", "x}\n{",
                                  "caf\u00e9", "nul\x00", "", " leading space", "a" * 81])
def test_known_attacks_are_refused_with_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        _render_paris(text)
    assert err.value.field == "attachments[0].site" and err.value.value == text


def test_vpn_names_are_checked_too() -> None:
    atts, vpns, elines = scenarios.base()
    bad = replace(vpns[0], name='Corp" ; delete')
    with pytest.raises(ValidationError) as err:
        build_device_intents(scenarios.ROUTERS, atts, [bad], elines)
    assert err.value.field == "vpns[0].name"


def test_unknown_vendor_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        safe.quote("ios", "x")
    assert err.value.field == "vendor"


def test_the_fuzzed_names_really_reach_the_configs() -> None:
    """Guards the properties above: they would prove nothing if the text never reached a config."""
    for vendor in ("junos", "iosxr", "sros", "openconfig", "frr", "ietf"):
        assert PLACEHOLDER in BASELINE[vendor], vendor
    for vendor in ("junos", "iosxr", "sros", "openconfig"):
        assert PLACEHOLDER in VPN_BASELINE[vendor], vendor
