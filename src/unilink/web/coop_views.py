"""What the campaign pages and routes show, pure: the use cases' answers → rows with units.

The public rows are built from `campaigns.public_view` only, and a hidden count (`confirmed: None`,
fewer than 5) stays hidden: the progress bar is then drawn at 0 and its text is the view's label.
"""

from __future__ import annotations

from typing import Any

M = 10**6
INT_COLUMNS = ("deposit_cents", "shares", "shares_cents", "voucher_cents")
FLOAT_COLUMNS = ("lat", "lon")


def public_zone_rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Per zone: its count as shown ("12" or "fewer than 5"), the bar's value and maximum, what happens next."""
    rows = []
    for zone in view["zones"]:
        confirmed = zone.get("confirmed")
        target = int(zone["target_subscribers"])
        shown = isinstance(confirmed, int)
        rows.append({"name": zone["name"], "commune": zone.get("commune"), "homes_passed": zone["homes_passed"],
                     "homes_source": zone.get("homes_source"), "target": target, "status": zone["status"],
                     "deadline": zone.get("deadline"), "next_step": zone.get("next_step"),
                     "count": str(confirmed) if shown else str(zone.get("confirmed_label") or "fewer than 5"),
                     "bar_value": min(confirmed, target) if shown else 0, "shown": shown,
                     "percent": f"{min(1.0, confirmed / target) * 100:.0f} %" if shown else None})
    return rows



def zone_of(view: dict[str, Any], zone: str) -> dict[str, Any] | None:
    return next((z for z in view["zones"] if z["name"] == zone), None)





def candidate_rows(design: dict[str, Any]) -> list[dict[str, Any]]:
    """Each candidate with every figure, and whether it is the proposed (best) one."""
    rows = []
    for index, c in enumerate(design.get("candidates") or []):
        bottleneck = c.get("bottleneck")
        rows.append({"index": index, "kind": c["kind"], "attach": c["attach"], "path": " → ".join(c["path"]),
                     "distance_km": f"{c['distance_km']:.1f}", "new_build_km": f"{c['new_build_km']:.1f}",
                     "backhaul_bps": c["backhaul_bps"], "feasible": c["feasible"],
                     "monthly_cents": c["monthly_cents"], "one_off_cents": c["one_off_cents"],
                     "per_member_monthly_cents": c["per_member_monthly_cents"],
                     "bottleneck": bottleneck_text(bottleneck) if bottleneck else None,
                     "best": index == design.get("best")})
    return rows


def bottleneck_text(bottleneck: Any) -> str:
    if not isinstance(bottleneck, dict):
        return str(bottleneck)
    parts = [f"{key} {value}" for key, value in bottleneck.items() if not isinstance(value, dict | list)]
    return ", ".join(parts)


def model_inputs(design: dict[str, Any]) -> dict[str, Any]:
    """The model's figures in the form's units (Mbit/s for the busy-hour rate)."""
    model = design.get("model") or {}
    busy = model.get("busy_hour_bps_per_member")
    return {"busy_hour_mbps": f"{busy / M:g}" if isinstance(busy, int | float) else "",
            "peak_factor": f"{model.get('peak_factor'):g}" if model.get("peak_factor") is not None else "",
            "members": model.get("members"), "demand_bps": model.get("demand_bps"),
            "backhaul_bps": model.get("backhaul_bps"), "growth_per_year": model.get("growth_per_year"),
            "horizon_years": model.get("horizon_years")}
