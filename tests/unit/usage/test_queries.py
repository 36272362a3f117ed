"""Bad ranges get a clear error naming the field."""

from __future__ import annotations

import pytest

from unilink.errors import ValidationError
from unilink.usage.poller import parse_interval
from unilink.usage.queries import checked_range


def test_ten_years_of_5_minute_samples_is_refused_with_the_way_out() -> None:
    with pytest.raises(ValidationError) as err:
        checked_range("2016-01-01T00:00:00Z", "2026-01-01T00:00:00Z", 300)
    assert err.value.field == "resolution" and "1,052,064 samples" in str(err.value)
    assert "3600 or 86400" in str(err.value.accepted)
    assert checked_range("2016-01-01T00:00:00Z", "2026-01-01T00:00:00Z", 86400).points == 3653


@pytest.mark.parametrize(("start", "end", "field"), [
    ("2026-13-01T00:00:00Z", "2026-12-02T00:00:00Z", "start"),
    ("yesterday", "2026-12-02T00:00:00Z", "start"),
    ("2026-12-01T00:00:00Z", "2026-12-01T00:00:00", "end"),        # no zone
    ("2026-12-02T00:00:00Z", "2026-12-01T00:00:00Z", "end"),       # backwards
])
def test_a_malformed_or_backward_date_names_its_field(start: str, end: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        checked_range(start, end, 300)
    assert err.value.field == field


def test_an_unknown_resolution_and_a_bad_interval_are_refused() -> None:
    with pytest.raises(ValidationError):
        checked_range("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", 60)
    assert parse_interval(None) == 300 and parse_interval("5") == 5
    for bad in ("0", "-3", "soon", "100000"):
        with pytest.raises(ValidationError):
            parse_interval(bad)
