"""Demand-aggregation campaigns, pure: a campaign's spec checked, a zone's status and what residents are
told, the k-anonymous public figures and the refunds owed. No SQL, no I/O (the store keeps the rows,
`unilink.usecases.campaigns` runs the lifecycle).

A campaign is an area of zones (a commune's default hexagon or a drawn polygon), each with homes
passed (an input with its source: counts are often wrong), a target (subscribers, or a share of homes
passed) and a deadline; residents pledge for a plan, optionally with money (a deposit, member shares at
par, a public voucher). See docs/campaigns.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from unilink.coop import geo
from unilink.coop.communes import commune
from unilink.coop.pledges import count, money
from unilink.errors import ValidationError

K_ANONYMITY = 5  # the public page shows no count below this (a count of 1 or 2 names a household)
DEFAULT_MAX_EXTENSIONS = 2
DEFAULT_SHARE_PRICE_CENTS = 100  # €1, like B4RN's £1 member share
DEFAULT_REFUND_RULE = ("If a zone does not reach its target by its deadline (extensions included), every "
                       "deposit is refunded in full and every member share is bought back at par; public "
                       "vouchers go back to their funder. Nothing is kept for costs.")
MAX_ZONES = 50
MAX_EXTENSIONS = 10
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ZONE_STATUSES = ("open", "reached", "expired", "designed", "ordered")


@dataclass(frozen=True, slots=True)
class PlanSpec:
    name: str
    down_bps: int
    up_bps: int
    monthly_cents: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "down_bps": self.down_bps, "up_bps": self.up_bps,
                "monthly_cents": self.monthly_cents}


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    name: str
    commune: str | None
    polygon: list[list[float]]
    homes_passed: int
    homes_source: str
    target_subscribers: int
    target_share: float | None  # kept when the target was a share: editing homes passed recomputes it
    build_cost_cents: int


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    name: str
    tenant: str
    title: str
    deadline: datetime
    max_extensions: int
    share_price_cents: int
    refund_rule: str
    plans: list[PlanSpec]
    zones: list[ZoneSpec] = field(default_factory=list)


def parse_deadline(raw: object, *, now: datetime, field: str = "deadline") -> datetime:
    """An ISO-8601 instant after `now` (no zone given: UTC)."""
    try:
        at = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("not an ISO-8601 date and time", field=field, value=str(raw)[:40],
                              accepted="e.g. 2027-03-31T18:00:00+02:00") from None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if at <= now:
        raise ValidationError("the deadline is in the past", field=field, value=str(raw),
                              accepted=f"a time after {now.isoformat()}")
    return at


def parse_spec(spec: dict[str, Any], *, now: datetime) -> CampaignSpec:
    """Check a whole campaign before anything is written; ValidationError naming the field."""
    if not isinstance(spec, dict):
        raise ValidationError("a campaign is an object", field="spec", value=str(spec)[:80])
    name = spec.get("name")
    if not isinstance(name, str) or not _SLUG.match(name):
        raise ValidationError("a campaign name is a slug", field="name", value=str(name)[:80],
                              accepted="2-63 characters: a-z, 0-9, '-' (not first)")
    plans = _plans(spec.get("plans"))
    zones_raw = spec.get("zones")
    if not isinstance(zones_raw, list) or not zones_raw or len(zones_raw) > MAX_ZONES:
        raise ValidationError("a campaign needs zones", field="zones", value=str(zones_raw)[:80],
                              accepted=f"1 to {MAX_ZONES} zones")
    zones = [_zone(z, f"zones[{i}]") for i, z in enumerate(zones_raw)]
    seen: set[str] = set()
    for i, zone in enumerate(zones):
        if zone.name in seen:
            raise ValidationError("two zones have this name", field=f"zones[{i}].name", value=zone.name)
        seen.add(zone.name)
    return CampaignSpec(
        name=name, tenant=_text(spec.get("tenant"), "tenant", 64), title=_text(spec.get("title"), "title", 200),
        deadline=parse_deadline(spec.get("deadline"), now=now),
        max_extensions=count(spec.get("max_extensions", DEFAULT_MAX_EXTENSIONS), "max_extensions", MAX_EXTENSIONS),
        share_price_cents=_positive(spec.get("share_price_cents", DEFAULT_SHARE_PRICE_CENTS), "share_price_cents"),
        refund_rule=_text(spec.get("refund_rule", DEFAULT_REFUND_RULE), "refund_rule", 2000),
        plans=plans, zones=zones)


def _plans(raw: object) -> list[PlanSpec]:
    if not isinstance(raw, list) or not raw:
        raise ValidationError("a campaign offers at least one plan", field="plans", value=str(raw)[:80],
                              accepted='[{"name", "down_bps", "up_bps", "monthly_cents"}]')
    plans = []
    for i, item in enumerate(raw):
        where = f"plans[{i}]"
        if not isinstance(item, dict):
            raise ValidationError("a plan is an object", field=where, value=str(item)[:80])
        plans.append(PlanSpec(name=_text(item.get("name"), f"{where}.name", 64),
                              down_bps=_positive(item.get("down_bps"), f"{where}.down_bps"),
                              up_bps=_positive(item.get("up_bps"), f"{where}.up_bps"),
                              monthly_cents=money(item.get("monthly_cents"), f"{where}.monthly_cents")))
    names = [p.name for p in plans]
    if len(set(names)) != len(names):
        raise ValidationError("two plans have one name", field="plans", value=", ".join(names))
    return plans


def _zone(raw: object, where: str) -> ZoneSpec:
    if not isinstance(raw, dict):
        raise ValidationError("a zone is an object", field=where, value=str(raw)[:80])
    name = _text(raw.get("name"), f"{where}.name", 64)
    commune_name, polygon, homes, source = None, None, None, None
    if raw.get("commune") is not None:
        found = commune(str(raw["commune"]), field=f"{where}.commune")
        commune_name, homes, source = found.name, found.homes_passed, found.homes_source
        polygon = geo.hexagon(found.lat, found.lon, found.radius_km)
    if raw.get("polygon") is not None:
        polygon = geo.parse_polygon(raw["polygon"], field=f"{where}.polygon")
    if polygon is None:
        raise ValidationError("a zone is a commune or a polygon", field=where, value=name,
                              accepted='"commune": NAME or "polygon": [[lat, lon], …]')
    if raw.get("homes_passed") is not None:
        homes = _positive(raw["homes_passed"], f"{where}.homes_passed", maximum=10_000_000)
        source = raw.get("homes_source")
    if homes is None:
        raise ValidationError("homes passed is needed for a drawn zone", field=f"{where}.homes_passed", value=None)
    source = _text(source, f"{where}.homes_source", 300)  # a count without its source is not accepted
    target, share = parse_target(raw.get("target"), homes, field=f"{where}.target")
    return ZoneSpec(name=name, commune=commune_name, polygon=polygon, homes_passed=homes, homes_source=source,
                    target_subscribers=target, target_share=share,
                    build_cost_cents=money(raw.get("build_cost_cents", 0), f"{where}.build_cost_cents"))


def parse_target(raw: object, homes_passed: int, *, field: str) -> tuple[int, float | None]:
    """{"subscribers": N} or {"share": f} → (subscribers, share or None); at most the homes passed."""
    if isinstance(raw, dict) and set(raw) == {"subscribers"}:
        subscribers = _positive(raw["subscribers"], f"{field}.subscribers", maximum=10_000_000)
        share = None
    elif isinstance(raw, dict) and set(raw) == {"share"}:
        share = raw["share"]
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise ValidationError("a share of homes passed is in (0, 1]", field=f"{field}.share", value=str(share))
        share = float(share)
        subscribers = target_from_share(share, homes_passed)
    else:
        raise ValidationError("a target is a number of subscribers or a share of homes", field=field,
                              value=str(raw)[:80], accepted='{"subscribers": N} or {"share": 0.3}')
    if subscribers > homes_passed:
        raise ValidationError("the target is more than the homes passed", field=field, value=subscribers,
                              accepted=f"at most {homes_passed}")
    return subscribers, share


def target_from_share(share: float, homes_passed: int) -> int:
    return max(1, math.ceil(share * homes_passed - 1e-9))


# -- status, what residents are told, the public figures ------------------------------------------------

def zone_status(zone: dict[str, Any]) -> str:
    """open | reached | designed | ordered | expired, from a zone row's dates and design state."""
    if zone["expired_at"] is not None:
        return "expired"
    if zone["reached_at"] is None:
        return "open"
    if zone["order_ids"]:
        return "ordered"
    if zone["design_state"] in ("designed", "order_failed"):
        return "designed"  # an order that failed is the manager's to place again: the design stands
    # infeasible: no candidate carries it yet (capacity, a new build): still the connection to design
    return "reached"


