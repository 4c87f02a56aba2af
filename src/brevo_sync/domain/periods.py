"""Calendar periods the reports speak in: quarters, months, "from today to the end of the
quarter". Days are calendar days (a close date is a day, not a moment); a period includes
both its first and its last day.

    Period.closing("this-quarter", today)      # deals list --closing this-quarter
    Period.rest_of_quarter(today)              # the forecast's default time frame
    period.months()                            # ["2026-10", "2026-11", "2026-12"]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

CLOSING_CHOICES = ("this-month", "this-quarter", "next-quarter")


# Dates operators may give: the mirror's times are UTC timestamps, which start in 1970, and a
# year past 2999 overflows what the databases' date arithmetic takes.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


def out_of_range(option: str, day: date | None) -> str | None:
    """Why `day` cannot be used for `option` (None: it can)."""
    if day is None or FIRST_DAY <= day <= LAST_DAY:
        return None
    return (
        f"{option} {day.isoformat()} is outside {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
    )


def month_key(day: date) -> str:
    """`2026-11`: how reports name a month."""
    return f"{day.year:04d}-{day.month:02d}"


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: date) -> date:
    start = quarter_start(day)
    return next_month(next_month(next_month(start))) - timedelta(days=1)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`: where a day begins for times in the mirror."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """The days `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period ends on or after it starts: {self.start} > {self.end}")

    @classmethod
    def rest_of_quarter(cls, today: date) -> Period:
        """Seed 000's forecast time frame by default: today to the end of its quarter."""
        return cls(today, quarter_end(today))

    @classmethod
    def closing(cls, name: str, today: date) -> Period:
        """`this-month`, `this-quarter` or `next-quarter`, whole (from its first day)."""
        if name == "this-month":
            return cls(month_start(today), next_month(today) - timedelta(days=1))
        if name == "this-quarter":
            return cls(quarter_start(today), quarter_end(today))
        if name == "next-quarter":
            following = quarter_end(today) + timedelta(days=1)
            return cls(following, quarter_end(following))
        raise ValueError(f"unknown period {name!r}: one of {', '.join(CLOSING_CHOICES)}")

    @property
    def start_at(self) -> datetime:
        """The first moment of the period (UTC)."""
        return day_start(self.start)

    @property
    def end_before(self) -> datetime:
        """The first moment after the period (UTC): times are compared `< end_before`."""
        return day_start(self.end + timedelta(days=1))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[str]:
        """Every month the period touches, in order."""
        keys, day = [], month_start(self.start)
        while day <= self.end:
            keys.append(month_key(day))
            day = next_month(day)
        return keys

    def closed_months(self, today: date) -> list[date]:
        """The first day of every month of the period that is over by `today` (whole months
        only: a month the period starts in the middle of is left out)."""
        firsts, day = [], month_start(self.start)
        if day < self.start:
            day = next_month(day)
        while next_month(day) - timedelta(days=1) <= self.end and next_month(day) <= today:
            firsts.append(day)
            day = next_month(day)
        return firsts
