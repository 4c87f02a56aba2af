"""`analytics`: pipeline metrics from the mirror (no Brevo request). The definitions are in
`domain.analytics`; the figures are computed by `domain.analytics_build` from what the
mirror sums (`AnalyticsQueries`).

    analytics(ctx, AnalyticsRequest(pipeline="renewals", start=date(2026, 1, 1))) -> Analytics

The HTTP side (GET /analytics) and the HTML report call it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from brevo_sync.domain.analytics import Analytics
from brevo_sync.domain.analytics_build import AnalyticsFacts, build_analytics
from brevo_sync.domain.analytics_facts import AnalyticsScope
from brevo_sync.domain.periods import Period, month_start
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.report_scope import check_dates, owner_names, report_basis

# Without a period, forecast accuracy covers this many months before the current one.
ACCURACY_MONTHS = 6
EARLIEST = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class AnalyticsRequest:
    pipeline: str | None = None  # id or name; None: every pipeline
    start: date | None = None  # with `end`: the period (either alone: open-ended)
    end: date | None = None


def analytics_period(request: AnalyticsRequest, today: date) -> Period | None:
    check_dates(request.start, request.end)
    if request.start is None and request.end is None:
        return None
    return Period(request.start or EARLIEST, request.end or max(today, request.start or today))


def accuracy_months(period: Period | None, today: date) -> list[date]:
    """The months forecast accuracy is given for: the period's months that are over, or
    without a period the last `ACCURACY_MONTHS` before this one."""
    if period is not None:
        return period.closed_months(today)
    this_month = month_start(today)
    start = this_month
    for _ in range(ACCURACY_MONTHS):
        start = month_start(start - timedelta(days=1))
    return Period(start, this_month - timedelta(days=1)).closed_months(today)


def analytics(ctx: ServiceContext, request: AnalyticsRequest) -> Analytics:
    today = ctx.clock().date()
    period = analytics_period(request, today)
    months = accuracy_months(period, today)
    with ctx.uow() as uow:
        basis = report_basis(ctx, uow, request.pipeline)
        scope = AnalyticsScope(
            won_stages=basis.stages_of_kind("won"),
            lost_stages=basis.stages_of_kind("lost"),
            pipeline_ids=basis.pipeline_ids,
            period=period,
        )
        mirror = uow.analytics
        facts = AnalyticsFacts(
            groups=mirror.deal_groups(scope),
            stays=mirror.stage_stays(scope),
            losses=mirror.losses(scope, basis.book.config.attributes.lost_reason),
            loyalty_points=mirror.loyalty_points(scope),
            month_starts=mirror.month_start_groups(scope, months),
            won_months=mirror.won_groups(scope, months),
            months=months,
        )
        owner = owner_names(ctx, uow, [g.owner for g in facts.groups])
    return build_analytics(
        scope, facts, basis.book, basis.pipelines, pipeline=basis.pipeline_label, owner_name=owner
    )
