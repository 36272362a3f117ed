"""Request and response bodies of the cooperative campaign routes (`api/routes/coop.py`).

Requests forbid unknown fields (`Strict`); the use cases (`unilink.usecases.campaigns`,
`unilink.usecases.coop_design`) check the rest and name the field. The public answers are declared
field by field on purpose: the response model is a second guard that nothing personal (a name, an
e-mail, an address, one person's money) leaves through the public routes, whatever the view holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from unilink.api.schemas import Strict

Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Cents = Annotated[int, Field(ge=0, le=100_000_000, description="euro cents")]
Coordinate = tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]


# -- public ------------------------------------------------------------------------------------------

class PledgeIn(Strict):
    """A resident's pledge: no account; a confirmation link is e-mailed (the pledge counts once confirmed)."""

    model_config = {**Strict.model_config, "json_schema_extra": {"example": {
        "name": "Camille Martin", "email": "camille@example.org", "address": "3 rue de la Mairie, Thoiry",
        "lat": 48.8672, "lon": 1.7969, "plan": "fibre-300"}}}

    name: Text200
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    address: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    lat: float = Field(ge=-90, le=90, description="WGS 84 degrees: decides the zone")
    lon: float = Field(ge=-180, le=180, description="WGS 84 degrees")
    plan: ZoneName
    deposit_cents: Cents = 0
    shares: int = Field(0, ge=0, le=100_000, description="member shares, at the campaign's share price")
    voucher_cents: Cents = 0


class PledgeOut(BaseModel):
    pledge_id: str
    campaign: str
    zone: str
    status: str
    email_masked: str = Field(description="where the confirmation link went, masked: j***@example.org")


class PledgeStatus(BaseModel):
    pledge_id: str
    campaign: str
    zone: str
    status: Literal["confirmed", "withdrawn"]
    zone_reached: bool | None = Field(None, description="this confirmation reached the zone's target")


class TokenIn(Strict):
    token: Annotated[str, StringConstraints(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] = Field(
        description="the token of the link in the confirmation e-mail")


class PublicPlan(BaseModel):
    name: str
    down_bps: int
    up_bps: int
    monthly_cents: int


class PublicZone(BaseModel):
    name: str
    commune: str | None = None
    polygon: list[list[float]]
    homes_passed: int
    homes_source: str | None = None
    target_subscribers: int
    confirmed: int | None = Field(description="confirmed pledges; null when fewer than 5 (k-anonymity)")
    confirmed_label: str
    progress: float = Field(description="share of the target, 0 while fewer than 5")
    status: Literal["open", "reached", "expired", "designed", "ordered"]
    deadline: datetime | None = None
    next_step: str | None = None


class PublicCampaign(BaseModel):
    name: str
    title: str
    status: str
    deadline: datetime | None = None
    share_price_cents: int | None = None
    refund_rule: str | None = None
    plans: list[PublicPlan]
    zones: list[PublicZone]
    next_step: str | None = None


# -- the coop manager ------------------------------------------------------------------------------

class CampaignIn(Strict):
    """A campaign: zones (a commune, or a polygon with homes passed and their source), targets, a deadline."""

    model_config = {**Strict.model_config, "json_schema_extra": {"example": {
        "name": "villages-78", "title": "Fibre for the villages", "deadline": "2027-03-31T18:00:00+02:00",
        "plans": [{"name": "fibre-300", "down_bps": 300_000_000, "up_bps": 300_000_000, "monthly_cents": 2990}],
        "zones": [{"name": "thoiry", "commune": "Thoiry", "target": {"share": 0.3}}]}}}

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    title: Text200
    deadline: Annotated[str, StringConstraints(min_length=10, max_length=40)] = Field(
        description="ISO 8601, in the future")
    plans: list[dict[str, Any]] = Field(min_length=1, max_length=20,
                                        description='[{"name", "down_bps", "up_bps", "monthly_cents"}]')
    zones: list[dict[str, Any]] = Field(min_length=1, max_length=50, description=(
        '[{"name", "commune"? | "polygon": [[lat, lon], …], "homes_passed"?, "homes_source"?, '
        '"target": {"subscribers": N} | {"share": 0.3}, "build_cost_cents"?}]'))
    max_extensions: int | None = Field(None, ge=0, le=10)
    share_price_cents: int | None = Field(None, ge=1, le=100_000_000)
    refund_rule: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None


class Target(Strict):
    subscribers: int | None = Field(None, ge=1, le=10_000_000)
    share: float | None = Field(None, gt=0, le=1)


class ZonePatch(Strict):
    """What a manager corrects on a zone: homes passed (with where the count comes from), the target,
    the build cost. Fields left out are kept."""

    homes_passed: int | None = Field(None, ge=1, le=10_000_000)
    homes_source: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    target: Target | None = None
    build_cost_cents: Cents | None = None


class ExtendIn(Strict):
    until: Annotated[str, StringConstraints(min_length=10, max_length=40)] = Field(
        description="the new deadline (ISO 8601), later than the current one")
    zone: ZoneName | None = Field(None, description="one zone only (default: every open zone)")


class DesignIn(Strict):
    """A what-if: where an area of communes (or points) would connect, for so many members."""

    model_config = {**Strict.model_config, "json_schema_extra": {"example": {
        "communes": ["Villiers-le-Mahieu", "Thoiry"], "members": 120}}}

    communes: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None = Field(
        None, min_length=1, max_length=50)
    points: list[Coordinate] | None = Field(None, min_length=1, max_length=50)
    members: int = Field(ge=1, le=1_000_000)
    plan_rates_bps: list[Annotated[int, Field(ge=1, le=10**12)]] = Field(default_factory=list, max_length=50)
    busy_hour_bps: int | None = Field(None, ge=1, le=10**10, description="per member at the busy hour")
    peak_factor: float | None = Field(None, gt=0, le=100)
    growth_per_year: float | None = Field(None, gt=-0.99, le=10)
    horizon_years: float | None = Field(None, ge=0, le=30)


class OrderIn(Strict):
    candidate: int | None = Field(None, ge=0, le=100, description="index in the design's candidates "
                                                                  "(default: the best)")
    busy_hour_bps: int | None = Field(None, ge=1, le=10**10)
    peak_factor: float | None = Field(None, gt=0, le=100)


class OrderOut(BaseModel):
    plan_id: str | None = None
    applied: Any = None
    orders: list[Any] = Field(default_factory=list)
    site: Any = None
    candidate: Any = None
