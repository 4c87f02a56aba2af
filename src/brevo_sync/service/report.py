"""`report --html`: the page's content as plain values, gathered from the other use cases.

The page shows the forecast by close month and by stage, the funnel, the win rate month by
month, the time deals spend in each stage, the stale list and the open alerts. Each part comes
from the use case that answers it on its own (`forecast`, `analytics`, `stale`, `alerts`), so
the page and the commands never disagree; this module only reshapes their answers into the
values below, which `entrypoints/report` draws (HTML is presentation). A part that cannot be
had (no stale rule configured, say) is named in `missing`, never silently left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from brevo_sync.domain.analytics import Analytics
from brevo_sync.domain.forecast import Figures, Forecast
from brevo_sync.domain.periods import month_key, month_start, next_month
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.errors import UsageError
from brevo_sync.service.alerts import (
    AlertFilter,
    AlertListing,
    StaleListing,
    list_alerts,
    list_stale,
)
from brevo_sync.service.analytics import AnalyticsRequest, analytics
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.forecast import ForecastRequest, forecast
from brevo_sync.service.report_scope import report_basis

Amounts = dict[str, Decimal]
WIN_RATE_MONTHS = 6  # the win rate is shown for this many months, the current one last
ALERTS_SHOWN = 50  # open alerts listed on the page, newest first


@dataclass(frozen=True, slots=True)
class ReportRequest:
    pipeline: str | None = None  # id or name; None: every pipeline
    start: date | None = None  # the forecast's time frame (default: today ...
    end: date | None = None  # ... to the end of the quarter, as `forecast`)
    months: int = WIN_RATE_MONTHS
    alerts: int = ALERTS_SHOWN
    title: str = "Sales pipeline report"


@dataclass(frozen=True, slots=True)
class AmountBar:
    """Deals summed under one label (a month, a stage): count, total and weighted amounts."""

    label: str
    count: int
    total: Amounts
    weighted: Amounts


@dataclass(frozen=True, slots=True)
class Funnel:
    pipeline: str
    steps: tuple[tuple[str, int], ...]  # (stage, deals that reached it), in stage order


@dataclass(frozen=True, slots=True)
class WinRatePoint:
    month: str  # YYYY-MM
    won: int
    lost: int

    @property
    def rate(self) -> float | None:
        """Won / (won + lost), in %; None for a month that closed nothing."""
        closed = self.won + self.lost
        return None if closed == 0 else round(100 * self.won / closed, 1)


@dataclass(frozen=True, slots=True)
class StageDwell:
    label: str  # "Stage (Pipeline)"
    stays: int
    average_days: float | None
    max_days: int | None  # the rules' limit for the stage (seed 002), if any


@dataclass(frozen=True, slots=True)
class StaleItem:
    deal_id: str
    name: str
    amount: float | None
    currency: str | None
    days: int | None
    stage: str
    owner: str


@dataclass(frozen=True, slots=True)
class AlertItem:
    alert_id: int
    raised_at: datetime
    rule: str
    deal_id: str
    deal_name: str
    reason: str
    recipient: str


@dataclass
class ReportData:
    title: str
    generated_at: datetime
    database: str
    forecast_period: str | None = None  # "2026-11-15 to 2026-12-31"
    forecast_total: AmountBar | None = None
    forecast_undated: AmountBar | None = None
    forecast_by_month: list[AmountBar] = field(default_factory=list)
    forecast_by_stage: list[AmountBar] = field(default_factory=list)
    funnels: list[Funnel] = field(default_factory=list)
    win_rate: list[WinRatePoint] = field(default_factory=list)
    time_in_stage: list[StageDwell] = field(default_factory=list)
    stale: list[StaleItem] = field(default_factory=list)
    stale_rule: str | None = None  # "open, over 25,000.00 EUR, no update for 14 days"
    alerts: list[AlertItem] = field(default_factory=list)
    alerts_more: bool = False  # more open alerts than the page lists
    alerts_open: int | None = None  # how many alerts are open in all
    missing: list[str] = field(default_factory=list)  # parts the page could not show, why


def _bar(label: str, figures: Figures) -> AmountBar:
    return AmountBar(label, figures.count, dict(figures.total), dict(figures.weighted))


def add_forecast(report: ReportData, forecast: Forecast) -> None:
    period = forecast.period
    report.forecast_period = f"{period.start:%Y-%m-%d} to {period.end:%Y-%m-%d}"
    report.forecast_total = _bar("in the period", forecast.figures)
    report.forecast_undated = _bar("without a close date", forecast.undated)
    report.forecast_by_month = [_bar(month, f) for month, f in forecast.by_month]
    report.forecast_by_stage = [
        _bar(f"{line.stage} ({line.pipeline})", line.figures) for line in forecast.by_stage
    ]


def add_analytics(report: ReportData, analytics: Analytics, rules: RulesConfig) -> None:
    """The funnel (furthest stage reached, per pipeline) and the time in each stage."""
    funnels: dict[str, list[tuple[str, int]]] = {}
    for c in analytics.conversion:
        steps = funnels.setdefault(c.pipeline, [(c.from_stage, c.reached_from)])
        steps.append((c.to_stage, c.reached_to))
    report.funnels = [Funnel(p, tuple(s)) for p, s in funnels.items() if s[0][1] > 0]
    report.time_in_stage = [
        StageDwell(
            f"{t.stage} ({t.pipeline})",
            t.stays,
            t.average_days,
            _max_days(rules, t.pipeline, t.stage),
        )
        for t in analytics.time_in_stage
        if t.stays > 0
    ]


def _max_days(rules: RulesConfig, pipeline: str, stage: str) -> int | None:
    config = rules.pipeline(pipeline)
    found = config.stage(stage) if config is not None else None
    return found.max_days if found is not None else None


def add_stale(report: ReportData, listing: StaleListing) -> None:
    rule = listing.rule
    report.stale_rule = (
        f"open, over {float(rule.min_amount):,.2f} {rule.currency}, "
        f"no update for {rule.days_without_update} days"
    )
    report.stale = [
        StaleItem(
            deal_id=row["id"],
            name=row["name"] or "",
            amount=row["amount"],
            currency=row["currency"] or rule.currency,
            days=row.get("days_without_update"),
            stage=row["stage_name"] or row["stage_id"] or "",
            owner=row["owner_email"] or row["owner"] or "",
        )
        for row in listing.rows
    ]


def add_alerts(report: ReportData, listing: AlertListing) -> None:
    report.alerts = [
        AlertItem(
            alert_id=line.alert.id,
            raised_at=line.alert.raised_at,
            rule=line.alert.rule,
            deal_id=line.alert.deal_id,
            deal_name=line.alert.deal_name or "",
            reason=line.reason,
            recipient=line.recipient,
        )
        for line in listing.lines
    ]
    report.alerts_more = listing.more


def build_report(ctx: ServiceContext, request: ReportRequest) -> ReportData:
    """Everything the page shows, from the use cases that answer each part (mirror only)."""
    now = ctx.clock()
    data = ReportData(request.title, now, ctx.database)
    add_forecast(data, forecast(ctx, ForecastRequest(request.pipeline, request.start, request.end)))
    add_analytics(data, analytics(ctx, AnalyticsRequest(request.pipeline)), ctx.rules())
    data.win_rate = win_rates(ctx, request.pipeline, request.months, now.date())
    with ctx.uow() as uow:
        pipeline_ids = report_basis(ctx, uow, request.pipeline).pipeline_ids
        data.alerts_open = uow.queries.status(now).alerts_open if pipeline_ids is None else None
    try:
        stale = list_stale(ctx)
    except UsageError as exc:
        data.missing.append(f"Stale deals: {exc}")
    else:
        if pipeline_ids is not None:
            rows = [r for r in stale.rows if r["pipeline_id"] in pipeline_ids]
            stale = replace(stale, rows=rows)
        add_stale(data, stale)
    limit = request.alerts if pipeline_ids is None else None
    alerts = list_alerts(ctx, AlertFilter(open_only=True, limit=limit))
    if pipeline_ids is not None:
        alerts.lines = [a for a in alerts.lines if a.alert.pipeline_id in pipeline_ids]
        alerts.more = len(alerts.lines) > request.alerts
        data.alerts_open = len(alerts.lines)
        alerts.lines = alerts.lines[: request.alerts]
    add_alerts(data, alerts)
    return data


def win_rates(
    ctx: ServiceContext, pipeline: str | None, months: int, today: date
) -> list[WinRatePoint]:
    """Won and lost per month for `months` months up to this one (a month that closed
    nothing is shown empty), counted as `analytics` counts a period's won and lost deals."""
    first = month_start(today)
    for _ in range(max(months, 1) - 1):
        first = month_start(first - timedelta(days=1))
    keys = []
    month = first
    while month <= today:
        keys.append(month_key(month))
        month = next_month(month)
    start = datetime(first.year, first.month, 1, tzinfo=UTC)
    end = datetime(month.year, month.month, 1, tzinfo=UTC)
    with ctx.uow() as uow:
        basis = report_basis(ctx, uow, pipeline)
        rows = uow.report.closed_by_month(
            basis.stages_of_kind("won"),
            basis.stages_of_kind("lost"),
            basis.pipeline_ids,
            start,
            end,
        )
    found = {m: (won, lost) for m, won, lost in rows}
    return [WinRatePoint(m, *found.get(m, (0, 0))) for m in keys]
