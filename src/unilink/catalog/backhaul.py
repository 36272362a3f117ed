"""What a cooperative's backhaul costs besides the Internet service: the figures a connection design
prices its candidates with (`unilink.coop.design`, docs/coop-design.md).

Every figure is an int (euro cents, bit/s) or a plain float, and every one is ADJUSTABLE: a design
takes a `BackhaulTariffs` and the defaults below are only where it starts. Where a figure comes from
is said beside it; most are ASSUMPTIONS — orders of magnitude an operator would replace with its own
contracts — and are called so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from unilink.catalog.prices import RateTariff
from unilink.errors import ValidationError

M = 10**6
G = 10**9

# Sellable rates of the Internet service a backhaul is sized to: 10 Mbit/s steps up to 100 Mbit/s,
# 100 Mbit/s steps up to 1 Gbit/s, 1 Gbit/s steps up to 10 Gbit/s, then 10 Gbit/s steps — the
# granularity operators usually sell committed rates in (an ASSUMPTION of this catalog, not a standard).
BACKHAUL_STEPS_BPS: tuple[tuple[int | None, int], ...] = ((100 * M, 10 * M), (1 * G, 100 * M), (10 * G, 1 * G),
                                                          (None, 10 * G))


def sellable_rate(bps: int) -> int:
    """`bps` rounded UP to the next sellable step (BACKHAUL_STEPS_BPS); an exact step stays as it is."""
    if bps <= 0:
        raise ValidationError("a rate must be positive", field="rate", value=bps, accepted="bit/s > 0")
    for limit, step in BACKHAUL_STEPS_BPS:
        if limit is None or bps <= limit:
            return -(-bps // step) * step
    raise AssertionError("the last step has no limit")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class BackhaulTariffs:
    """The adjustable figures of a connection design (cents, km, months; see the module docstring)."""

    # Fibre routes follow roads and field edges: route length ≈ 1.3 × the great-circle distance.
    # ASSUMPTION, in the usual 1.2-1.5 range planners apply to straight-line distances.
    route_factor: float = 1.3
    # New fibre built by us or by the coop, per route km: EUR 20,000/km. ASSUMPTION for rural builds
    # mostly in existing ducts and on poles (renting the incumbent's civil works); open trenching costs
    # several times more, micro-trenching less.
    new_build_cents_per_km: int = 2_000_000
    # Upkeep of that fibre (duct and pole rental, repairs): EUR 50 per km per month. ASSUMPTION.
    new_build_upkeep_cents_per_km_month: int = 5_000
    # The shortest new fibre a connection needs even when the attachment is in the village (a drop
    # from the coop's street cabinet to the PoP): 0.5 km. ASSUMPTION.
    min_drop_km: float = 0.5
    # How one-off costs enter "per member per month": spread evenly over 120 months (10 years, a common
    # depreciation period for passive fibre). ASSUMPTION; no interest is charged.
    amortisation_months: int = 120
    # Capacity leased on a public backbone (the DSP's "collecte"), per Mbit/s per month: EUR 1.00.
    # ASSUMPTION: the order of magnitude of French public-network price lists for lit capacity; the
    # port on the public backbone is priced as the price book's public-backbone access.
    public_backbone_cents_per_mbps: int = 100
    # A local-loop partner's dedicated fibre line from the village to its interconnect with us:
    # EUR 500/month plus EUR 1.50 per committed Mbit/s (EUR 1.00 above 1 Gbit/s). ASSUMPTION: the
    # order of magnitude of incumbents' wholesale business-fibre offers; replace with the partner's book.
    local_loop_line: RateTariff = RateTariff(50_000, ((1 * G, 150), (None, 100)))
    # The partner's connection fee for that line: EUR 3,000. ASSUMPTION.
    local_loop_install_cents: int = 300_000

    def with_overrides(self, **changes: object) -> BackhaulTariffs:
        """A copy with some figures changed (unknown names and figures ≤ 0 are refused)."""
        for name, value in changes.items():
            if name not in self.__dataclass_fields__:
                raise ValidationError("unknown backhaul figure", field=name, value=value,
                                      accepted=", ".join(self.__dataclass_fields__))
            if isinstance(value, int | float) and value <= 0 and name != "min_drop_km":
                raise ValidationError("must be greater than zero", field=name, value=value, accepted="> 0")
        tariffs = replace(self, **changes)  # type: ignore[arg-type]
        if tariffs.route_factor < 1.0:
            raise ValidationError("a route is never shorter than the great circle", field="route_factor",
                                  value=tariffs.route_factor, accepted="≥ 1.0")
        return tariffs


DEFAULT_BACKHAUL_TARIFFS = BackhaulTariffs()
