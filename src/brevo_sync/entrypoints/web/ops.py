"""The ops API: the mirror for internal tools, as the token's person may see it (seed 002).

    GET  /deals               the filters of `deals list`; visibility by role
    GET  /deals/{id}          the deal, its stage history, alerts and pending outbox rows
    POST /deals/{id}/stage    `deals advance` as the token's person: 422 with every reason
    GET  /alerts              `alerts` (only about deals the person sees)
    GET  /forecast            `forecast --json` (roles that see every deal)
    GET  /analytics           `analytics --json` (roles that see every deal)

Every route takes `Authorization: Bearer <token>` (`brevo-sync tokens add`). Reads never
call Brevo; a move changes the mirror and queues its PATCH and actions for `push`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AfterValidator

from brevo_sync.domain.reports import SORTABLE
from brevo_sync.entrypoints.web.ops_auth import Caller, Context
from brevo_sync.entrypoints.web.ops_models import (
    AlertListOut,
    AnalyticsOut,
    ChangeOut,
    DealDetailOut,
    DealListOut,
    ForecastOut,
    Problem,
    StageMoveIn,
    Unprocessable,
)
from brevo_sync.service.alerts import AlertFilter, AlertLine
from brevo_sync.service.analytics import AnalyticsRequest
from brevo_sync.service.deal_access import (
    analytics_json,
    deal_view,
    forecast_json,
    move_deal,
    visible_alerts,
    visible_deals,
)
from brevo_sync.service.deals import DealFilter
from brevo_sync.service.forecast import ForecastRequest

router = APIRouter(tags=["ops"])

MAX_LIMIT = 1000
Closing = Literal["this-month", "this-quarter", "next-quarter"]

# What every route may answer besides its 200 (the 422 also covers unreadable parameters).
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no token, or one unknown or revoked"},
    403: {"model": Problem, "description": "the token's role may not do this"},
    422: {"model": Unprocessable, "description": "a parameter that cannot work"},
    503: {"model": Problem, "description": "the mirror is not available (or busy)"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such deal, or not one this token may see"}
}

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"at most this many (1-{MAX_LIMIT})")]
Pipeline = Annotated[str | None, Query(description="pipeline id or name")]
Amount = Annotated[float | None, Query(allow_inf_nan=False)]
# The dates a period may name: the mirror's dates (and a period's day after) stay in range.
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


def _in_range(value: date | None) -> date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValueError(f"a date from {EARLIEST} to {LATEST}")
    return value


def day(alias: str | None = None, description: str = "") -> Any:
    return Query(alias=alias, description=f"{description} ({EARLIEST} to {LATEST})".lstrip())


Day = Annotated[date | None, day(), AfterValidator(_in_range)]
DealId = Annotated[str, Path(min_length=1, max_length=64, description="the deal's Brevo id")]


@router.get("/deals", response_model=DealListOut, responses=ERRORS)
def get_deals(
    who: Caller,
    ctx: Context,
    pipeline: Pipeline = None,
    stage: Annotated[str | None, Query(description="stage id or name (all pipelines)")] = None,
    owner: Annotated[str | None, Query(description="Brevo user id or e-mail")] = None,
    currency: Annotated[str | None, Query(description="only deals in this currency")] = None,
    min_amount: Amount = None,
    max_amount: Amount = None,
    created_from: Day = None,
    created_to: Day = None,
    close_from: Day = None,
    close_to: Day = None,
    closing: Annotated[Closing | None, Query(description="open deals closing then")] = None,
    sort: Annotated[
        str, Query(description=f"one of {', '.join(SORTABLE)}; '-' in front: descending")
    ] = "-updated",
    limit: Limit = 50,
    include_deleted: Annotated[bool, Query(description="also deals deleted in Brevo")] = False,
) -> dict[str, Any]:
    """Mirrored deals, filtered like `brevo-sync deals list`: a Sales Rep sees their own and
    their team's, a Team Lead the team's, managers, admins and viewers every deal (a Viewer
    without personal data)."""
    f = DealFilter(
        pipeline=pipeline,
        stage=stage,
        owner=owner,
        currency=currency,
        min_amount=min_amount,
        max_amount=max_amount,
        created_from=created_from,
        created_to=created_to,
        close_from=close_from,
        close_to=close_to,
        include_deleted=include_deleted,
        sort=sort,
        limit=limit,
        closing=closing,
    )
    page = visible_deals(ctx, who.actor, f)
    listing = page.listing
    return {
        "deals": listing.rows,
        "count": len(listing.rows),
        "limit": limit,
        "more": listing.more,
        "currency": listing.currency,
        "default_currency": listing.default_currency,
        "empty_mirror": listing.empty_mirror,
        "personal_data": page.personal_data,
    }


@router.get("/deals/{deal_id}", response_model=DealDetailOut, responses={**ERRORS, **NOT_FOUND})
def get_deal(who: Caller, ctx: Context, deal_id: DealId) -> dict[str, Any]:
    """One deal with its stage history (oldest first), its alerts (newest first) and the
    outbox rows not yet confirmed in Brevo."""
    view = deal_view(ctx, who.actor, deal_id)
    return {
        "deal": view.deal,
        "history": [asdict(h) for h in view.history],
        "alerts": [alert_json(a) for a in view.alerts],
        "outbox": [
            {**asdict(o), "payload": o.payload if view.personal_data else None} for o in view.outbox
        ],
        "personal_data": view.personal_data,
        "notes": view.notes,
    }


@router.post("/deals/{deal_id}/stage", response_model=ChangeOut, responses={**ERRORS, **NOT_FOUND})
def post_stage(who: Caller, ctx: Context, deal_id: DealId, move: StageMoveIn) -> dict[str, Any]:
    """Move the deal to another stage of its pipeline as the token's person: the transition
    matrix, the stage's required fields and the role's move permission decide; a refusal
    changes nothing and lists every reason (422)."""
    return asdict(move_deal(ctx, who.actor, deal_id, move.stage, move.reason))


@router.get("/alerts", response_model=AlertListOut, responses=ERRORS)
def get_alerts(
    who: Caller,
    ctx: Context,
    rule: Annotated[
        list[str], Query(description="a rule kind or key (inactivity, stage_max_days:PROPOSAL)")
    ] = [],  # noqa: B006 (FastAPI copies defaults)
    owner: Annotated[str | None, Query(description="Brevo user id or e-mail")] = None,
    open_only: Annotated[bool, Query(alias="open", description="only not acknowledged")] = False,
    limit: Limit = 50,
) -> dict[str, Any]:
    """What the time rules raised, newest first, about deals the token's person sees."""
    listing = visible_alerts(ctx, who.actor, AlertFilter(tuple(rule), owner, open_only, limit))
    return {
        "alerts": [alert_json(line) for line in listing.lines],
        "count": len(listing.lines),
        "limit": limit,
        "more": listing.more,
        "mirror_has_alerts": listing.mirror_has_alerts,
    }


