"""Brevo's request budget as values: requests spent by endpoint, and the rate-limit window.

Every feature of brevo-sync is judged by the Brevo requests it spends, so these travel through
every layer: the gateway counts, the services report and record, the CLI prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# Who set the window's numbers: Brevo's `x-sib-ratelimit-*` headers, or our own ceiling
# (BREVO_SYNC_REQUESTS_PER_HOUR) when the responses carry none; "unknown" before any request.
BudgetSource = Literal["brevo", "local", "unknown"]


@dataclass
class RequestCounter:
    """Brevo requests spent, by endpoint label (e.g. `GET /crm/deals`). Counts every attempt
    that reached Brevo, retries included, because each spends the same scarce budget."""

    by_endpoint: Counter[str] = field(default_factory=Counter)

    def add(self, endpoint: str, n: int = 1) -> None:
        self.by_endpoint[endpoint] += n

    @property
    def total(self) -> int:
        return sum(self.by_endpoint.values())

    def since(self, mark: Mapping[str, int]) -> dict[str, int]:
        """What was spent after `mark` (an earlier `snapshot()`), by endpoint."""
        return {k: v - mark.get(k, 0) for k, v in self.by_endpoint.items() if v - mark.get(k, 0)}

    def snapshot(self) -> dict[str, int]:
        return dict(self.by_endpoint)


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """The rate-limit window as last known: from Brevo's headers, or our local ceiling."""

    limit: int | None
    remaining: int | None
    reset_at: datetime | None  # when the window resets, in UTC
    source: BudgetSource = "brevo"
