"""A site's backup line on its PE, in every vendor's syntax: a second attachment (port/VLAN, /31,
shaped at the backup's rates) whose routes to the site have a worse preference than the primary's."""

from __future__ import annotations

import json

import pytest

from unilink.devices.device_intent import BACKUP_DISTANCE, AccessAttachment, VpnInstance, build_device_intents
from unilink.devices.render import VENDORS, render
from unilink.errors import ValidationError
from unilink.inventory.model import Router, RouterRole, Vendor

M = 10**6
VPN = VpnInstance(name="corp", tenant="acme", rd="65000:1", import_rts=("65000:1",), export_rts=("65000:1",),
                  vni=10000)
SITE_ROUTES = ("100.64.0.1/32", "fd75:6e69:6c6b::1/128")  # the primary CE's address: the site's


def attachments(router: str, *, vpn: bool) -> list[AccessAttachment]:
    common = {"site": "HQ", "tenant": "acme", "router": router, "internet": True,
              "vpns": ("corp",) if vpn else (), "routed_prefixes": SITE_ROUTES}
    return [AccessAttachment(port="cust1", vlan=100, ipv4="100.64.0.0/31", ipv6="fd75:6e69:6c6b::/127",
                             rate_down_bps=700 * M, rate_up_bps=700 * M, **common),  # type: ignore[arg-type]
            AccessAttachment(port="cust2", vlan=101, ipv4="100.64.0.6/31", ipv6="fd75:6e69:6c6b::6/127",
                             rate_down_bps=100 * M, rate_up_bps=30 * M, backup=True, **common)]  # type: ignore[arg-type]


def rendered(vendor: str, *, vpn: bool) -> str:
    router = Router("pe1", "Paris", RouterRole.EDGE, Vendor(vendor) if vendor != "ietf" else Vendor.JUNOS,
                    "10.255.0.1")
    intents = build_device_intents([router], attachments("pe1", vpn=vpn), [VPN] if vpn else [])
    return render(vendor, intents["pe1"]).full_text()


# What marks the backup's route to the site as the worse one, per vendor (global table, then VRF).
PREFERENCE = {
    "junos": "static route 100.64.0.1/32 qualified-next-hop 100.64.0.7 preference 250",
    "iosxr": "100.64.0.1/32 100.64.0.7 250",
    "sros": 'route 100.64.0.1/32 route-type unicast next-hop "100.64.0.7" preference 250',
    "frr": "ip route 100.64.0.1/32 100.64.0.7 250",
}

PRIMARY = {"junos": "static route 100.64.0.1/32 next-hop 100.64.0.1", "iosxr": "100.64.0.1/32 100.64.0.1",
           "sros": 'route 100.64.0.1/32 route-type unicast next-hop "100.64.0.1"',
           "frr": "ip route 100.64.0.1/32 100.64.0.1"}


@pytest.mark.parametrize("vendor", [v for v in VENDORS if v != "openconfig"])
@pytest.mark.parametrize("vpn", [False, True])
def test_the_backup_attachment_is_rendered_with_a_worse_preference(vendor: str, vpn: bool) -> None:
    text = rendered(vendor, vpn=vpn)
    assert "acme HQ (backup)" in text
    assert "cust2" in text
    if vendor == "ietf":
        return  # interfaces and addresses only: no routing in that model subset
    if vendor == "frr" and vpn:
        # a VPN is a layer-2 segment on FRR: the backup is a second port of the bridge, no route
        assert "ip link set dev cust2.101 master br10000" in text
    else:
        assert PREFERENCE[vendor] in text
        primary = [line for line in text.splitlines() if PRIMARY[vendor] in line]
        assert primary and not any("250" in line for line in primary)  # the vendor's default: preferred
    assert BACKUP_DISTANCE == 250


@pytest.mark.parametrize("vendor", ["junos", "iosxr", "sros", "frr", "openconfig"])
def test_the_backup_is_shaped_at_its_own_rates(vendor: str) -> None:
    text = rendered(vendor, vpn=False)
    down, up = str(100 * M), str(30 * M)
    if vendor == "sros":
        down, up = str(100 * M // 1000), str(30 * M // 1000)  # kbit/s
    assert down in text and up in text


def test_openconfig_has_one_static_per_prefix_with_both_next_hops() -> None:
    for vpn in (False, True):
        config = json.loads(rendered("openconfig", vpn=vpn))
        instances = config["openconfig-network-instance:network-instances"]["network-instance"]
        statics = [s for ni in instances for p in ni.get("protocols", {}).get("protocol", [])
                   for s in p.get("static-routes", {}).get("static", []) if s["prefix"] == "100.64.0.1/32"]
        [static] = statics
        hops = {h["config"]["next-hop"]: h["config"].get("preference") for h in static["next-hops"]["next-hop"]}
        assert hops == {"100.64.0.1": None, "100.64.0.7": BACKUP_DISTANCE}


def test_a_backup_attachment_carries_no_eline() -> None:
    router = Router("pe1", "Paris", RouterRole.EDGE, Vendor.JUNOS, "10.255.0.1")
    att = AccessAttachment(site="HQ", tenant="acme", router="pe1", port="cust2", vlan=101, ipv4=None, ipv6=None,
                           rate_down_bps=M, rate_up_bps=M, eline="wire", backup=True)
    with pytest.raises(ValidationError) as caught:
        build_device_intents([router], [att])
    assert caught.value.field == "attachments[0].eline"
