"""A plan as its readers see it: the API's plan document, which the CLI and the portal show.

The engine's plan content keeps more (the desired document, allocations, hashes of the configs);
this is the part a tenant or an operator reads: the diff per site and service, what lands later
(`pending`, while field work is open), the price, the orders, the reservations, and per router what
changes there.

Who reads decides what "per router" is, and this module is the one place that decides it
(`plan_view(content, diffs=…, audience=…)`, `audience_of(principal)`); the API, the remote CLI and
the portal all go through it:

- operators: the router's config diff (with `diffs`) and its lines added and removed;
- tenants: only what changes on their own attachments on that router (site, port, VLAN, rates, VPN
  membership, E-Line) — never the config, whose lines, context and line numbers carry every other
  tenant on the box (their names, descriptions, rates, VPN instances), nor counts of its lines.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from unilink.engine.devices import attachment_field_label
from unilink.units import format_bandwidth


class Audience(StrEnum):
    OPERATOR = "operator"
    TENANT = "tenant"


class _Reader(Protocol):
    @property
    def is_operator(self) -> bool: ...


def audience_of(principal: _Reader | None) -> Audience:
    """Operator roles read everything; every other role (tenant-admin, tenant-viewer, coop-manager…) is
    a tenant. None: a local caller with the database itself (the operator's CLI)."""
    if principal is None or principal.is_operator:
        return Audience.OPERATOR
    return Audience.TENANT


def plan_view(content: dict[str, Any], *, diffs: bool, audience: Audience = Audience.OPERATOR) -> dict[str, Any]:
    """The plan document of `content` for `audience`; `diffs`: every router's config diff too (operators)."""
    if audience is Audience.OPERATOR:
        routers = {name: _operator_router(change, diffs) for name, change in content.get("devices", {}).items()}
    else:
        own = content.get("attachments") or {}
        routers = {name: {"changes": [_with_text(c) for c in own.get(name, [])]} for name in content.get("devices", {})}
    return {"id": content["id"], "tenant": content["tenant"], "fingerprint": content["fingerprint"],
            "empty": content["empty"], "summary": content.get("summary", []), "changes": content["changes"],
            "pending": content.get("pending"), "price": content["price"],
            # in the API's PlanOut order, so that the local CLI prints what the server answers
            "removals": content.get("removals", []), "rename_hints": content.get("rename_hints", []),
            "cancel_orders": content.get("cancel_orders", []), "orders": content.get("orders", []),
            "new_orders": content.get("new_orders", []), "bookings": content.get("bookings", []),
            "release": content.get("release", []), "devices": routers, "feasible": True}


def _operator_router(change: dict[str, Any], diffs: bool) -> dict[str, Any]:
    diff = change.get("diff", "") or ""
    lines = diff.splitlines()
    router: dict[str, Any] = {"added": sum(1 for x in lines if x.startswith("+") and not x.startswith("+++")),
                              "removed": sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))}
    if diffs:
        router["diff"] = diff
    return router


def _with_text(change: dict[str, Any]) -> dict[str, Any]:
    """One of the tenant's own changes on a router, with a sentence for people (CLI, portal)."""
    if "site" in change:
        port = change["changes"].get("port", {}).get("after") or ""
        what = f"site {change['site']}" + (" (backup line)" if change.get("backup") else "")
    else:
        port, what = "", f"service {change['service']}"
    if change["action"] == "add":
        parts = [f"{attachment_field_label(f)} {_shown(f, c['after'])}" for f, c in change["changes"].items()
                 if f != "port" and c["after"] not in (None, False, [])]
        text = f"{what}: attachment added on port {port}" + (f" ({', '.join(parts)})" if parts else "")
    elif change["action"] == "delete":
        text = f"{what}: attachment removed"
    else:
        parts = [f"{attachment_field_label(f)} {_shown(f, c['before'])} → {_shown(f, c['after'])}"
                 for f, c in change["changes"].items()]
        text = f"{what}: " + ", ".join(parts)
    return {**change, "text": text}


def _shown(field: str, value: Any) -> str:
    if value is None or value == []:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if field.endswith("_bps") and isinstance(value, int):
        return format_bandwidth(value) + "bit/s"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
