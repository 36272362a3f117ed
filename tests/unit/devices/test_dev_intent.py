"""build_device_intents: what each router must carry, derived from attachments, VPNs, E-Lines."""

from __future__ import annotations

from dataclasses import replace

import dev_scenarios as scenarios
import pytest

from unilink.devices.device_intent import build_device_intents
from unilink.errors import ValidationError


def _intents(fn=scenarios.base):
    atts, vpns, elines = fn()
    return build_device_intents(scenarios.ROUTERS, atts, vpns, elines)


def test_every_router_gets_an_intent_even_without_services() -> None:
    intents = build_device_intents(scenarios.ROUTERS, [], [], [])
    assert sorted(intents) == sorted(r.name for r in scenarios.ROUTERS)
    assert all(not i.interfaces and not i.vrfs and not i.bgp_neighbours for i in intents.values())


def test_interfaces_addresses_rates_and_vrfs() -> None:
    par = _intents()["par-pe1"]
    (iface,) = par.interfaces
    assert (iface.port, iface.vlan, iface.ipv4, iface.ce_ipv4) == ("ge-0/0/1", 101, "10.1.1.0/31", "10.1.1.1")
    assert iface.ipv6 == "2001:db8:1:1::/127" and iface.ce_ipv6 == "2001:db8:1:1::1"
    assert iface.shape_down_bps == 1_000_000_000
    # VPN + Internet → the "i" variant VRF with its own RD and the Internet default route
    (vrf,) = par.vrfs
    assert (vrf.name, vrf.internet, vrf.rd) == ("v100i", True, "10.255.0.1:401")
    assert iface.vrf == "v100i"
    assert par.static_routes[0].prefix == "192.0.2.0/26" and par.static_routes[0].vrf == "v100i"
    fra = _intents()["fra-pe1"]
    assert fra.vrfs[0].name == "v100" and fra.vrfs[0].rd == "65000:100"


def test_bgp_neighbours_are_the_pes_sharing_a_vpn() -> None:
    intents = _intents()
    # ams-pe1 has Internet only: no VPN, no neighbours, and nobody peers with it
    assert intents["ams-pe1"].bgp_neighbours == ()
    assert [n.router for n in intents["par-pe1"].bgp_neighbours] == ["fra-pe1", "mil-pe1"]
    assert all(n.families == ("l3vpn",) for n in intents["par-pe1"].bgp_neighbours)


def test_hub_and_spoke_route_targets_are_mirrored_for_spokes() -> None:
    intents = _intents(scenarios.hub_and_spoke_and_eline)
    hub = next(v for v in intents["par-pe1"].vrfs if v.vni == 200)
    spoke = next(v for v in intents["fra-pe1"].vrfs if v.vni == 200)
    assert (hub.role, hub.import_rts, hub.export_rts) == ("hub", ("65000:201",), ("65000:200",))
    assert (spoke.role, spoke.import_rts, spoke.export_rts) == ("spoke", ("65000:200",), ("65000:201",))
    assert spoke.name == "v200s"
    (eline,) = intents["par-pe1"].elines
    assert (eline.vc_id, eline.remote_router, eline.remote_address) == (5001, "fra-pe1", "10.255.0.2")


def test_deterministic_whatever_the_input_order() -> None:
    atts, vpns, elines = scenarios.hub_and_spoke_and_eline()
    a = build_device_intents(scenarios.ROUTERS, atts, vpns, elines)
    b = build_device_intents(list(reversed(scenarios.ROUTERS)), list(reversed(atts)), vpns, elines)
    assert a == b


@pytest.mark.parametrize(("change", "field"), [
    (lambda a: replace(a, router="nowhere"), "attachments[0].router"),
    (lambda a: replace(a, vlan=4095), "attachments[0].vlan"),
    (lambda a: replace(a, rate_down_bps=0), "attachments[0].rate_down_bps"),
    (lambda a: replace(a, ipv4="10.1.1.0/30"), "attachments[0].ipv4"),
    (lambda a: replace(a, ipv6="10.1.1.0/31"), "attachments[0].ipv6"),
    (lambda a: replace(a, vpns=("Nope",)), "attachments[0].vpns[0]"),
    (lambda a: replace(a, port="ge-0/0/1\nset system root"), "attachments[0].port"),
    (lambda a: replace(a, site='HQ" ; delete'), "attachments[0].site"),
    (lambda a: replace(a, routed_prefixes=("192.0.2.1/24",)), "attachments[0].routed_prefixes[0]"),
])
def test_bad_input_names_the_field(change, field: str) -> None:
    atts, vpns, elines = scenarios.base()
    atts[0] = change(atts[0])
    with pytest.raises(ValidationError) as err:
        build_device_intents(scenarios.ROUTERS, atts, vpns, elines)
    assert err.value.field == field


def test_duplicate_port_and_vlan_refused() -> None:
    atts, vpns, elines = scenarios.base()
    atts.append(replace(atts[0], site="Paris Annex"))
    with pytest.raises(ValidationError, match="already used") as err:
        build_device_intents(scenarios.ROUTERS, atts, vpns, elines)
    assert err.value.field == "attachments[4].vlan"


def test_a_port_without_service_gets_no_address_and_no_routes() -> None:
    atts, vpns, elines = scenarios.base()
    atts[2] = replace(atts[2], internet=False, routed_prefixes=("198.51.100.0/24",))  # Amsterdam: nothing bought
    (iface,) = build_device_intents(scenarios.ROUTERS, atts, vpns, elines)["ams-pe1"].interfaces
    assert iface.ipv4 is None and iface.ipv6 is None and iface.vrf is None
    assert build_device_intents(scenarios.ROUTERS, atts, vpns, elines)["ams-pe1"].static_routes == ()
    assert iface.shape_down_bps == 100_000_000, "still shaped: the access circuit exists"
