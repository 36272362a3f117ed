from __future__ import annotations

import pytest

from unilink.catalog.access import TECHNOLOGIES, Technology, check_access_rates, parse_technology
from unilink.catalog.prices import DEFAULT_PRICE_BOOK, distance_class, prorate_cents
from unilink.catalog.services import ServiceKind
from unilink.errors import ValidationError

M, G = 10**6, 10**9


def test_ceilings_and_asymmetry() -> None:
    assert TECHNOLOGIES[Technology.ADSL2PLUS].max_down_bps == 20 * M
    assert TECHNOLOGIES[Technology.ADSL2PLUS].max_up_bps == 1 * M
    assert TECHNOLOGIES[Technology.VDSL2].max_up_bps == 40 * M
    assert TECHNOLOGIES[Technology.FIBRE].port_speeds_bps == (1 * G, 10 * G, 100 * G)
    check_access_rates(Technology.VDSL2, 100 * M, 100 * M, 40 * M, field="a")
    with pytest.raises(ValidationError) as err:
        check_access_rates(Technology.ADSL2PLUS, 20 * M, 20 * M, 2 * M, field="sites[0].access")
    assert err.value.field == "sites[0].access.up"
    with pytest.raises(ValidationError) as err:
        check_access_rates(Technology.SDSL, 20 * M, 20 * M, 10 * M, field="x")
    assert "symmetric" in err.value.message
    with pytest.raises(ValidationError) as err:
        check_access_rates(Technology.FIBRE, 2 * G, 1 * G, 1 * G, field="x")
    assert err.value.field == "x.port" and "1G" in str(err.value.accepted)


def test_technology_aliases_and_refusal() -> None:
    assert parse_technology("ADSL") is Technology.ADSL2PLUS
    assert parse_technology("leased-fibre") is Technology.FIBRE
    with pytest.raises(ValidationError) as err:
        parse_technology("carrier-pigeon")
    assert "ftth" in str(err.value.accepted)


def test_prices_fall_per_mbit_by_tier_and_distance_class_costs_more() -> None:
    internet = DEFAULT_PRICE_BOOK.services[ServiceKind.INTERNET]
    assert internet.monthly_cents(100 * M) == 2_000 + 100 * 100
    assert internet.monthly_cents(200 * M) == 2_000 + 100 * 100 + 100 * 40
    metro = DEFAULT_PRICE_BOOK.service_monthly(ServiceKind.ELINE, 100 * M, distance_km=10)
    continental = DEFAULT_PRICE_BOOK.service_monthly(ServiceKind.ELINE, 100 * M, distance_km=2000)
    protected = DEFAULT_PRICE_BOOK.service_monthly(ServiceKind.ELINE, 100 * M, distance_km=10, protected=True)
    assert continental == metro * 3 and protected == metro * 160 // 100
    assert distance_class(499).value == "regional"


def test_prorata_hourly() -> None:
    assert prorate_cents(73_000, 1) == 100
    assert prorate_cents(73_000, 0.1) == 100  # at least one hour billed
    assert prorate_cents(73_000, 730) == 73_000
