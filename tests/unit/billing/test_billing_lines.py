"""The pure invoice rules, on figures worked by hand: hours of the month, the dearer price of a
shared hour, windows merged, VAT rounded once, the month refused when malformed or not over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from unilink.billing.lines import (
    BurstUse,
    Charge,
    PricedState,
    Temporary,
    draft,
    half_up,
    service_lines,
    temporary_lines,
    totals,
)
from unilink.billing.month import Month, closed_month, parse_month
from unilink.errors import ValidationError

NOV = Month(2026, 11)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def state(since: datetime, monthly: int, item: str = "internet x") -> PricedState:
    return PricedState(since, (Charge("internet x", f"{item} {monthly}", monthly),))


def test_a_whole_month_costs_the_monthly_price_whatever_its_length() -> None:
    for month, hours in ((Month(2026, 11), 720), (Month(2026, 12), 744), (Month(2027, 2), 672), (Month(2028, 2), 696)):
        assert month.hours == hours
        lines = service_lines(month, [PricedState(datetime(2020, 1, 1, tzinfo=UTC), (Charge("a", "a", 12_345),))])
        assert [(ln.quantity, ln.cents) for ln in lines] == [(hours, 12_345)]


def test_an_hour_two_prices_shared_is_billed_once_at_the_dearer() -> None:
    # up at 14:20 on the 10th: hours 0…229 (to 14:00) at 10,000, hour 230 on at 20,000 (490 h)
    up = service_lines(NOV, [state(at(1, 0), 10_000), state(at(10, 14, 20), 20_000)])
    assert sorted((ln.quantity, ln.cents) for ln in up) == [(230, half_up(10_000 * 230, 720)), (490, 13_611)]
    assert half_up(10_000 * 230, 720) == 3_194          # 3,194.44
    # down at 14:20: hour 230 stays at the dearer 20,000 (231 h), then 489 h at 10,000
    down = service_lines(NOV, [state(at(1, 0), 20_000), state(at(10, 14, 20), 10_000)])
    assert sorted((ln.quantity, ln.cents) for ln in down) == [(231, 6_417), (489, 6_792)]  # 6,416.67; 6,791.67


def test_a_service_added_and_removed_in_the_month_pays_its_started_hours() -> None:
    # in from the 3rd 08:45 (hour 56) to the 4th 10:10 (hour 82, started): 27 hours
    lines = service_lines(NOV, [PricedState(at(1, 0), ()), state(at(3, 8, 45), 72_000), PricedState(at(4, 10, 10), ())])
    assert [(ln.quantity, ln.cents) for ln in lines] == [(27, 2_700)]   # 72,000 × 27 / 720


def test_a_state_after_the_month_is_not_billed_and_one_before_carries_in() -> None:
    lines = service_lines(NOV, [state(datetime(2026, 10, 1, tzinfo=UTC), 7_200),
                                state(datetime(2026, 12, 1, tzinfo=UTC), 99_999)])
    assert [(ln.quantity, ln.cents) for ln in lines] == [(720, 7_200)]


def test_windows_are_merged_and_each_hour_billed_once() -> None:
    nightly = [(at(d, 1), at(d, 5)) for d in range(1, 31)]            # 30 × 4 h
    twice = Temporary("schedule n", "schedule n", 7_300, (*nightly, (at(1, 2), at(1, 4, 30))))
    lines = temporary_lines(NOV, [twice])
    assert [(ln.quantity, ln.cents) for ln in lines] == [(120, 1_200)]   # 7,300 × 120 / 730


def test_the_burst_is_the_busier_directions_95th_percentile_above_the_commit() -> None:
    # 20 samples: the 19th smallest is billed (ceil(0.95 × 20) = 19); out: 1…20 Mbit/s → 19M
    out = tuple(m * 10**6 for m in range(1, 21))
    use = BurstUse("burst x", "burst x", 15 * 10**6, 60, (0,) * 20, out)
    line = draft(NOV, [], bursts=[use]).lines[0]
    assert (line.cents, line.detail["p95_bps"], line.detail["above_bps"]) == (240, 19 * 10**6, 4 * 10**6)
    none = draft(NOV, [], bursts=[BurstUse("b", "b", 10**6, 60, (), ())]).lines[0]
    assert none.cents == 0 and none.detail["samples"] == 0


def test_vat_is_rounded_once_on_the_net_half_up() -> None:
    t = totals(draft(NOV, [state(at(1, 0), 153_859)]).lines, 20)
    assert (t.net_cents, t.vat_cents, t.total_cents) == (153_859, 30_772, 184_631)
    assert half_up(5, 2) == 3 and half_up(-5, 2) == -3 and half_up(7, 3) == 2
    with pytest.raises(ValidationError) as bad:
        totals([], 21.5)  # type: ignore[arg-type]
    assert bad.value.field == "vat_percent"


@pytest.mark.parametrize("value", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", None, 202611, "1999-12"])
def test_a_malformed_month_is_refused_by_name(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_month(value)
    assert refused.value.field == "month" and "YYYY-MM" in (refused.value.accepted or "")


def test_only_a_month_that_is_over_is_invoiced() -> None:
    now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert closed_month("2026-11", now) == NOV
    for value in ("2026-12", "2027-01"):
        with pytest.raises(ValidationError) as refused:
            closed_month(value, now - timedelta(seconds=0))
        assert "2026-11 or earlier" in (refused.value.accepted or "")
    with pytest.raises(ValidationError):
        closed_month("2026-11", now - timedelta(seconds=1))
