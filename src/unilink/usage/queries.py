"""Reading samples back: a time range parsed and bounded, then the store's rows.

A range is refused with a clear error when a date is malformed or when it asks for more points than
a reader can use (10 years of 5-minute samples is a million points per series: ask for hourly or
daily ones instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from unilink.errors import ValidationError
from unilink.store import usage_samples_repo as repo
from unilink.usage.buckets import RESOLUTIONS

MAX_POINTS = 20_000   # per series: a month of 5-minute samples is 8,640, a year of hourly ones 8,784


def parse_instant(value: str | datetime, *, field: str) -> datetime:
    """An ISO 8601 instant; one without a zone is refused (it would be read in the server's zone)."""
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except (ValueError, AttributeError):
            raise ValidationError("not an ISO 8601 date and time", field=field, value=value,
                                  accepted="e.g. 2026-11-01T00:00:00Z") from None
    if at.tzinfo is None:
        raise ValidationError("the time zone is missing", field=field, value=str(value),
                              accepted="an instant with its zone, e.g. 2026-11-01T00:00:00Z or +01:00")
    return at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Range:
    start: datetime
    end: datetime
    resolution: int

    @property
    def points(self) -> int:
        return int((self.end - self.start).total_seconds() // self.resolution)


def checked_range(start: str | datetime, end: str | datetime, resolution: int) -> Range:
    if resolution not in RESOLUTIONS:
        raise ValidationError("unknown resolution", field="resolution", value=resolution,
                              accepted="300 (5 minutes), 3600 (an hour) or 86400 (a day)")
    wanted = Range(parse_instant(start, field="start"), parse_instant(end, field="end"), resolution)
    if wanted.end <= wanted.start:
        raise ValidationError("the range ends before it starts", field="end", value=wanted.end.isoformat(),
                              accepted=f"an instant after {wanted.start.isoformat()}")
    if wanted.points > MAX_POINTS:
        raise ValidationError(f"the range holds {wanted.points:,} samples of {resolution} s per series, "
                              f"more than {MAX_POINTS:,}", field="resolution", value=resolution,
                              accepted="a shorter range or a coarser resolution (3600 or 86400)")
    return wanted


def read_samples(store: Any, series: list[int], start: str | datetime, end: str | datetime,
                 resolution: int) -> list[repo.SampleWrite]:
    wanted = checked_range(start, end, resolution)
    with store.session() as session:
        return repo.samples(session, series, wanted.resolution, wanted.start, wanted.end)
