import pytest
from hypothesis import given
from hypothesis import strategies as st

from unilink.errors import ValidationError
from unilink.units import format_bandwidth, great_circle_km, parse_bandwidth, parse_positive_bandwidth


@pytest.mark.parametrize(
    ("text", "bits"),
    [("10G", 10_000_000_000), ("500M", 500_000_000), ("2.5Gbit/s", 2_500_000_000),
     ("100000000", 100_000_000), ("64k", 64_000), ("1 Gbps", 1_000_000_000), (42, 42), ("1.5T", 1_500_000_000_000)],
)
def test_parse_bandwidth_accepts_operator_notations(text, bits):
    assert parse_bandwidth(text) == bits


@pytest.mark.parametrize("text", ["", "ten", "10X", "-5M", "1.5", "10 GB/s", "1e9", "0.0001k"])
def test_parse_bandwidth_refuses_with_field_and_accepted(text):
    with pytest.raises(ValidationError) as info:
        parse_bandwidth(text, field="rate_down")
    assert info.value.field == "rate_down"
    assert "10G" in str(info.value)  # says what is accepted


def test_zero_is_refused_where_a_positive_rate_is_needed():
    assert parse_bandwidth("0") == 0
    with pytest.raises(ValidationError):
        parse_positive_bandwidth("0")


@given(st.integers(min_value=0, max_value=10**15))
def test_format_then_parse_round_trips(bits):
    assert parse_bandwidth(format_bandwidth(bits)) == bits


def test_great_circle_paris_london_is_about_344_km():
    assert great_circle_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.5, abs=1.0)
