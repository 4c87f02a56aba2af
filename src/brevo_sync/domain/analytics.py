"""Pipeline analytics: the values a report shows, and their JSON (`Analytics.to_json`).

Definitions (also in `brevo-sync analytics --help`):
- Seed 000's metrics: total, open, won, lost deals; win rate = won / (won + lost), in %, one
  decimal; revenue = the sum of won amounts; average deal size = revenue / won deals; average
  sales cycle = the mean over won deals of whole days (floored) from creation to entering
  the Won stage, rounded (seed 000's `calculateAverageSalesCycle`); loyalty points awarded =
  the points the rules awarded for the deals in scope (their loyalty decisions).
- Per stage (seed 001's pipeline view): deals now in each stage, count and value.
- Conversion ("furthest stage reached"): an open or won deal reached the stage it is in and
  every stage before it (the mirror's stage order); a lost deal reached the stage it left
  for Lost (stage history; a deal first seen lost counts nowhere); Lost is no step. The
  conversion from a stage to the next = deals that reached the next / deals that reached it.
  Deals may skip a stage, so this never exceeds 100 %.
- Time in stage: the mean length of completed stays (from entering to leaving, stage
  history), in days.
- Sales velocity = open deals x win rate x average deal size / average sales cycle: the
  revenue the open pipeline brings per day, per currency.
- Losses by the lost-reason attribute (rules `attributes: lost_reason`) and by the last open
  stage (the stage a deal left for Lost, from stage history; unknown when first seen lost).
- Forecast accuracy, for each month of the period that is over: the weighted forecast at
  the month's start (deals with a close date in the month that were open then, weighed by
  the default probability of the stage they were in then, from stage history; amounts and
  close dates as they are now, overrides not known then) against what was won in the month.
Amounts are per currency, or in the default currency when the rules give `rates:`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from brevo_sync.domain.amounts import Amounts, amounts_json
from brevo_sync.domain.periods import Period


@dataclass(frozen=True, slots=True)
class Counts:
    """Seed 000's `getPipelineMetrics`, for a pipeline or one owner."""

    total: int = 0
    open: int = 0
    won: int = 0
    lost: int = 0
    win_rate: float | None = None  # %, one decimal; None before anything closed
    revenue: Amounts = field(default_factory=dict)
    average_deal_size: Amounts = field(default_factory=dict)
    open_value: Amounts = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "open": self.open,
            "won": self.won,
            "lost": self.lost,
            "win_rate": self.win_rate,
            "revenue": amounts_json(self.revenue),
            "average_deal_size": amounts_json(self.average_deal_size),
            "open_value": amounts_json(self.open_value),
        }


@dataclass(frozen=True, slots=True)
class StageCount:
    pipeline: str
    stage: str
    kind: str  # open, won, lost
    count: int
    value: Amounts

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "stage": self.stage,
            "kind": self.kind,
            "count": self.count,
            "value": amounts_json(self.value),
        }


@dataclass(frozen=True, slots=True)
class Conversion:
    pipeline: str
    from_stage: str
    to_stage: str
    reached_from: int
    reached_to: int
    rate: float | None  # %

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "from": self.from_stage,
            "to": self.to_stage,
            "reached_from": self.reached_from,
            "reached_to": self.reached_to,
            "rate": self.rate,
        }


@dataclass(frozen=True, slots=True)
class StageTime:
    pipeline: str
    stage: str
    stays: int
    average_days: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "stage": self.stage,
            "stays": self.stays,
            "average_days": self.average_days,
        }


@dataclass(frozen=True, slots=True)
class Velocity:
    open_deals: dict[str, int]  # per currency
    win_rate: float | None
    average_deal_size: Amounts
    average_sales_cycle_days: int | None
    per_day: Amounts

    def to_json(self) -> dict[str, Any]:
        return {
            "formula": "open deals x win rate x average deal size / average sales cycle days",
            "open_deals": dict(sorted(self.open_deals.items())),
            "win_rate": self.win_rate,
            "average_deal_size": amounts_json(self.average_deal_size),
            "average_sales_cycle_days": self.average_sales_cycle_days,
            "per_day": amounts_json(self.per_day),
        }


@dataclass(frozen=True, slots=True)
class LossLine:
    label: str  # a reason, or "Stage (Pipeline)"
    count: int
    value: Amounts

    def to_json(self, key: str) -> dict[str, Any]:
        return {key: self.label, "count": self.count, "value": amounts_json(self.value)}


@dataclass(frozen=True, slots=True)
class OwnerCounts:
    owner: str  # e-mail where known, else the Brevo user id; "" for none
    counts: Counts

    def to_json(self) -> dict[str, Any]:
        return {"owner": self.owner, **self.counts.to_json()}


@dataclass(frozen=True, slots=True)
class MonthAccuracy:
    month: date  # its first day
    forecast_count: int
    forecast_weighted: Amounts
    won_count: int
    won: Amounts
    accuracy: dict[str, float | None]  # won / weighted forecast, %, per currency

    def to_json(self) -> dict[str, Any]:
        return {
            "month": f"{self.month:%Y-%m}",
            "forecast_count": self.forecast_count,
            "forecast_weighted": amounts_json(self.forecast_weighted),
            "won_count": self.won_count,
            "won": amounts_json(self.won),
            "accuracy": dict(sorted(self.accuracy.items())),
        }


@dataclass(frozen=True, slots=True)
class Analytics:
    period: Period | None  # None: every live deal
    pipeline: str | None
    counts: Counts
    average_sales_cycle_days: int | None
    loyalty_points_awarded: int
    stages: tuple[StageCount, ...]
    conversion: tuple[Conversion, ...]
    time_in_stage: tuple[StageTime, ...]
    velocity: Velocity
    losses_by_reason: tuple[LossLine, ...]
    losses_by_stage: tuple[LossLine, ...]
    owners: tuple[OwnerCounts, ...]
    accuracy: tuple[MonthAccuracy, ...]
    currency: str | None = None  # everything converted into it (rules `rates:`)
    unconverted: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        period = self.period
        return {
            "from": None if period is None else period.start.isoformat(),
            "to": None if period is None else period.end.isoformat(),
            "pipeline": self.pipeline,
            **self.counts.to_json(),
            "average_sales_cycle_days": self.average_sales_cycle_days,
            "loyalty_points_awarded": self.loyalty_points_awarded,
            "stages": [s.to_json() for s in self.stages],
            "conversion": [c.to_json() for c in self.conversion],
            "time_in_stage": [t.to_json() for t in self.time_in_stage],
            "velocity": self.velocity.to_json(),
            "losses": {
                "by_reason": [line.to_json("reason") for line in self.losses_by_reason],
                "by_stage": [line.to_json("stage") for line in self.losses_by_stage],
            },
            "owners": [o.to_json() for o in self.owners],
            "forecast_accuracy": [a.to_json() for a in self.accuracy],
            "currency": self.currency,
            "unconverted": list(self.unconverted),
        }
