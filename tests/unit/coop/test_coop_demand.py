"""The members' demand against the backhaul, on figures worked by hand (2.4 Mbit/s × 1.25 = 3 Mbit/s
per active member at the busy hour)."""

from __future__ import annotations

import pytest

from unilink.coop.demand import MemberLoad, backhaul_load
from unilink.coop.sizing import SizingModel
from unilink.errors import ValidationError

M = 10**6


def basic(n: int, state: str = "active") -> list[MemberLoad]:
    return [MemberLoad(state, 100 * M, 50 * M)] * n


@pytest.mark.parametrize(("members", "backhaul", "needed", "percent", "status", "offer"), [
    (40, 200 * M, 120 * M, 60.0, "ok", None),              # 40 × 3M
    (60, 200 * M, 180 * M, 90.0, "warning", 300 * M),      # 180M / 0.8 = 225M → the 100M step above: 300M
    (70, 200 * M, 210 * M, 105.0, "saturated", 300 * M),   # 262.5M → 300M
    (10, 100 * M, 100 * M, 100.0, "saturated", 200 * M),   # 30M busy, but one member at 100M must fit
])
def test_load_status_and_offer(members: int, backhaul: int, needed: int, percent: float, status: str,
                               offer: int | None) -> None:
    load = backhaul_load(backhaul, basic(members)).to_dict()
    assert (load["needed_bps"], load["load_percent"], load["status"], load["offer_bps"]) == (
        needed, percent, status, offer)
    assert load["committed_down_bps"] == members * 100 * M


def test_suspended_members_count_at_the_trickle_not_in_the_busy_hour() -> None:
    load = backhaul_load(1 * 10**9, basic(100) + [MemberLoad("suspended", 256_000, 256_000)] * 2)
    assert load.members == 100 and load.suspended == 2
    assert load.busy_hour_bps == 300 * M and load.committed_down_bps == 100 * 100 * M + 2 * 256_000


def test_exactly_at_the_threshold_warns_and_growth_is_not_todays_demand() -> None:
    model = SizingModel(busy_hour_bps_per_member=4 * M, peak_factor=1.0, growth_per_year=0.5, horizon_years=2)
    load = backhaul_load(250 * M, basic(50), model)  # 50 × 4M = 200M = 80 % of 250M (growth left out)
    assert load.busy_hour_bps == 200 * M and load.status == "warning" and load.offer_bps == 300 * M


def test_a_backhaul_without_a_rate_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        backhaul_load(0, basic(1))
    assert err.value.field == "backhaul"