def campaign_status(zone_statuses: list[str]) -> str:
    """open while a zone still collects; expired when every zone expired; closed otherwise."""
    if "open" in zone_statuses:
        return "open"
    if all(s == "expired" for s in zone_statuses):
        return "expired"
    return "closed"


def next_step(status: str, *, deadline: datetime, lead_time_days: int | None = None) -> str:
    """The sentence the public page shows residents for a zone: what happens now."""
    day = deadline.strftime("%d %B %Y")
    if status == "open":
        return (f"We are collecting pledges until {day}. Pledge and ask your neighbours: the connection is "
                f"designed as soon as the target is reached.")
    if status == "reached":
        return "Target reached! The connection to the backbone is being designed; you will hear from us by e-mail."
    if status == "designed":
        return "Target reached and the connection is designed; the cooperative is ordering the backhaul."
    if status == "ordered":
        weeks = f" The expected lead time is about {lead_time_days // 7} weeks." if lead_time_days else ""
        return f"The backhaul is ordered: work on the connection has started.{weeks}"
    return ("The target was not reached in time. Every deposit is refunded and member shares are bought back "
            "at par, as the refund rule says.")


def public_count(confirmed: int, target: int) -> dict[str, Any]:
    """The k-anonymous figures of a zone: below K_ANONYMITY the count is hidden and the progress is
    floored to 0, so that neither the count nor the progress bar tells 1 pledge from 4."""
    if confirmed >= K_ANONYMITY:
        return {"confirmed": confirmed, "confirmed_label": str(confirmed),
                "progress": round(min(1.0, confirmed / target), 2)}
    return {"confirmed": None, "confirmed_label": f"fewer than {K_ANONYMITY}", "progress": 0.0}


def refund_of(pledge: dict[str, Any], share_price_cents: int) -> dict[str, int]:
    """What a pledge is owed back: its deposit and its shares at par; its voucher goes back to the funder."""
    return {"deposit_cents": pledge["deposit_cents"], "shares_cents": pledge["shares"] * share_price_cents,
            "voucher_cents": pledge["voucher_cents"]}


def _text(raw: object, field: str, maximum: int) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > maximum:
        raise ValidationError(f"must be 1-{maximum} characters", field=field, value=str(raw)[:80])
    return raw.strip()


def _positive(raw: object, field: str, *, maximum: int = 10**12) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= maximum:
        raise ValidationError("must be a whole number above 0", field=field, value=str(raw)[:40],
                              accepted=f"1 to {maximum}")
    return raw
