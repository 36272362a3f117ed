"""The rendering caches (per-attachment blocks, FRR port commands, plain interfaces, checked
attachments) never change what is rendered: a warm render equals a cold one, change after change."""

from __future__ import annotations

import gc
from dataclasses import replace

import dev_scenarios as scenarios
import pytest

from unilink.devices import device_intent as intent_module
from unilink.devices import render as render_module
from unilink.devices.device_intent import AccessAttachment, DeviceIntent, InterfaceIntent, build_device_intents
from unilink.devices.render import VENDORS, render
from unilink.inventory.model import Router, RouterRole, Vendor

STATES = ["base", *sorted(scenarios.CHANGES), "base"]  # and back: blocks of earlier states are reused


def _cold() -> None:
    render_module._environment.cache_clear()  # a new environment has an empty block cache
    render_module._frr_port_commands.cache_clear()
    intent_module._PLAIN_INTERFACES.interfaces.clear()
    intent_module._CHECKED_ATTACHMENTS.clear()


def _render(state: str, vendor: str) -> dict[str, str]:
    atts, vpns, elines = (scenarios.base if state == "base" else scenarios.CHANGES[state])()
    if vendor == "frr":  # Linux port names, as the golden tests use
        names = {port: f"eth{i}" for i, port in enumerate(sorted({a.port for a in atts}), start=1)}
        atts = [replace(a, port=names[a.port]) for a in atts]
    intents = build_device_intents(scenarios.ROUTERS, atts, vpns, elines)
    return {name: render(vendor, i).full_text() for name, i in intents.items()}


@pytest.mark.parametrize("vendor", VENDORS)
def test_warm_render_equals_cold_render_through_every_change(vendor: str) -> None:
    cold = {}
    for state in STATES:
        _cold()
        cold[state] = _render(state, vendor)
    _cold()
    for state in STATES:  # one warm pass: each state reuses what the previous ones cached
        assert _render(state, vendor) == cold[state], f"{vendor}: {state} rendered from the caches differs"


ROUTER = Router(name="pe1", pop="Paris", role=RouterRole.EDGE, vendor=Vendor.IOSXR, loopback="10.255.0.1")


def _busy_router(rate_of: dict[int, int], port: str) -> list[AccessAttachment]:
    return [AccessAttachment(site=f"s{k}", tenant=f"t{k % 7}", router="pe1", port=port, vlan=100 + k,
                             ipv4=f"10.0.{k}.0/31", ipv6=f"2001:db8::{2 * k:x}/127",
                             rate_down_bps=rate_of.get(k, 2_000_000), rate_up_bps=2_000_000, internet=True)
            for k in range(90)]


@pytest.mark.parametrize("vendor", ["junos", "iosxr", "sros", "frr"])
def test_one_rate_change_on_a_busy_router_renders_as_from_scratch(vendor: str) -> None:
    port = "eth1" if vendor == "frr" else "ge-0/0/1"
    _cold()
    before = render(vendor, build_device_intents([ROUTER], _busy_router({}, port))["pe1"]).full_text()
    warm = render(vendor, build_device_intents([ROUTER], _busy_router({45: 3_000_000}, port))["pe1"]).full_text()
    _cold()
    cold = render(vendor, build_device_intents([ROUTER], _busy_router({45: 3_000_000}, port))["pe1"]).full_text()
    assert warm == cold
    assert "3000" in warm and warm != before


def test_a_new_object_at_a_reused_address_is_not_served_an_old_block() -> None:
    """The block cache answers by object identity first: an object that died and whose id was
    reused by a different interface must still get its own text."""
    _cold()
    seen_rates = set()
    for rate in range(1_000_000, 1_000_000 + 200 * 1000, 1000):
        iface = InterfaceIntent(port="ge-0/0/1", vlan=100, tenant="t", site="s", description="t s",
                                ipv4="10.0.0.0/31", ipv6=None, ce_ipv4="10.0.0.1", ce_ipv6=None,
                                shape_down_bps=rate, shape_up_bps=rate, internet=True)
        text = render("iosxr", DeviceIntent(router="pe1", vendor="iosxr", loopback="10.255.0.1",
                                            interfaces=(iface,))).text
        assert f"service-policy output ul-shape-{rate}\n" in text
        seen_rates.add(rate)
        del iface
        gc.collect(0)
    assert len(seen_rates) == 200


@pytest.mark.parametrize("state", ["base", *sorted(scenarios.CHANGES)])
def test_intents_of_some_routers_equal_those_of_the_full_build(state: str) -> None:
    """`only=` skips the other routers' intents, not their part in the segments (BGP neighbours)."""
    atts, vpns, elines = (scenarios.base if state == "base" else scenarios.CHANGES[state])()
    full = build_device_intents(scenarios.ROUTERS, atts, vpns, elines)
    for router in full:
        assert build_device_intents(scenarios.ROUTERS, atts, vpns, elines, only=[router]) == {router: full[router]}
    if state == "base":  # the base state's VPN spans routers: neighbours that `only` must keep
        assert any(i.bgp_neighbours for i in full.values())
