"""Forecast and analytics groups of the in-memory mirror: `analytics_sql`'s answers, deal by
deal in Python, with the same NULL semantics (a deal without a stage is in no stage list,
a missing amount adds 0, a missing time matches no range)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from brevo_sync.adapters.memory.mirror import Transaction
from brevo_sync.adapters.memory.rows import DealRecord, HistoryRow
from brevo_sync.domain.analytics_facts import (
    AnalyticsScope,
    DealGroup,
    LossGroup,
    MonthStartGroup,
    StageStays,
    WonGroup,
)
from brevo_sync.domain.forecast import ForecastGroup, ForecastScope
from brevo_sync.domain.periods import day_start, month_key, month_start, next_month

LOYALTY_EVENT = "LoyaltyPointsAwarded"
MS_PER_DAY = 86_400_000
Place = frozenset[tuple[str, str]]


def json_text(attributes: dict[str, Any] | None, key: str) -> str | None:
    """As PostgreSQL's `->>` (and `sql_time.json_text`): strings as they are, the rest as
    JSON text; None when missing or null."""
    value = (attributes or {}).get(key)
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _in(r: DealRecord, places: Place) -> bool:
    return r["pipeline_id"] is not None and (r["pipeline_id"], r["stage_id"]) in places


def _placed(h: HistoryRow, places: Place) -> bool:
    return h.pipeline_id is not None and (h.pipeline_id, h.to_stage_id) in places


def _entered(r: DealRecord) -> datetime | None:
    entered: datetime | None = r["stage_updated_at"] or r["created_at"]
    return entered


def _between(value: datetime | None, start: datetime, end: datetime) -> bool:
    return value is not None and start <= value < end


def _currency(r: DealRecord) -> str | None:
    return None if r["currency"] is None else str(r["currency"]).upper()


def _amount(r: DealRecord) -> Decimal:
    return Decimal(str(r["amount"])) if r["amount"] is not None else Decimal(0)


class _Sum:
    def __init__(self) -> None:
        self.count = 0
        self.amount = Decimal(0)

    def add(self, r: DealRecord) -> None:
        self.count += 1
        self.amount += _amount(r)


def _summed(rows: Iterable[DealRecord], key: Callable[[DealRecord], Hashable]) -> dict[Any, _Sum]:
    sums: dict[Any, _Sum] = defaultdict(_Sum)
    for r in rows:
        sums[key(r)].add(r)
    return sums


class MemoryAnalyticsQueries:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    # -- which deals ----------------------------------------------------------------------
    def _live(self, pipeline_ids: frozenset[str] | None) -> list[DealRecord]:
        return [
            r
            for r in self._tx.tables.deals.values()
            if r["deleted_at"] is None
            and (
                pipeline_ids is None
                or (r["pipeline_id"] is not None and r["pipeline_id"] in pipeline_ids)
            )
        ]

    def _scoped(self, scope: AnalyticsScope) -> list[DealRecord]:
        rows, period = self._live(scope.pipeline_ids), scope.period
        if period is None:
            return rows
        start, end = period.start_at, period.end_before

        def covered(r: DealRecord) -> bool:
            if _in(r, scope.closed_stages):
                return _between(_entered(r), start, end)
            return _between(r["created_at"], start, end)

        return [r for r in rows if covered(r)]

    def _histories(self, deal_ids: set[str]) -> dict[str, list[HistoryRow]]:
        found: dict[str, list[HistoryRow]] = defaultdict(list)
        for h in self._tx.tables.history.values():
            if h.deal_id in deal_ids:
                found[h.deal_id].append(h)
        for rows in found.values():
            rows.sort(key=lambda h: (h.changed_at, h.id))
        return found

    # -- the port -------------------------------------------------------------------------
    def forecast_groups(self, scope: ForecastScope) -> list[ForecastGroup]:
        period = scope.period

        def counted(r: DealRecord) -> bool:
            day: date | None = r["close_date"]
            return not _in(r, scope.lost_stages) and (day is None or period.contains(day))

        def key(r: DealRecord) -> tuple[Any, ...]:
            attrs = r["attributes"]
            here = json_text(attrs, scope.probability_stage_attribute)
            override = None
            if here is not None and here == r["stage_id"]:
                override = json_text(attrs, scope.probability_attribute)
            day = r["close_date"]
            month = None if day is None else month_key(day)
            return (r["pipeline_id"], r["stage_id"], r["owner"], _currency(r), month, override)

        rows = [r for r in self._live(scope.pipeline_ids) if counted(r)]
        return [
            ForecastGroup(k[0], k[1], k[2], k[3], k[4], k[5], s.count, s.amount)
            for k, s in _summed(rows, key).items()
        ]

    def deal_groups(self, scope: AnalyticsScope) -> list[DealGroup]:
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for r in self._scoped(scope):
            k = (r["pipeline_id"], r["stage_id"], r["owner"], _currency(r))
            g = groups.setdefault(k, [0, Decimal(0), 0, 0])
            g[0], g[1] = g[0] + 1, g[1] + _amount(r)
            entered, created = _entered(r), r["created_at"]
            if _in(r, scope.won_stages) and created is not None and entered is not None:
                g[2] += (entered - created) // timedelta(days=1)
                g[3] += 1
        return [DealGroup(*k, *g) for k, g in groups.items()]

    def stage_stays(self, scope: AnalyticsScope) -> list[StageStays]:
        histories = self._histories({r["id"] for r in self._scoped(scope)})
        stays: dict[tuple[str, str], list[int]] = {}
        for rows in histories.values():
            for here, after in pairwise(rows):
                if here.pipeline_id is None:
                    continue
                s = stays.setdefault((here.pipeline_id, here.to_stage_id), [0, 0])
                ms = round((after.changed_at - here.changed_at) / timedelta(milliseconds=1))
                s[0], s[1] = s[0] + 1, s[1] + ms  # whole milliseconds, as the SQL sums them
        return [StageStays(p, st, n, Decimal(t) / MS_PER_DAY) for (p, st), (n, t) in stays.items()]

    def losses(self, scope: AnalyticsScope, reason_attribute: str) -> list[LossGroup]:
        rows = [r for r in self._scoped(scope) if _in(r, scope.lost_stages)]
        histories = self._histories({r["id"] for r in rows})

        def key(r: DealRecord) -> tuple[Any, ...]:
            into = [h for h in histories.get(r["id"], []) if h.to_stage_id == r["stage_id"]]
            last = into[-1].from_stage_id if into else None
            reason = json_text(r["attributes"], reason_attribute)
            return (r["pipeline_id"], reason, last, _currency(r))

        return [
            LossGroup(k[0], k[1], k[2], k[3], s.count, s.amount)
            for k, s in _summed(rows, key).items()
        ]

    def loyalty_points(self, scope: AnalyticsScope) -> int:
        ids = {r["id"] for r in self._scoped(scope)}
        return sum(
            int(e.payload.get("points") or 0)
            for e in self._tx.tables.events.values()
            if e.kind == LOYALTY_EVENT and e.deal_id in ids
        )

    def month_start_groups(
        self, scope: AnalyticsScope, months: Sequence[date]
    ) -> list[MonthStartGroup]:
        if not months:
            return []
        first, end = min(months), next_month(max(months))
        rows = [
            r
            for r in self._live(scope.pipeline_ids)
            if r["close_date"] is not None and first <= r["close_date"] < end
        ]
        histories = self._histories({r["id"] for r in rows})
        sums: dict[tuple[Any, ...], _Sum] = defaultdict(_Sum)
        for r in rows:
            began = month_start(r["close_date"])
            before = [h for h in histories.get(r["id"], []) if h.changed_at < day_start(began)]
            if before and not _placed(before[-1], scope.closed_stages):
                then = before[-1]
                sums[(began, then.pipeline_id, then.to_stage_id, _currency(r))].add(r)
        return [MonthStartGroup(k[0], k[1], k[2], k[3], s.count, s.amount) for k, s in sums.items()]

    def won_groups(self, scope: AnalyticsScope, months: Sequence[date]) -> list[WonGroup]:
        if not months:
            return []
        start, end = day_start(min(months)), day_start(next_month(max(months)))
        rows = [
            r
            for r in self._live(scope.pipeline_ids)
            if _in(r, scope.won_stages) and _between(_entered(r), start, end)
        ]

        def key(r: DealRecord) -> tuple[Any, ...]:
            entered = _entered(r)
            assert entered is not None
            return (month_start(entered.date()), _currency(r))

        return [WonGroup(k[0], k[1], s.count, s.amount) for k, s in _summed(rows, key).items()]
