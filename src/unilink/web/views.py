"""What the portal's templates show, pure: API answers → rows with units, and the template filters.

Rates are int bit/s everywhere inside; they become text ("500 Mbit/s", "2.5 Gbit/s") only here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import Path as PathParam

from unilink.catalog.prices import format_cents
from unilink.errors import UnilinkError
from unilink.inventory.model import NAME_RE, Pop

SitePath = PathParam(max_length=64, pattern=NAME_RE.pattern)
OrderPath = PathParam(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
RATE_FIELDS = ("rate", "down", "up", "port")


def _decimal_text(value: Decimal) -> str:
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def mbps(bps: Any) -> str:
    """A rate in Mbit/s, the unit of the portal's forms: 2000000000 → "2,000 Mbit/s"."""
    if not isinstance(bps, int) or isinstance(bps, bool):
        return "—"
    return f"{_decimal_text(Decimal(bps) / 10**6)} Mbit/s"


def gbps(bps: Any) -> str:
    """A backbone capacity in Gbit/s: 100000000000 → "100 Gbit/s"."""
    if not isinstance(bps, int | float) or isinstance(bps, bool):
        return "—"
    return f"{_decimal_text(Decimal(int(bps)) / 10**9)} Gbit/s"


def percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def cents(value: Any) -> str:
    return format_cents(int(value)) if isinstance(value, int) else "—"


def signed_cents(value: Any) -> str:
    """A price change: "+€12.50", "-€3.00", "€0.00"."""
    if not isinstance(value, int):
        return "—"
    return ("+" if value > 0 else "") + format_cents(value)


def when(iso: Any) -> str:
    """An ISO time as 2026-11-26 17:46 UTC."""
    if not isinstance(iso, str):
        return "—"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def field_value(field: str, value: Any) -> str:
    """A value of a plan's change, with its unit when the field is a rate."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool) and field.rsplit(".", 1)[-1] in RATE_FIELDS:
        return mbps(value)
    return str(value)


FILTERS = {"mbps": mbps, "gbps": gbps, "percent": percent, "cents": cents, "signed_cents": signed_cents, "when": when}


def error_dict(exc: UnilinkError) -> dict[str, Any]:
    """An error as the templates show it: message, field, value, accepted."""
    value = exc.value if isinstance(exc.value, int | float | str) or exc.value is None else str(exc.value)
    return {"message": exc.message, "field": exc.field, "value": value, "accepted": exc.accepted}


def bottleneck_rows(details: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for entry in details.get("bottleneck", []) or []:
        rows.append({"link": entry.get("link"), "a": entry.get("a"), "b": entry.get("b"),
                     "free": mbps(entry.get("free_bps")), "asked": mbps(entry.get("asked_bps"))})
    return rows


def _service_text(service: dict[str, Any], site: str) -> str:
    kind = service["kind"]
    if kind == "internet":
        return f"Internet {mbps(service['rate'])}"
    if kind == "ipvpn":
        member = next(m for m in service["members"] if m["site"] == site)
        return f"VPN {service['name']} {mbps(member['rate'])}"
    other = service["b"] if service["a"] == site else service["a"]
    return f"E-Line to {other} {mbps(service['rate'])}"


def _service_sites(service: dict[str, Any]) -> list[str]:
    if service["kind"] == "internet":
        return [service["site"]]
    if service["kind"] == "ipvpn":
        return [m["site"] for m in service["members"]]
    return [service["a"], service["b"]]


def site_rows(sites: list[dict[str, Any]], services: list[dict[str, Any]], pops: dict[str, Pop],
              open_orders: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One row per site: where it is, its access, the services running on it and its open orders."""
    waiting: dict[tuple[str, str], list[str]] = {}
    for order in open_orders or []:
        waiting.setdefault((order["tenant"], order["site"]), []).append(
            f"{order['kind']} ({order['state']}, due {when(order['due_at'])[:10]})")
    on_site: dict[tuple[str, str], list[str]] = {}
    for svc in services:
        for site in _service_sites(svc):
            on_site.setdefault((svc["tenant"], site), []).append(_service_text(svc, site))
    rows = []
    for site in sites:
        access = site["access"]
        pop = pops.get(site["pop"])
        rows.append({"tenant": site["tenant"], "name": site["name"], "pop_name": site["pop"],
                     "city": f"{pop.city}, {pop.country}" if pop and pop.country else (pop.city if pop else "—"),
                     "technology": access["technology"], "provider": access.get("provider", "on-net"),
                     "down": mbps(access["down"]), "up": mbps(access["up"]), "port": mbps(access["port"]),
                     "services": on_site.get((site["tenant"], site["name"]), []),
                     "orders": waiting.get((site["tenant"], site["name"]), [])})
    return rows


