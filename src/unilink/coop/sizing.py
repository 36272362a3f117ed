"""How much backhaul a cooperative needs (pure): members × busy-hour rate × peak factor × growth.

    backhaul = members × busy_hour_bps_per_member × peak_factor × (1 + growth_per_year) ^ horizon_years

never below the fastest plan a member pledged (one member at full speed must fit), then rounded UP
to a sellable step of the Internet service (`catalog.backhaul.sellable_rate`: 10 Mbit/s steps to
100 Mbit/s, 100 Mbit/s steps to 1 Gbit/s, 1 Gbit/s steps to 10 Gbit/s, then 10 Gbit/s).

The defaults and their sources (docs/coop-design.md):
- busy_hour_bps_per_member = 2.4 Mbit/s. Ofcom (Connected Nations 2022, UK) measured 453 GB per
  month downloaded by the average fixed broadband home: 453 × 8 × 10^9 bits / (30.4 × 86,400 s)
  ≈ 1.4 Mbit/s averaged over the month. Traffic concentrates in the evening: at the busy hour a home
  draws about 1.75 × its average, ≈ 2.4 Mbit/s (the ratio is an ASSUMPTION consistent with the
  daily profiles operators publish). So 100 homes ≈ 240 Mbit/s before the peak factor.
- peak_factor = 1.25: headroom over the busy-hour mean for the variance of a small group (100 homes
  do not average out the way 10,000 do) and for bursts inside the hour. ASSUMPTION; 100 homes then
  need ≈ 300 Mbit/s, inside the 250-350 Mbit/s the Ofcom figure suggests.
- growth_per_year = 0.10 and horizon_years = 1: size for a year of growth past today. ASSUMPTION:
  average fixed data use grew by single digits to low tens of percent a year in Ofcom's recent
  series; the horizon is short because the backhaul is an ordinary service whose rate the coop
  changes on demand later (docs/coop-design.md), so there is no need to buy years ahead.
Rates are int bit/s; the factors are floats. The product is rounded to the nearest bit/s before the
step, so that 100 × 2.4 Mbit/s × 1.25 is 300 Mbit/s and not one step more for a float's last bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from unilink.catalog.backhaul import sellable_rate
from unilink.errors import ValidationError

M = 10**6

DEFAULT_BUSY_HOUR_BPS = 2_400_000
DEFAULT_PEAK_FACTOR = 1.25
DEFAULT_GROWTH_PER_YEAR = 0.10
DEFAULT_HORIZON_YEARS = 1.0


@dataclass(frozen=True, slots=True)
class SizingModel:
    busy_hour_bps_per_member: int = DEFAULT_BUSY_HOUR_BPS
    peak_factor: float = DEFAULT_PEAK_FACTOR
    growth_per_year: float = DEFAULT_GROWTH_PER_YEAR
    horizon_years: float = DEFAULT_HORIZON_YEARS

    def __post_init__(self) -> None:
        _check(self.busy_hour_bps_per_member, "busy_hour_bps_per_member", low=1, accepted="bit/s ≥ 1, e.g. 2400000")
        _check(self.peak_factor, "peak_factor", low=0.0, strict=True, accepted="a number > 0, e.g. 1.25")
        _check(self.growth_per_year, "growth_per_year", low=-0.99, accepted="a number > -1, e.g. 0.1 for +10 %/year")
        _check(self.horizon_years, "horizon_years", low=0.0, accepted="years ≥ 0")

    @classmethod
    def with_defaults(cls, *, busy_hour_bps: int | None = None, peak_factor: float | None = None,
                      growth_per_year: float | None = None, horizon_years: float | None = None) -> SizingModel:
        """The default model with the figures given (None keeps a default)."""
        return cls(busy_hour_bps_per_member=DEFAULT_BUSY_HOUR_BPS if busy_hour_bps is None else busy_hour_bps,
                   peak_factor=DEFAULT_PEAK_FACTOR if peak_factor is None else peak_factor,
                   growth_per_year=DEFAULT_GROWTH_PER_YEAR if growth_per_year is None else growth_per_year,
                   horizon_years=DEFAULT_HORIZON_YEARS if horizon_years is None else horizon_years)

    @property
    def growth_factor(self) -> float:
        return (1.0 + self.growth_per_year) ** self.horizon_years

    def demand_bps(self, members: int) -> int:
        """The modelled busy-hour demand of `members` with headroom and growth, to the bit/s (no floor, no step)."""
        check_members(members)
        return round(members * self.busy_hour_bps_per_member * self.peak_factor * self.growth_factor)

    def backhaul_bps(self, members: int, plan_rates_bps: Sequence[int] = ()) -> int:
        """The rate to buy: the demand, at least the fastest pledged plan, rounded up to a sellable step."""
        fastest = max(plan_rates_bps, default=0)
        return sellable_rate(max(self.demand_bps(members), fastest))

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def check_members(members: int) -> None:
    if isinstance(members, bool) or not isinstance(members, int) or members < 1:
        raise ValidationError("a cooperative has at least one member", field="members", value=members,
                              accepted="an integer ≥ 1")


def _check(value: float, field: str, *, low: float, accepted: str, strict: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < low or (strict and value <= low):
        raise ValidationError("out of range", field=field, value=value, accepted=accepted)