@router.get("/forecast", response_model=ForecastOut, responses=ERRORS)
def get_forecast(
    who: Caller,
    ctx: Context,
    pipeline: Pipeline = None,
    start: Annotated[date | None, day("from", "default: today"), AfterValidator(_in_range)] = None,
    end: Annotated[
        date | None, day("to", "default: quarter end"), AfterValidator(_in_range)
    ] = None,
) -> dict[str, Any]:
    """Seed 000's forecast, as `brevo-sync forecast --json` (every table at once)."""
    return forecast_json(ctx, who.actor, ForecastRequest(pipeline, start, end))


@router.get("/analytics", response_model=AnalyticsOut, responses=ERRORS)
def get_analytics(
    who: Caller,
    ctx: Context,
    pipeline: Pipeline = None,
    start: Annotated[date | None, day("from", "period start"), AfterValidator(_in_range)] = None,
    end: Annotated[date | None, day("to", "period end"), AfterValidator(_in_range)] = None,
) -> dict[str, Any]:
    """Pipeline metrics, as `brevo-sync analytics --json`."""
    return analytics_json(ctx, who.actor, AnalyticsRequest(pipeline, start, end))


def alert_json(line: AlertLine) -> dict[str, Any]:
    return {
        **asdict(line.alert),
        "reason": line.reason,
        "recipient": line.recipient,
        "owner_email": line.owner_email,
        "stage": line.stage,
    }
