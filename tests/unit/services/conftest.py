from __future__ import annotations

from typing import Any

import pytest

from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor, make_link


def tiny_network() -> Network:
    pops = [Pop("Paris", "Paris", "FR", 48.86, 2.35), Pop("Lyon", "Lyon", "FR", 45.76, 4.84),
            Pop("London", "London", "GB", 51.51, -0.13)]
    routers = [Router("par-pe1", "Paris", RouterRole.EDGE, Vendor.JUNOS, "10.255.0.1"),
               Router("par-p1", "Paris", RouterRole.CORE, Vendor.JUNOS, "10.255.0.2"),
               Router("lyo-pe1", "Lyon", RouterRole.EDGE, Vendor.FRR, "10.255.0.3"),
               Router("lon-pe1", "London", RouterRole.EDGE, Vendor.IOSXR, "10.255.0.4")]
    by = {p.name: p for p in pops}
    links = [make_link("Paris-Lyon", by["Paris"], by["Lyon"], 10 * 10**9),
             make_link("Paris-London", by["Paris"], by["London"], 10 * 10**9)]
    return Network("tiny", pops, routers, links, [])


def demo_document() -> dict[str, Any]:
    return {
        "sites": [
            {"name": "HQ", "pop": "Paris", "access": {"technology": "fibre", "port": "1G", "down": "500M",
                                                      "up": "500M"}},
            {"name": "Lyon-office", "pop": "Lyon", "access": {"technology": "vdsl2", "port": "100M",
                                                              "down": "100M", "up": "40M"}},
            {"name": "London-shop", "pop": "London", "access": {"technology": "adsl2+", "port": "20M",
                                                                "down": "20M", "up": "1M"}},
        ],
        "services": [
            {"kind": "internet", "name": "hq-internet", "site": "HQ", "rate": "200M"},
            {"kind": "ipvpn", "name": "corp", "members": [{"site": "HQ", "rate": "100M"},
                                                           {"site": "Lyon-office", "rate": "50M"}]},
        ],
    }


@pytest.fixture
def network() -> Network:
    return tiny_network()


@pytest.fixture
def document() -> dict[str, Any]:
    return demo_document()
