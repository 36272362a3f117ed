"""Stage 5, render: vendor-neutral device inputs → per-vendor configs → per-router diff (pure).

Only the routers the change touches are rendered (engine.devices.DeviceModel.render_routers): the
cost follows the size of the change, not of the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from unilink.devices.journal import text_sha
from unilink.devices.render import RenderedConfig
from unilink.engine.admission import rates_at
from unilink.engine.change_plan import RouterChange
from unilink.engine.devices import TenantDevices, attachment_changes, config_diff, tenant_devices, touched_routers
from unilink.engine.stages.admit import Admission
from unilink.engine.stages.diffing import IntentDiff
from unilink.engine.stages.snapshot import PlanSnapshot


@dataclass(frozen=True, slots=True)
class Rendering:
    devices: TenantDevices                   # the tenant's device inputs after the change
    routers: Mapping[str, RouterChange]      # touched router → its diff and config hashes
    configs: Mapping[str, RenderedConfig]    # touched router → its whole config after the change (memory only)
    attachments: dict[str, Any]              # the tenant's own attachments per router (engine.plan_views)

    @property
    def changes_routers(self) -> bool:
        return any(change.diff for change in self.routers.values())


def render(snapshot: PlanSnapshot, diff: IntentDiff, admission: Admission) -> Rendering:
    tenant, model = snapshot.tenant, snapshot.devices
    devices = tenant_devices(tenant, diff.effective, rates_at(diff.effective, snapshot.now), admission.allocations,
                             admission.router_of_site)
    old = model.tenants.get(tenant, TenantDevices())
    touched = touched_routers(old, devices)
    configs = model.render_routers(touched, {tenant: devices}) if touched else {}
    routers = {}
    for router in sorted(touched):
        before = model.configs.get(router, "")
        text = configs[router].full_text()
        routers[router] = RouterChange(config_diff(router, before, text), config_sha(before), config_sha(text))
    return Rendering(devices, routers, configs, attachment_changes(old, devices, routers))


def config_sha(text: str) -> str:
    """The short hash a plan keeps of a config (the text stays in memory)."""
    return text_sha(text)[:32]