def service_rows(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for svc in services:
        if svc["kind"] == "ipvpn":
            where = [f"{m['site']} ({mbps(m['rate'])})" for m in svc["members"]]
            rate = "per member"
            detail = svc.get("topology", "any-to-any")
        elif svc["kind"] == "eline":
            where, rate = [f"{svc['a']} ↔ {svc['b']}"], mbps(svc["rate"])
            detail = "protected" if svc.get("protected") else "unprotected"
        else:
            where, rate, detail = [svc["site"]], mbps(svc["rate"]), ""
        rows.append({"tenant": svc["tenant"], "name": svc["name"], "kind": svc["kind"], "sites": where,
                     "rate": rate, "detail": detail})
    return rows


def _change_rows(changes: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The items that change (sites, services, boosts and schedules), each with its fields before → after."""
    rows = []
    for group in ("sites", "services", "temporaries"):
        for item in (changes or {}).get(group, []):
            if item["action"] == "noChange":
                continue
            fields = [{"field": name, "before": field_value(name, c["before"]), "after": field_value(name, c["after"])}
                      for name, c in item["changes"].items()]
            rows.append({"action": item["action"], "kind": item["kind"], "name": item["name"], "fields": fields})
    return rows


def plan_view(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan as shown before Apply: what changes (before → after), what follows the field work, the
    price, the routers touched."""
    changes = _change_rows(plan["changes"])
    # The API already shaped `devices` for the reader's role (engine.plan_views): operators get each router's
    # diff, tenants the changes on their own attachments there (`changes`), never a router's config.
    devices = [{"router": name, "added": d["added"], "removed": d["removed"], "diff": d.get("diff", "")}
               for name, d in sorted(plan["devices"].items()) if "changes" not in d and (d["added"] or d["removed"])]
    attachments = [{"router": name, "changes": [c["text"] for c in d["changes"]]}
                   for name, d in sorted(plan["devices"].items()) if d.get("changes")]
    return {"id": plan["id"], "tenant": plan["tenant"], "empty": plan["empty"], "summary": plan["summary"],
            "changes": changes, "pending": _change_rows(plan.get("pending")), "price": plan["price"],
            "new_orders": plan["new_orders"], "devices": devices, "attachments": attachments,
            "bookings": len(plan["bookings"]), "removals": plan.get("removals", []),
            "rename_hints": plan.get("rename_hints", []), "cancel_orders": plan.get("cancel_orders", [])}


def history_rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Changes, newest first; `restorable` marks versions other than the tenant's current one."""
    current: dict[str, int] = {}
    for entry in entries:
        if entry["intent_version"] is not None:
            current[entry["tenant"]] = max(current.get(entry["tenant"], 0), entry["intent_version"])
    rows = []
    for entry in entries:
        summary = entry.get("summary") or {}
        price = summary.get("price") or {}
        rows.append({"id": entry["id"], "tenant": entry["tenant"], "at": when(entry["at"]), "actor": entry["actor"],
                     "action": entry["action"], "reason": entry["reason"], "plan_id": entry["plan_id"],
                     "version": entry["intent_version"], "changes": summary.get("changes", []),
                     "restorable": entry["intent_version"] not in (None, current.get(entry["tenant"])),
                     "orders": summary.get("orders", []), "delta": signed_cents(price.get("monthly_delta_cents")),
                     "price_lines": price.get("lines", []), "one_off": price.get("one_off", []),
                     "cancelled_orders": summary.get("cancelled_orders", [])})
    return rows


def network_view(now: Any) -> dict[str, Any]:
    """The operator's network page: PoPs, links with capacity and reservations, the busiest links."""
    links = sorted(now.links, key=lambda lk: lk.name)
    routers_at: dict[str, int] = {}
    for r in now.network.routers:
        routers_at[r.pop] = routers_at.get(r.pop, 0) + 1
    pops = [{"name": p.name, "city": p.city, "country": p.country, "routers": routers_at.get(p.name, 0)}
            for p in sorted(now.network.pops, key=lambda p: p.name)]
    utilisations = [lk.utilisation for lk in now.links]
    interconnects = [{"name": i.name, "kind": i.kind.value, "pop": i.pop, "partner": i.partner,
                      "capacity_bps": i.capacity_bps} for i in sorted(now.network.interconnects, key=lambda i: i.name)]
    return {"pops": pops, "links": links, "busiest": now.busiest(10), "interconnects": interconnects,
            "max_utilisation": max(utilisations, default=0.0),
            "total_capacity": sum(lk.capacity_bps for lk in now.links),
            "measured_at": now.measured_at.isoformat() if getattr(now, "measured_at", None) else None}


def tenant_rows(tenants: list[Any], sites: list[dict[str, Any]], services: list[dict[str, Any]]
                ) -> list[dict[str, Any]]:
    site_count: dict[str, int] = {}
    service_count: dict[str, int] = {}
    for s in sites:
        site_count[s["tenant"]] = site_count.get(s["tenant"], 0) + 1
    for s in services:
        service_count[s["tenant"]] = service_count.get(s["tenant"], 0) + 1
    return [{"name": t.name, "kind": t.kind, "display_name": t.display_name,
             "sites": site_count.get(t.name, 0), "services": service_count.get(t.name, 0)} for t in tenants]
