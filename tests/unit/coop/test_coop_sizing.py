"""The backhaul sizing model on numbers done by hand (coop/sizing.py, docs/coop-design.md)."""

from __future__ import annotations

import pytest

from unilink.catalog.backhaul import sellable_rate
from unilink.coop.sizing import SizingModel
from unilink.errors import ValidationError

M, G = 10**6, 10**9
FLAT = SizingModel(busy_hour_bps_per_member=2_400_000, peak_factor=1.25, growth_per_year=0.0, horizon_years=0)


def test_100_members_at_2_4_mbps_and_a_1_25_peak_factor_need_300_mbps() -> None:
    # 100 × 2.4 Mbit/s = 240 Mbit/s; × 1.25 = 300 Mbit/s, exactly a step: no float's last bit pushes it to 400
    assert FLAT.demand_bps(100) == 300 * M
    assert FLAT.backhaul_bps(100) == 300 * M


def test_the_defaults_are_the_documented_ones() -> None:
    model = SizingModel()
    assert (model.busy_hour_bps_per_member, model.peak_factor) == (2_400_000, 1.25)
    assert (model.growth_per_year, model.horizon_years) == (0.10, 1.0)
    # 120 × 2.4 × 1.25 × 1.1 = 396 Mbit/s → the next 100 Mbit/s step
    assert model.demand_bps(120) == 396 * M
    assert model.backhaul_bps(120) == 400 * M


def test_growth_compounds_over_the_horizon() -> None:
    model = SizingModel(busy_hour_bps_per_member=2_000_000, peak_factor=1.0, growth_per_year=0.5, horizon_years=2)
    # 100 × 2 Mbit/s = 200 Mbit/s × 1.5² = 450 Mbit/s → 500 Mbit/s
    assert model.demand_bps(100) == 450 * M
    assert model.backhaul_bps(100) == 500 * M
    half = SizingModel(busy_hour_bps_per_member=1_000_000, peak_factor=1.0, growth_per_year=0.21, horizon_years=0.5)
    assert half.demand_bps(100) == 110 * M  # √1.21 = 1.1


def test_never_below_the_fastest_pledged_plan() -> None:
    # 10 members need 30 Mbit/s; one of them pledged a 1 Gbit/s plan, which must fit alone
    assert FLAT.demand_bps(10) == 30 * M
    assert FLAT.backhaul_bps(10, [100 * M, 1 * G, 300 * M]) == 1 * G
    assert FLAT.backhaul_bps(10, [25 * M]) == 30 * M


def test_rounding_up_to_a_sellable_step() -> None:
    assert sellable_rate(1) == 10 * M
    assert sellable_rate(31 * M) == 40 * M
    assert sellable_rate(100 * M) == 100 * M
    assert sellable_rate(100 * M + 1) == 200 * M
    assert sellable_rate(1 * G + 1) == 2 * G
    assert sellable_rate(12 * G) == 20 * G
    assert FLAT.backhaul_bps(101) == 400 * M  # 303 Mbit/s


@pytest.mark.parametrize(("field", "kwargs"), [
    ("peak_factor", {"peak_factor": 0}), ("peak_factor", {"peak_factor": -1.0}),
    ("busy_hour_bps_per_member", {"busy_hour_bps_per_member": 0}),
    ("growth_per_year", {"growth_per_year": -1.0}), ("horizon_years", {"horizon_years": -1}),
    ("peak_factor", {"peak_factor": float("nan")}),
])
def test_bad_figures_are_refused_naming_the_field(field: str, kwargs: dict[str, float]) -> None:
    with pytest.raises(ValidationError) as err:
        SizingModel(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


@pytest.mark.parametrize("members", [0, -3, 1.5, True])
def test_members_must_be_a_positive_integer(members: object) -> None:
    with pytest.raises(ValidationError) as err:
        FLAT.backhaul_bps(members)  # type: ignore[arg-type]
    assert err.value.field == "members"
