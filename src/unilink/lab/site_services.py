"""Service changes on a running lab through the real device layer: intent → render → transaction.

Used by the lab tests and the benchmark when the engine is not in the loop: it fills the device
layer's inputs for the lab's sites the way the engine does (ports `cust<N>` with a VLAN per
attachment, a /31 per Internet attachment, one VPN instance per VNI), renders them with
`render("frr", ...)`, and pushes them with `commit_changes` (journal, parallel prepare →
commit → verify, rollback of all on any failure) through `LabDriver`.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from unilink.devices.device_intent import AccessAttachment, VpnInstance, build_device_intents
from unilink.devices.diff import diff_configs
from unilink.devices.drivers.base import bind_all
from unilink.devices.journal import MemoryJournal
from unilink.devices.render import RenderedConfig, render
from unilink.devices.transaction import TransactionResult, commit_changes
from unilink.inventory.model import Router, RouterRole, Vendor
from unilink.lab.builder import Lab
from unilink.lab.driver import LabDriver
from unilink.lab.topology import LabSite, LabTopology
from unilink.network.numbering import BACKBONE_ASN

DEFAULT_RATE_BPS = 100_000_000
INTERNET_VLAN_BASE = 100
VPN_VLAN_BASE = 2000


@dataclass(frozen=True, slots=True)
class SiteService:
    """What one site buys in a lab scenario: its rates, Internet access, and at most one VPN (VNI)."""

    down_bps: int = DEFAULT_RATE_BPS
    up_bps: int = DEFAULT_RATE_BPS
    internet: bool = True
    vni: int | None = None


@dataclass
class LabChanges:
    """Pushes whole-lab service states; remembers what each router last committed."""

    lab: Lab
    tenant: str = "acme"
    fail_commit_on: set[str] = field(default_factory=set)
    committed: dict[str, RenderedConfig] = field(default_factory=dict)
    journal: MemoryJournal = field(default_factory=MemoryJournal)

    @property
    def topology(self) -> LabTopology:
        return self.lab.topology()

    def routers(self) -> list[Router]:
        return [Router(r.inventory_name, r.pop, RouterRole.EDGE, Vendor.FRR, r.loopback, driver="lab")
                for r in self.topology.routers]

    def attachments(self, services: Mapping[str, SiteService]) -> tuple[list[AccessAttachment], list[VpnInstance]]:
        topo = self.topology
        atts: list[AccessAttachment] = []
        vnis: set[int] = set()
        for site_name, svc in sorted(services.items()):
            site = topo.site(site_name)
            router = topo.router(site.router).inventory_name
            port = f"cust{site.index}"
            if svc.internet:
                atts.append(AccessAttachment(
                    site=site.name, tenant=self.tenant, router=router, port=port,
                    vlan=INTERNET_VLAN_BASE + site.index, ipv4=_p2p_network(site), ipv6=None,
                    rate_down_bps=svc.down_bps, rate_up_bps=svc.up_bps, internet=True))
            if svc.vni is not None:
                vnis.add(svc.vni)
                atts.append(AccessAttachment(
                    site=site.name, tenant=self.tenant, router=router, port=port,
                    vlan=VPN_VLAN_BASE + site.index, ipv4=None, ipv6=None,
                    rate_down_bps=svc.down_bps, rate_up_bps=svc.up_bps, vpns=(f"vpn{svc.vni}",)))
        vpns = [VpnInstance(name=f"vpn{vni}", tenant=self.tenant, rd=f"{BACKBONE_ASN}:{vni}",
                            import_rts=(f"{BACKBONE_ASN}:{vni}",),
                            export_rts=(f"{BACKBONE_ASN}:{vni}",), vni=vni) for vni in sorted(vnis)]
        return atts, vpns

    def render_all(self, services: Mapping[str, SiteService]) -> dict[str, RenderedConfig]:
        atts, vpns = self.attachments(services)
        intents = build_device_intents(self.routers(), atts, vpns)
        return {name: render("frr", intent) for name, intent in intents.items()}

    def apply(self, services: Mapping[str, SiteService], *, only_changed: bool = True,
              fail_commit_on: Iterable[str] = ()) -> tuple[TransactionResult, float]:
        """Render and push; returns the transaction result and the seconds from the call to the
        last router committed (the transaction's end: commit + verify)."""
        started = time.perf_counter()
        configs = self.render_all(services)
        changes = [diff_configs(r, "frr", self.committed.get(r), cfg) for r, cfg in configs.items()]
        if only_changed:
            changes = [c for c in changes if c.changed or c.router not in self.committed]
        driver = LabDriver(self.lab, fail_commit_on=set(fail_commit_on) | self.fail_commit_on)
        drivers = bind_all(driver, [c.router for c in changes])
        result = commit_changes(changes, drivers, self.journal, actor="lab", reason="lab scenario")
        elapsed = time.perf_counter() - started
        if result.ok:
            self.committed.update({c.router: c.after for c in changes})
        return result, elapsed

    def running_configs(self) -> dict[str, str]:
        driver = LabDriver(self.lab)
        return {r.inventory_name: driver.running_config(r.inventory_name) for r in self.topology.routers}


def _p2p_network(site: LabSite) -> str:
    """The site's Internet /31 as the lab built it: the engine would allocate one from its pool."""
    return str(ipaddress.ip_interface(site.pe_inet_addr).network)
