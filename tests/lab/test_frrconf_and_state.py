"""Pure parts of the lab driver: FRR config merge/diff, Linux state restore, command translation."""

from __future__ import annotations

from unilink.lab.driver import _already_true, _ip_before_tc, _rename_interfaces, _site_for, _split
from unilink.lab.frrconf import carries, changed_stanzas, merge, only_adds, removal_commands, without_bgp
from unilink.lab.linux_state import (
    LinkState,
    LinuxState,
    ShaperState,
    ingress_redirect_argv,
    parse_links,
    parse_redirect,
    parse_shapers,
    restore_commands,
)
from unilink.lab.topology import LabSite

UNDERLAY = """frr version 8.4
hostname paris
interface acc-1
 ip ospf area 0.0.0.0
exit
router bgp 65000
 neighbor PE peer-group
exit
"""
SERVICE = """! unilink services for paris-pe1
interface acc-1
 description acme paris-hq
 ip address 10.1.0.0/31
exit
router bgp 65000
 bgp router-id 10.255.0.1
 neighbor 10.255.0.2 remote-as 65000
 !
 address-family l2vpn evpn
  neighbor 10.255.0.2 activate
  advertise-all-vni
 exit-address-family
exit
"""


def test_merge_joins_stanzas_and_keeps_address_families() -> None:
    text = merge(without_bgp(UNDERLAY), SERVICE)
    assert "peer-group" not in text  # the lab's own BGP mesh gives way to the service's
    assert text.count("interface acc-1") == 1
    assert " ip ospf area 0.0.0.0\n description acme paris-hq\n ip address 10.1.0.0/31" in text
    family = " address-family l2vpn evpn\n  neighbor 10.255.0.2 activate\n  advertise-all-vni\n exit-address-family"
    assert family in text


def test_removals_undo_exactly_what_disappears() -> None:
    old = merge(UNDERLAY, SERVICE)
    new = merge(UNDERLAY, SERVICE.replace(" neighbor 10.255.0.2 remote-as 65000\n", "")
                .replace("  neighbor 10.255.0.2 activate\n", ""))
    assert only_adds(new, old) and not only_adds(old, new)
    removal = removal_commands(old, new)
    assert "  no neighbor 10.255.0.2 activate" in removal and " no neighbor 10.255.0.2 remote-as 65000" in removal
    # the activate (inside the family) goes before the neighbour itself
    assert removal.index("no neighbor 10.255.0.2 activate") < removal.index("no neighbor 10.255.0.2 remote-as")
    assert "interface acc-1" not in removal
    assert changed_stanzas(old, new).startswith("router bgp 65000")


def test_removing_an_interface_stanza_empties_it_instead_of_deleting_it() -> None:
    old = "interface vpn-1\n description acme lyon\nexit\n"
    assert removal_commands(old, "") == "interface vpn-1\n no description\nexit\n!\n"


def test_carries_ignores_comments_and_preamble() -> None:
    running = merge(UNDERLAY, SERVICE).replace("hostname paris", "hostname vm")
    assert carries(running, SERVICE)
    assert not carries(running, SERVICE.replace("10.1.0.0/31", "10.1.0.2/31"))


def test_restore_commands_reverse_membership_shaping_and_new_devices() -> None:
    before = LinuxState(
        links={"vpn-1": LinkState("vpn-1", "veth", True, None), "acc-1": LinkState("acc-1", "veth", True, None)},
        shapers={"acc-1": ShaperState((100_000_000, 125_000, 50_000), False)})
    now = LinuxState(
        links={"vpn-1": LinkState("vpn-1", "veth", True, "br100"), "acc-1": LinkState("acc-1", "veth", True, None),
               "br100": LinkState("br100", "bridge", True, None),
               "vxlan100": LinkState("vxlan100", "vxlan", True, "br100", (100, "10.255.0.1", 4789))},
        shapers={"acc-1": ShaperState((10_000_000, 32_000, 50_000), True)})
    cmds = restore_commands(before, now)
    assert ["ip", "link", "set", "dev", "vpn-1", "nomaster"] in cmds
    assert ["tc", "qdisc", "replace", "dev", "acc-1", "root", "tbf", "rate", "100000000bit", "burst", "125000",
            "latency", "50ms"] in cmds
    assert ["tc", "qdisc", "del", "dev", "acc-1", "ingress"] in cmds
    assert cmds[-2:] == [["ip", "link", "del", "dev", "br100"], ["ip", "link", "del", "dev", "vxlan100"]]
    assert restore_commands(now, before)[0] == ["ip", "link", "add", "br100", "type", "bridge"]
    assert restore_commands(before, before) == []


