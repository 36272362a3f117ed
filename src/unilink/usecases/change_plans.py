"""Plan a change, or a return to an earlier intent version. A plan changes nothing, so it records no
event (events are state changes; applying the plan does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from unilink.engine import core as engine_core
from unilink.engine.core import Plan
from unilink.services.intent import Intent


def plan_change(store: Any, tenant: str, desired: Intent | dict[str, Any] | str, *, actor: str,
                accesses_installed: bool = False, base_version: int | None = None,
                now: datetime | None = None) -> Plan:
    """The plan that brings `tenant` to `desired` (saved, holding what it books; see `engine.plan`)."""
    return engine_core.plan(store, tenant, desired, now=now, actor=actor, accesses_installed=accesses_installed,
                            base_version=base_version)


def revert_to(store: Any, tenant: str, version: int, *, actor: str, now: datetime | None = None) -> Plan:
    """A plan back to intent `version` (less the boosts of it that have ended): apply it like any plan."""
    return engine_core.revert(store, tenant, version, now=now, actor=actor)
