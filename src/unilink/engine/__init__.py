"""The change engine: plan → apply, schedules, orders.

    from unilink.engine import plan, apply
    p = plan(store, "acme", desired_document)         # -> Plan (saved; nothing else changes)
    result = apply(store, p.id, actor="alice", reason="site closed")   # -> ApplyResult
"""

from unilink.engine.core import ApplyResult, Plan, apply, plan
from unilink.engine.wiring import register_with_store

register_with_store()  # the removal guard and the demo seed step (the store never imports the engine)

__all__ = ["ApplyResult", "Plan", "apply", "plan"]
