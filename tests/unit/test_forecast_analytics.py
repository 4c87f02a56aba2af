"""Forecast and analytics on the hand-made mirror (tests/analytics_mirror.py), in memory:
every figure against the one worked out by hand there."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.domain.periods import Period
from brevo_sync.domain.rules.config import ForecastConfig
from brevo_sync.domain.rules.validation import validate_rules
from brevo_sync.errors import UsageError
from brevo_sync.service.analytics import AnalyticsRequest, analytics
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.deals import DealFilter, list_deals
from brevo_sync.service.forecast import ForecastRequest, forecast
from tests.analytics_mirror import (
    ANALYTICS,
    FORECAST,
    context,
    fill,
    replace_rules,
    with_rates,
)


@pytest.fixture
def mirror() -> MemoryMirror:
    mirror = MemoryMirror()
    fill(lambda: MemoryUnitOfWork(mirror), mirror.tombstone)
    return mirror


@pytest.fixture
def ctx(mirror: MemoryMirror) -> ServiceContext:
    return context(lambda: MemoryUnitOfWork(mirror))


def test_the_forecast_by_hand(ctx: ServiceContext) -> None:
    assert forecast(ctx, ForecastRequest()).to_json() == FORECAST


def test_the_analytics_by_hand(ctx: ServiceContext) -> None:
    got = analytics(ctx, AnalyticsRequest(pipeline="e-commerce upsell")).to_json()
    for key, expected in ANALYTICS.items():
        assert got[key] == expected, key
    assert got == ANALYTICS


def _json(ctx: ServiceContext, **request: Any) -> dict[str, Any]:
    return forecast(ctx, ForecastRequest(**request)).to_json()


def test_a_rate_table_gives_one_figure_in_the_default_currency(mirror: MemoryMirror) -> None:
    ctx = context(lambda: MemoryUnitOfWork(mirror), with_rates(USD="0.5"))
    got = _json(ctx)
    # 18,000 EUR + 3,000 USD x 0.5; weighted 11,300 + 2,400 x 0.5.
    assert (got["total"], got["weighted"]) == ({"EUR": 19500.0}, {"EUR": 12500.0})
    assert (got["currency"], got["unconverted"]) == ("EUR", [])
    assert got["by_month"][1]["total"] == {"EUR": 8500.0}


def test_a_currency_without_a_rate_stays_apart(mirror: MemoryMirror) -> None:
    ctx = context(lambda: MemoryUnitOfWork(mirror), with_rates(CHF="1.1"))
    got = _json(ctx)
    assert got["total"] == {"EUR": 18000.0, "USD": 3000.0}
    assert (got["currency"], got["unconverted"]) == ("EUR", ["USD"])


def test_pipelines_resolve_as_operators_type_them(ctx: ServiceContext) -> None:
    renewals = _json(ctx, pipeline="RENEWALS")
    assert (renewals["pipeline"], renewals["count"], renewals["total"]) == (
        "Renewals", 1, {"EUR": 0.0},
    )  # fmt: skip
    with pytest.raises(UsageError, match="did you mean 'Enterprise Sales'"):
        _json(ctx, pipeline="entrprise sales")
    with pytest.raises(UsageError, match="matches no pipeline"):
        analytics(ctx, AnalyticsRequest(pipeline="nothing like it"))


def test_periods(ctx: ServiceContext) -> None:
    with pytest.raises(UsageError, match="before --from"):
        _json(ctx, start=date(2026, 12, 1), end=date(2026, 11, 1))
    with pytest.raises(UsageError, match="before today"):
        _json(ctx, end=date(2026, 11, 1))
    # --from alone runs to the end of its quarter: Q1 2027 holds f9 (Renewals, 900 eur).
    q1 = _json(ctx, start=date(2027, 1, 1))
    assert (q1["to"], q1["count"], q1["total"]) == ("2027-03-31", 3, {"EUR": 2400.0})


def test_categories_follow_the_rules_thresholds(mirror: MemoryMirror) -> None:
    rules = replace_rules(forecast=ForecastConfig(commit_from=60, best_case_from=25))
    got = _json(context(lambda: MemoryUnitOfWork(mirror), rules))
    by_name = {c["category"]: c["count"] for c in got["categories"]}
    # Proposal (60) joins Negotiation in commit; Qualified (25) joins Demo in best case.
    assert by_name == {"closed": 1, "commit": 2, "best_case": 2, "pipeline": 2}


def test_analytics_of_a_period(ctx: ServiceContext) -> None:
    """October 2026: a2 won, a4 lost (by when they closed), a5 created open."""
    got = analytics(
        ctx, AnalyticsRequest("e-commerce upsell", date(2026, 10, 1), date(2026, 10, 31))
    ).to_json()
    assert [got[k] for k in ("total", "open", "won", "lost", "win_rate")] == [3, 1, 1, 1, 50.0]
    assert (got["revenue"], got["average_sales_cycle_days"]) == ({"EUR": 4000.0}, 13)
    assert got["loyalty_points_awarded"] == 1100
    assert [m["month"] for m in got["forecast_accuracy"]] == ["2026-10"]
    assert got["forecast_accuracy"][0]["accuracy"] == {"EUR": 250.0}


def test_deals_closing(ctx: ServiceContext) -> None:
    def ids(closing: str) -> set[str]:
        return {r["id"] for r in list_deals(ctx, DealFilter(closing=closing, limit=None)).rows}

    # Open deals only: f6 (won) and f7 (lost) close this quarter too, f11 is deleted.
    assert ids("this-quarter") == {"f1", "f2", "f3", "f4", "f5", "f10", "f12", "a5", "a8"}
    assert ids("this-month") == {"f1", "f4", "f10"}
    assert ids("next-quarter") == {"f9", "a6", "a7"}
    with pytest.raises(UsageError, match="use one of this-month, this-quarter, next-quarter"):
        ids("next-year")
    with pytest.raises(UsageError, match="use one"):
        list_deals(ctx, DealFilter(closing="this-month", close_to=date(2026, 12, 1)))


@pytest.mark.parametrize(
    ("today", "name", "period"),
    [
        (date(2026, 11, 16), "this-month", (date(2026, 11, 1), date(2026, 11, 30))),
        (date(2026, 11, 16), "this-quarter", (date(2026, 10, 1), date(2026, 12, 31))),
        (date(2026, 11, 16), "next-quarter", (date(2027, 1, 1), date(2027, 3, 31))),
        (date(2026, 2, 28), "this-month", (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2026, 3, 31), "next-quarter", (date(2026, 4, 1), date(2026, 6, 30))),
    ],
)
def test_closing_periods(today: date, name: str, period: tuple[date, date]) -> None:
    assert Period.closing(name, today) == Period(*period)


def test_period_months() -> None:
    assert Period.rest_of_quarter(date(2026, 11, 16)) == Period(
        date(2026, 11, 16), date(2026, 12, 31)
    )
    period = Period(date(2026, 1, 15), date(2026, 4, 30))
    assert period.months() == ["2026-01", "2026-02", "2026-03", "2026-04"]
    # Whole months only, and only those over by "today".
    assert period.closed_months(date(2026, 4, 10)) == [date(2026, 2, 1), date(2026, 3, 1)]
    assert period.closed_months(date(2026, 5, 1)) == [date(2026, 2, 1), date(2026, 3, 1),
                                                      date(2026, 4, 1)]  # fmt: skip


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"rates": {"USD": 0}}, "greater than 0"),
        ({"rates": {"EUR": 2}}, "EUR is the default currency; its rate is 1"),
        ({"rates": {"DOLLAR": 1}}, "three-letter currency code"),
        ({"forecast": {"commit_from": 30, "best_case_from": 40}}, "best_case_from must not"),
    ],
)
def test_rules_file_rates_and_forecast_are_checked(section: dict[str, Any], message: str) -> None:
    data = {"pipelines": [{"name": "P", "stages": [{"name": "Won", "kind": "won"}]}], **section}
    report = validate_rules(data)
    assert any(message in p.message for p in report.problems), report.problems


def test_rates_are_read_from_the_rules_file() -> None:
    data = {"pipelines": [{"name": "P", "stages": [{"name": "W", "kind": "won"}]}],
            "rates": {"usd": "0.92"}}  # fmt: skip
    config = validate_rules(data).config
    assert config is not None and config.rates == {"USD": Decimal("0.92")}
