"""The demo tenants' first intents, made from the raw sample data (`inventory.sample.load_demo_tenants`).

The sample gives each tenant's sites and accesses; the services are ours to choose, deterministic
and well inside every ceiling so that the demo has room to change them:
- an enterprise: Internet at its first site (a quarter of the access), and a private VPN joining all
  its sites (half of each access);
- a wholesale operator: E-Lines between its sites taken two by two (half of the smaller access);
- a cooperative: Internet at each site (half of the access).
A site's 4G/5G backup line in the sample is part of its intent (`backup`), seeded as installed.
"""

from __future__ import annotations

from typing import Any


def _access(a: dict[str, Any]) -> dict[str, Any]:
    return {"technology": a["technology"], "provider": a.get("provider", "on-net"),
            "port": a["port_bps"], "down": a["down_bps"], "up": a["up_bps"]}


def _site(raw: dict[str, Any]) -> dict[str, Any]:
    site = {"name": raw["name"], "pop": raw["pop"], "access": _access(raw["access"])}
    if raw.get("router"):
        site["router"] = raw["router"]
    if raw.get("backup"):
        site["backup"] = _access(raw["backup"])
    return site


def demo_intent(raw: dict[str, Any]) -> dict[str, Any]:
    sites = [_site(s) for s in raw.get("sites", [])]
    down = {s["name"]: s["access"]["down"] for s in sites}
    services: list[dict[str, Any]] = []
    if raw["kind"] == "enterprise" and sites:
        first = sites[0]["name"]
        services.append({"kind": "internet", "name": f"{first}-internet", "site": first, "rate": down[first] // 4})
        if len(sites) >= 2:
            services.append({"kind": "ipvpn", "name": "corp", "topology": "any-to-any",
                             "members": [{"site": s["name"], "rate": down[s["name"]] // 2} for s in sites]})
    elif raw["kind"] == "operator":
        for a, b in zip(sites[0::2], sites[1::2], strict=False):
            rate = min(down[a["name"]], down[b["name"]], a["access"]["up"], b["access"]["up"]) // 2
            services.append({"kind": "eline", "name": f"{a['name']}-{b['name']}", "a": a["name"], "b": b["name"],
                             "rate": rate})
    else:
        for s in sites:
            services.append({"kind": "internet", "name": f"{s['name']}-internet", "site": s["name"],
                             "rate": down[s["name"]] // 2})
    return {"tenant": raw["name"], "sites": sites, "services": services}
