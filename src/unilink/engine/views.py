"""A plan as its readers see it: the API's plan document, which the CLI prints in both its modes.

The engine's plan content keeps more (the desired document, allocations, hashes of the configs);
this is the part a tenant or an operator reads: the diff per site and service, what lands later
(`pending`, while field work is open), the price, the orders, the reservations, and per router the
lines added and removed (with the diff itself when asked).
"""

from __future__ import annotations

from typing import Any


def plan_view(content: dict[str, Any], *, diffs: bool) -> dict[str, Any]:
    """The plan document of `content`; `diffs`: every router's config diff too."""
    routers = {}
    for name, change in content.get("devices", {}).items():
        diff = change.get("diff", "") or ""
        lines = diff.splitlines()
        router: dict[str, Any] = {"added": sum(1 for x in lines if x.startswith("+") and not x.startswith("+++")),
                                  "removed": sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))}
        if diffs:
            router["diff"] = diff
        routers[name] = router
    return {"id": content["id"], "tenant": content["tenant"], "fingerprint": content["fingerprint"],
            "empty": content["empty"], "summary": content.get("summary", []), "changes": content["changes"],
            "pending": content.get("pending"), "price": content["price"], "orders": content.get("orders", []),
            "new_orders": content.get("new_orders", []), "bookings": content.get("bookings", []),
            "release": content.get("release", []), "devices": routers, "feasible": True,
            "removals": content.get("removals", []), "rename_hints": content.get("rename_hints", []),
            "cancel_orders": content.get("cancel_orders", [])}
