"""The ops API's documents as Pydantic models: what `/openapi.json` describes is what the
routes answer (FastAPI validates every answer against them, and the tests compare the served
document with real answers).

Amounts are per currency (`{"EUR": 1200.0}`): nothing is ever added across currencies.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Amounts = dict[str, float]


class Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# -- errors -----------------------------------------------------------------------------------


class Problem(Model):
    """Every refusal: `detail` says what to fix."""

    detail: str


class ValidationIssue(Model):
    """One parameter FastAPI could not read (it may add `input`, `ctx`, `url`)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class Unprocessable(Model):
    """422: a parameter FastAPI could not read (`detail` is then a list of issues), or one
    the rules refuse; a refused stage move lists every reason in `reasons`."""

    detail: str | list[ValidationIssue]
    reasons: list[str] | None = None


# -- deals ------------------------------------------------------------------------------------


class DealOut(Model):
    """A mirrored deal. For a role without personal data (Viewer) the name, contact ids,
    owner e-mail and personal attributes are left out (`viewer_projection`)."""

    id: str
    name: str | None
    pipeline_id: str | None
    pipeline_name: str | None
    stage_id: str | None
    stage_name: str | None
    owner: str | None = Field(description="Brevo user id (or e-mail) of the owner")
    owner_email: str | None
    amount: float | None
    currency: str | None
    close_date: date | None
    created_at: datetime | None
    updated_at: datetime | None
    stage_updated_at: datetime | None
    last_activity_at: datetime | None
    deleted: bool = Field(description="deleted in Brevo (a tombstone)")
    attributes: dict[str, Any]
    contact_ids: list[int]
    company_ids: list[str]


class DealListOut(Model):
    deals: list[DealOut]
    count: int
    limit: int
    more: bool = Field(description="more deals match than the limit let through")
    currency: str | None = Field(description="the one currency the amounts are in, if known")
    default_currency: str | None = Field(
        description="the rules' default currency, given when a listed deal has none"
    )
    empty_mirror: bool = Field(description="no pipelines yet: nothing was ever pulled")
    personal_data: bool = Field(description="false: personal data left out for this role")


class HistoryOut(Model):
    changed_at: datetime
    source: str = Field(description="pull (seen in Brevo) or local (moved by brevo-sync)")
    pipeline_id: str | None
    from_stage_id: str | None
    from_stage: str | None
    to_stage_id: str
    to_stage: str | None
    owner: str | None


class AlertOut(Model):
    id: int
    deal_id: str
    rule: str
    action: str
    anchor_at: datetime
    due_at: datetime
    raised_at: datetime
    acknowledged_at: datetime | None
    deal_name: str | None
    owner: str | None
    pipeline_id: str | None
    stage_id: str | None
    amount: float | None
    currency: str | None
    reason: str
    recipient: str
    owner_email: str | None
    stage: str | None = Field(description="the deal's stage now, 'Name (Pipeline)'")


class OutboxRowOut(Model):
    """A decision for Brevo not yet confirmed there (pending, sending or unconfirmed)."""

    id: int
    key: str
    kind: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    origin: str
    created_at: datetime
    sent_at: datetime | None
    payload: dict[str, Any] | None = Field(description="left out for roles without personal data")


class DealDetailOut(Model):
    deal: DealOut
    history: list[HistoryOut]
    alerts: list[AlertOut]
    outbox: list[OutboxRowOut]
    personal_data: bool
    notes: list[str]


class StageMoveIn(Model):
    model_config = ConfigDict(extra="forbid")

    stage: str = Field(min_length=1, description="stage name (any case) or id, in the pipeline")
    reason: str | None = Field(default=None, description="why; the lost reason on a Lost stage")


class ChangeOut(Model):
    """The move made: the mirror changed, and the PATCH and the stage's actions are queued
    in the outbox for `brevo-sync push`."""

    deal_id: str
    deal_name: str | None
    change: str
    attributes: dict[str, Any] = Field(description="what the PATCH to Brevo will carry")
    effects: list[str] = Field(description="the decisions taken, by kind")
    warnings: list[str]
    queued: int = Field(description="outbox rows queued")


class AlertListOut(Model):
    alerts: list[AlertOut]
    count: int
    limit: int
    more: bool
    mirror_has_alerts: bool


# -- forecast ---------------------------------------------------------------------------------


class Figures(Model):
    count: int
    total: Amounts
    weighted: Amounts


class StageFigures(Figures):
    pipeline: str
    stage: str
    probability: int | None
    category: str


class OwnerFigures(Figures):
    owner: str


class MonthFigures(Figures):
    month: str


class CategoryFigures(Figures):
    category: str
    cumulative: Figures


class ForecastOut(Figures):
    """Seed 000's forecast: deals not lost closing in the period, total and weighted."""

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    pipeline: str | None
    undated: Figures
    by_stage: list[StageFigures]
    by_owner: list[OwnerFigures]
    by_month: list[MonthFigures]
    categories: list[CategoryFigures]
    without_probability: Figures
    currency: str | None
    unconverted: list[str]


# -- analytics --------------------------------------------------------------------------------


class Counts(Model):
    total: int
    open: int
    won: int
    lost: int
    win_rate: float | None
    revenue: Amounts
    average_deal_size: Amounts
    open_value: Amounts


class StageCountOut(Model):
    pipeline: str
    stage: str
    kind: str
    count: int
    value: Amounts


class ConversionOut(Model):
    pipeline: str
    from_stage: str = Field(alias="from")
    to_stage: str = Field(alias="to")
    reached_from: int
    reached_to: int
    rate: float | None


class StageTimeOut(Model):
    pipeline: str
    stage: str
    stays: int
    average_days: float | None


class VelocityOut(Model):
    formula: str
    open_deals: dict[str, int]
    win_rate: float | None
    average_deal_size: Amounts
    average_sales_cycle_days: int | None
    per_day: Amounts


class ReasonLoss(Model):
    reason: str
    count: int
    value: Amounts


class StageLoss(Model):
    stage: str
    count: int
    value: Amounts


class LossesOut(Model):
    by_reason: list[ReasonLoss]
    by_stage: list[StageLoss]


class OwnerCountsOut(Counts):
    owner: str


class AccuracyOut(Model):
    month: str
    forecast_count: int
    forecast_weighted: Amounts
    won_count: int
    won: Amounts
    accuracy: dict[str, float | None]


class AnalyticsOut(Counts):
    """Seed 000's pipeline metrics and the rest of `brevo-sync analytics --help`."""

    start: date | None = Field(alias="from")
    end: date | None = Field(alias="to")
    pipeline: str | None
    average_sales_cycle_days: int | None
    loyalty_points_awarded: int
    stages: list[StageCountOut]
    conversion: list[ConversionOut]
    time_in_stage: list[StageTimeOut]
    velocity: VelocityOut
    losses: LossesOut
    owners: list[OwnerCountsOut]
    forecast_accuracy: list[AccuracyOut]
    currency: str | None
    unconverted: list[str]


# -- operations -------------------------------------------------------------------------------


class Alive(Model):
    status: str = "ok"


class CheckOut(Model):
    name: str = Field(description="database, migrations or last_pull")
    ok: bool
    detail: str


class ReadyOut(Model):
    ready: bool
    checks: list[CheckOut]
