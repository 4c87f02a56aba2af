"""Deal date-times written in a UTC offset (`date_offset`), as an account in a time zone may
show them: the same data, another spelling, which a client's parser must survive.

Storage is untouched (epoch milliseconds and Brevo's `...Z` strings); only the JSON the API
renders changes, and only when the switch is on. Two kinds of values:

- timestamps (`TIMESTAMPS`): the same instant in the offset,
  `2026-01-01T00:00:00.000Z` -> `2026-01-01T05:30:00.000+05:30`;
- date-only attributes (type `date` in the catalogue, e.g. `close_date`): local midnight of
  the same calendar day, `2026-01-01T00:00:00.000Z` -> `2026-01-01T00:00:00.000+05:30`.
  The day is the date as written (for the seed, midnight UTC of the day), so a client that
  echoes back what it read keeps the same day instead of drifting by one per round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from brevo_sync.sandbox.clock import format_ms, parse_timestamp, to_ms
from brevo_sync.sandbox.quirks import offset_minutes

TIMESTAMPS = (
    "created_at",
    "last_updated_date",
    "stage_updated_at",
    "last_activity_date",
    "next_activity_date",
)


class DateRenderer:
    """Re-spells one deal's JSON. Built per request, from the catalogue of that moment."""

    def __init__(self, offset: str, date_attributes: Iterable[str]) -> None:
        self._shift_ms = offset_minutes(offset) * 60_000
        self._suffix = offset
        self._days = tuple(n for n in date_attributes if n not in TIMESTAMPS)

    def timestamp(self, text: str) -> str:
        try:
            ms = to_ms(parse_timestamp(text))
        except ValueError:
            return text  # not a date-time: shown as stored rather than failing the page
        return format_ms(ms + self._shift_ms)[:-1] + self._suffix

    def day(self, text: str) -> str:
        try:
            written = datetime.fromisoformat(text.strip())
        except ValueError:
            return text
        return f"{written.date().isoformat()}T00:00:00.000{self._suffix}"

    def deal(self, deal: dict[str, Any]) -> dict[str, Any]:
        """A new deal dict whose attributes dict is new (other containers are shared)."""
        attrs = dict(deal["attributes"])
        for name in TIMESTAMPS:
            value = attrs.get(name)
            if isinstance(value, str):
                attrs[name] = self.timestamp(value)
        for name in self._days:
            value = attrs.get(name)
            if isinstance(value, str):
                attrs[name] = self.day(value)
        return {**deal, "attributes": attrs}
