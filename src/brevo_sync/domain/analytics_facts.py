"""What the mirror answers analytics with: deals and stage history summed in SQL, per group.

`AnalyticsScope` is the question (which deals), the other classes are the answer's rows.
Each is small: the mirror reduces a million deals to a few hundred groups, and
`domain.analytics` turns the groups into figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from brevo_sync.domain.periods import Period


@dataclass(frozen=True, slots=True)
class AnalyticsScope:
    """Live deals of `pipeline_ids` (None: every pipeline). With a `period`: the deals that
    were won or lost in it (by the time they entered their Won or Lost stage) and the open
    deals created in it; without one, every live deal."""

    won_stages: frozenset[tuple[str, str]]
    lost_stages: frozenset[tuple[str, str]]
    pipeline_ids: frozenset[str] | None = None
    period: Period | None = None

    @property
    def closed_stages(self) -> frozenset[tuple[str, str]]:
        return self.won_stages | self.lost_stages


@dataclass(frozen=True, slots=True)
class DealGroup:
    """Deals in scope alike in pipeline, stage, owner and currency, summed."""

    pipeline_id: str | None
    stage_id: str | None
    owner: str | None
    currency: str | None  # upper case; None: the rules' default currency
    count: int
    amount: Decimal
    # Won stages only: the sum over its deals of whole days from creation to entering the
    # stage (seed 000: Math.floor per deal), and how many deals had both times.
    cycle_days: int = 0
    cycle_deals: int = 0


@dataclass(frozen=True, slots=True)
class StageStays:
    """Completed stays in a stage (entered, then left) of deals in scope, from stage history."""

    pipeline_id: str
    stage_id: str
    stays: int
    days: Decimal  # the stays' total length in days (fractional)


@dataclass(frozen=True, slots=True)
class LossGroup:
    """Lost deals in scope alike in reason, last open stage and currency, summed."""

    pipeline_id: str | None
    reason: str | None  # the lost-reason attribute, as text
    last_stage_id: str | None  # the stage the deal left for Lost (stage history)
    currency: str | None
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class MonthStartGroup:
    """Deals with a close date in `month` that were open when it began, by the stage they
    were in then (deals already in a Won or Lost stage have nothing left to forecast)."""

    month: date  # its first day
    pipeline_id: str | None
    stage_id: str  # the stage at the month's start (stage history)
    currency: str | None
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class WonGroup:
    """Deals won (entered a Won stage) in `month`, summed per currency."""

    month: date  # its first day
    currency: str | None
    count: int
    amount: Decimal
