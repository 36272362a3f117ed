"""The service catalog: the three things a tenant can buy on top of its accesses.

Maps onto TMF633 ServiceSpecification: `kind` is the specification name, `characteristics` are the
ServiceSpecCharacteristic names a TMF façade exposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ServiceKind(StrEnum):
    INTERNET = "internet"  # Internet access for one site
    IPVPN = "ipvpn"        # a private IP network joining sites (hose model)
    ELINE = "eline"        # point-to-point Ethernet between two sites


class VpnTopology(StrEnum):
    ANY_TO_ANY = "any-to-any"
    HUB_AND_SPOKE = "hub-and-spoke"


@dataclass(frozen=True, slots=True)
class ServiceSpecification:
    kind: ServiceKind
    description: str
    characteristics: tuple[str, ...]


SERVICE_SPECIFICATIONS: dict[ServiceKind, ServiceSpecification] = {
    ServiceKind.INTERNET: ServiceSpecification(
        ServiceKind.INTERNET, "Internet access for a site, committed rate down/up",
        ("site", "rate", "up")),
    ServiceKind.IPVPN: ServiceSpecification(
        ServiceKind.IPVPN, "Private IP-VPN (BGP/MPLS or EVPN), any-to-any or hub-and-spoke, rate per member",
        ("topology", "members", "members.site", "members.rate", "members.up", "members.role")),
    ServiceKind.ELINE: ServiceSpecification(
        ServiceKind.ELINE, "Point-to-point Ethernet line between two sites, optionally protected on a disjoint path",
        ("a", "b", "rate", "protected")),
}
