"""The billing month: a calendar month in UTC, "YYYY-MM", invoiced once it is over."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from unilink.errors import ValidationError

_MONTH_RE = re.compile(r"\A(\d{4})-(\d{2})\Z")
MONTH_ACCEPTED = "a calendar month as YYYY-MM, e.g. 2026-11"
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (the month is [start, end))."""
        return self.start + timedelta(days=calendar.monthrange(self.year, self.month)[1])

    @property
    def hours(self) -> int:
        """720 in a 30-day month, 744 in a 31-day one, 672 in a February of 28 days."""
        return calendar.monthrange(self.year, self.month)[1] * 24

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.label


def parse_month(value: object, *, field: str = "month") -> Month:
    """ "2026-11" → Month(2026, 11); ValidationError naming the field for anything else ("2026-13")."""
    found = _MONTH_RE.match(value) if isinstance(value, str) else None
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise ValidationError("not a billing month", field=field, value=value, accepted=MONTH_ACCEPTED)
    return Month(int(found.group(1)), int(found.group(2)))


def closed_month(value: object, now: datetime, *, field: str = "month") -> Month:
    """A month that is over at `now`: only a finished month is invoiced (its usage is all measured)."""
    month = parse_month(value, field=field)
    if month.end > now:
        last = previous(month_of(now))
        raise ValidationError("the month is not over yet", field=field, value=month.label,
                              accepted=f"a month that has ended, {last.label} or earlier")
    return month


def month_of(at: datetime) -> Month:
    at = at.astimezone(UTC)
    return Month(at.year, at.month)


def previous(month: Month) -> Month:
    return Month(month.year - 1, 12) if month.month == 1 else Month(month.year, month.month - 1)
