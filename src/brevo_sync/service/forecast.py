"""`forecast`: seed 000's forecast from the mirror (no Brevo request). See `domain.forecast`
for what counts and how; this use case resolves the request and asks the mirror.

    forecast(ctx, ForecastRequest(pipeline="enterprise sales")) -> Forecast  (.to_json())

The HTTP side (GET /forecast) and the HTML report call it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from brevo_sync.domain.forecast import Forecast, ForecastScope, build_forecast
from brevo_sync.domain.periods import Period, quarter_end
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.report_scope import check_dates, owner_names, report_basis


@dataclass(frozen=True, slots=True)
class ForecastRequest:
    pipeline: str | None = None  # id or name; None: every pipeline
    start: date | None = None  # None: today
    end: date | None = None  # None: the end of the quarter `start` is in


def forecast_period(request: ForecastRequest, today: date) -> Period:
    """The time frame: seed 000's default is today to the end of the quarter."""
    check_dates(request.start, request.end)
    start = request.start or today
    end = request.end or quarter_end(start)
    if end < start:
        raise UsageError(
            f"--to {end} is before today ({start}): give --from too for a period in the past"
        )
    return Period(start, end)


def forecast(ctx: ServiceContext, request: ForecastRequest) -> Forecast:
    period = forecast_period(request, ctx.clock().date())
    with ctx.uow() as uow:
        basis = report_basis(ctx, uow, request.pipeline)
        names = basis.book.config.attributes
        scope = ForecastScope(
            period=period,
            lost_stages=basis.stages_of_kind("lost"),
            pipeline_ids=basis.pipeline_ids,
            probability_attribute=names.probability,
            probability_stage_attribute=names.probability_stage,
        )
        groups = uow.analytics.forecast_groups(scope)
        owner = owner_names(ctx, uow, [g.owner for g in groups])
    return build_forecast(
        scope,
        groups,
        basis.book,
        pipeline=basis.pipeline_label,
        stage_names=basis.stage_names,
        owner_name=owner,
    )
