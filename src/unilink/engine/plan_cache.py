"""The plans this process made recently, so that apply need not decode or render them again.

One bounded map, plan id → the typed plan and what only memory keeps of it: the effective intent and
the device inputs it was rendered from, the rendered configs (the stored plan keeps only each
router's diff and hashes), and the price of what it deploys. The plans table stays the reference: a
plan missing here (made by another process, or evicted) is rebuilt from its document.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from unilink.catalog.prices import Quote
from unilink.devices.render import RenderedConfig
from unilink.engine.change_plan import Plan
from unilink.engine.devices import TenantDevices
from unilink.services.intent import Intent

MAX_PLANS = 256


@dataclass(frozen=True, slots=True)
class CachedPlan:
    plan: Plan
    effective: Intent                     # the intent the apply deploys
    devices: TenantDevices                # the tenant's device inputs after the apply
    configs: dict[str, RenderedConfig]    # router → its config after the apply, as rendered for the plan
    quote: Quote | None                   # the deployed price after the apply, when no field work is pending


class PlanCache:
    """Least recently used first out, at most `limit` plans."""

    def __init__(self, limit: int = MAX_PLANS) -> None:
        self.limit = limit
        self._plans: OrderedDict[str, CachedPlan] = OrderedDict()

    def put(self, entry: CachedPlan) -> None:
        self._plans[entry.plan.id] = entry
        self._plans.move_to_end(entry.plan.id)
        while len(self._plans) > self.limit:
            self._plans.popitem(last=False)

    def get(self, plan_id: str) -> CachedPlan | None:
        entry = self._plans.get(plan_id)
        if entry is not None:
            self._plans.move_to_end(plan_id)
        return entry

    def __contains__(self, plan_id: object) -> bool:
        return plan_id in self._plans

    def __len__(self) -> int:
        return len(self._plans)

    def clear(self) -> None:
        self._plans.clear()