def test_parse_iproute2_json() -> None:
    links = parse_links('[{"ifname":"vxlan7","flags":["UP"],"master":"br7","linkinfo":{"info_kind":"vxlan",'
                        '"info_data":{"id":7,"local":"10.255.0.1","port":4789}}}]')
    assert links["vxlan7"] == LinkState("vxlan7", "vxlan", True, "br7", (7, "10.255.0.1", 4789))
    shapers = parse_shapers('[{"kind":"tbf","dev":"acc-1","root":true,"options":{"rate":1250000,"burst":32000,'
                            '"lat":50000}},{"kind":"ingress","dev":"acc-1","parent":"ffff:fff1"}]')
    assert shapers["acc-1"] == ShaperState((10_000_000, 32_000, 50_000), True)


def test_noop_commands_are_recognised_and_ip_goes_before_tc() -> None:
    state = LinuxState(links={"acc-1": LinkState("acc-1", "veth", True, None)},
                       shapers={"acc-1": ShaperState((10_000_000, 32_000, 50_000), False)})
    tbf = ["tc", "qdisc", "replace", "dev", "acc-1", "root", "tbf", "rate", "10000000bit", "burst", "32000",
           "latency", "50ms"]
    assert _already_true(tbf, state)
    assert not _already_true(tbf[:8] + ["20000000bit"] + tbf[9:], state)
    assert _already_true(["ip", "link", "set", "dev", "acc-1", "up"], state)
    assert not _already_true(["ip", "link", "set", "dev", "acc-1", "master", "br1"], state)
    assert _already_true(["ip", "link", "set", "dev", "acc-1", "nomaster"], state)
    cmds = [["ip", "a"], ["tc", "b"], ["ip", "c"]]
    assert _ip_before_tc(cmds) == [["ip", "a"], ["ip", "c"], ["tc", "b"]]


def test_engine_ports_map_to_lab_sites_by_description() -> None:
    site = LabSite(name="paris-hq", pop="Paris", router="ul-paris", netns="ul-h-paris-hq", index=1,
                   pe_inet_ifname="acc-1", pe_vpn_ifname="vpn-1", pe_inet_addr="10.1.0.0/31",
                   host_inet_addr="10.1.0.1/31", host_vpn_addr="172.20.0.1/24", down_bps=1, up_bps=1)
    assert _site_for("acme-logistics paris-hq", [site]) is site
    assert _site_for("acme-logistics lyon", [site]) is None
    assert _rename_interfaces("interface cust1.100\n description x\n", {"cust1.100": "acc-1"}).startswith(
        "interface acc-1\n")
    text, cmds = _split("interface a\n! -- linux --\nip link set dev a up\n")
    assert text == "interface a\n" and cmds == [["ip", "link", "set", "dev", "a", "up"]]


def test_restore_puts_back_an_upload_shaper_and_tolerates_tick_rounding() -> None:
    before = LinuxState(links={"acc-1": LinkState("acc-1", "veth", True, None),
                               "ifb0": LinkState("ifb0", "ifb", True, None)},
                        shapers={"acc-1": ShaperState((20_000_000, 32_000, 49_999), True, "ifb0")})
    now = LinuxState(links={"acc-1": LinkState("acc-1", "veth", True, None)},
                     shapers={"acc-1": ShaperState((20_000_000, 32_000, 49_998), False)})
    cmds = restore_commands(before, now)
    assert cmds[0] == ["ip", "link", "add", "ifb0", "type", "ifb"]
    assert ["tc", "qdisc", "replace", "dev", "acc-1", "handle", "ffff:", "ingress"] in cmds
    assert ingress_redirect_argv("acc-1", "ifb0") in cmds
    assert not any("tbf" in c for c in cmds)  # 49998 vs 49999 µs is the same 50 ms shaper
    assert parse_redirect('[{"kind":"u32"},{"kind":"u32","options":{"actions":[{"kind":"mirred",'
                          '"to_dev":"ifb0"}]}}]') == "ifb0"
