"""Forecast and analytics summed by SQLite and PostgreSQL give the figures worked out by
hand (tests/analytics_mirror.py), and every other request answers as the in-memory mirror
does (the service tests run there)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.adapters.store.tables import deals
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.service.analytics import AnalyticsRequest, analytics
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.forecast import ForecastRequest, forecast
from tests.analytics_mirror import ANALYTICS, FORECAST, RULES, context, fill, with_rates

Ask = Callable[[ServiceContext], dict[str, Any]]
Q4, OCTOBER = (date(2026, 10, 1), date(2026, 12, 31)), (date(2026, 10, 1), date(2026, 10, 31))
REQUESTS: dict[str, tuple[Ask, RulesConfig]] = {
    "forecast": (lambda c: forecast(c, ForecastRequest()).to_json(), RULES),
    "forecast Q4, Renewals": (
        lambda c: forecast(c, ForecastRequest("renewals", *Q4)).to_json(), RULES,
    ),
    "forecast 2027, rates": (
        lambda c: forecast(c, ForecastRequest(None, date(2027, 1, 1))).to_json(),
        with_rates(USD="0.9"),
    ),
    "forecast, a rate for CHF only": (
        lambda c: forecast(c, ForecastRequest()).to_json(), with_rates(CHF="1.05"),
    ),
    "analytics": (lambda c: analytics(c, AnalyticsRequest()).to_json(), RULES),
    "analytics October": (
        lambda c: analytics(c, AnalyticsRequest("e-commerce upsell", *OCTOBER)).to_json(), RULES,
    ),
    "analytics Q4, rates": (
        lambda c: analytics(c, AnalyticsRequest(None, *Q4)).to_json(), with_rates(USD="0.9"),
    ),
}  # fmt: skip


def _tombstone(engine: Engine) -> Callable[[str, datetime], None]:
    def mark(deal_id: str, at: datetime) -> None:
        with engine.begin() as conn:
            conn.execute(sa.update(deals).where(deals.c.id == deal_id).values(deleted_at=at))

    return mark


@pytest.fixture
def sql_mirror(mirror_engine: Engine) -> Engine:
    fill(lambda: SqlUnitOfWork(mirror_engine), _tombstone(mirror_engine))
    return mirror_engine


def test_sql_gives_the_figures_by_hand(sql_mirror: Engine) -> None:
    ctx = context(lambda: SqlUnitOfWork(sql_mirror))
    assert forecast(ctx, ForecastRequest()).to_json() == FORECAST
    got = analytics(ctx, AnalyticsRequest(pipeline="e-commerce upsell")).to_json()
    for key, expected in ANALYTICS.items():
        assert got[key] == expected, key


def test_sql_answers_as_the_memory_mirror(sql_mirror: Engine) -> None:
    mirror = MemoryMirror()
    fill(lambda: MemoryUnitOfWork(mirror), mirror.tombstone)
    for name, (ask, rules) in REQUESTS.items():
        on_sql = ask(context(lambda: SqlUnitOfWork(sql_mirror), rules))
        in_memory = ask(context(lambda: MemoryUnitOfWork(mirror), rules))
        assert on_sql == in_memory, name
        assert on_sql.get("count", on_sql.get("total")), name  # each request finds deals
