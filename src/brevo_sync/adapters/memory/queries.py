"""The read side of the in-memory mirror: the SQL `queries` module's answers, in Python.

Filters keep SQL's NULL semantics (a deal without the filtered value never matches), and
sorting SQL's `ORDER BY <column> NULLS LAST, id` (strings by code point, as SQLite compares).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from brevo_sync.adapters.memory.mirror import SYNC_KEY, Transaction
from brevo_sync.adapters.memory.rows import (
    DealRecord,
    SyncRow,
    alert_view,
    copy_record,
    day_start,
    deal_of,
    first_email_by_user_id,
)
from brevo_sync.adapters.memory.state import run_copy
from brevo_sync.domain.reports import AlertQuery, AlertView, DealQuery, DealRow, MirrorStatus
from brevo_sync.domain.rules.timing import StaleRule, last_update

# `DealQuery.sort` keys and the column each sorts by (as the SQL SORT_COLUMNS).
SORT_COLUMNS = {
    "id": "id",
    "name": "name",
    "amount": "amount",
    "owner": "owner",
    "stage": "stage_id",
    "pipeline": "pipeline_id",
    "created": "created_at",
    "updated": "updated_at",
    "close": "close_date",
}
_ONE_DAY = timedelta(days=1)
_ONE_HOUR = timedelta(hours=1)

Check = Callable[[DealRecord], bool]


def _among(column: str, values: Iterable[Any]) -> Check:
    allowed = set(values)
    return lambda r: r[column] is not None and r[column] in allowed


def deal_checks(q: DealQuery, *, with_amounts: bool = True) -> list[Check]:
    """Every filter of `q` (the SQL `deal_conditions`, with their NULL semantics)."""
    checks: list[Check] = []
    if not q.include_deleted:
        checks.append(lambda r: r["deleted_at"] is None)
    if q.pipeline_ids is not None:
        checks.append(_among("pipeline_id", q.pipeline_ids))
    if q.stage_keys is not None:
        keys = q.stage_keys
        checks.append(lambda r: (r["pipeline_id"], r["stage_id"]) in keys)
    if q.owner_ids is not None:
        checks.append(_among("owner", q.owner_ids))
    if q.currency is not None:
        currency, default = q.currency.upper(), q.currency_default

        def in_currency(r: DealRecord) -> bool:
            if r["currency"] is None:
                return default  # no currency: the rules' default one, when that is asked for
            return bool(r["currency"].upper() == currency)

        checks.append(in_currency)
    if with_amounts and q.min_amount is not None:
        low = q.min_amount
        checks.append(lambda r: r["amount"] is not None and r["amount"] >= low)
    if with_amounts and q.max_amount is not None:
        high = q.max_amount
        checks.append(lambda r: r["amount"] is not None and r["amount"] <= high)
    if q.created_from:
        start = day_start(q.created_from)
        checks.append(lambda r: r["created_at"] is not None and r["created_at"] >= start)
    if q.created_to:  # inclusive of the whole day
        end = day_start(q.created_to) + _ONE_DAY
        checks.append(lambda r: r["created_at"] is not None and r["created_at"] < end)
    if q.close_from:
        first = q.close_from
        checks.append(lambda r: r["close_date"] is not None and r["close_date"] >= first)
    if q.close_to:
        last = q.close_to
        checks.append(lambda r: r["close_date"] is not None and r["close_date"] <= last)
    return checks


def sort_rows(rows: list[DealRecord], sort: str) -> list[DealRecord]:
    """`ORDER BY column [DESC] NULLS LAST, id`: stable sorts, the tie-break first."""
    column = SORT_COLUMNS[sort.lstrip("-")]
    by_id = sorted(rows, key=lambda r: r["id"])
    present = [r for r in by_id if r[column] is not None]
    missing = [r for r in by_id if r[column] is None]
    present.sort(key=lambda r: r[column], reverse=sort.startswith("-"))  # stable either way
    return present + missing


class MemoryMirrorQueries:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _deals(self, checks: list[Check]) -> list[DealRecord]:
        return [r for r in self._tx.tables.deals.values() if all(c(r) for c in checks)]

    def _named(self, rows: list[DealRecord]) -> list[DealRow]:
        """Rows with their stage, pipeline and owner names (the SQL outer joins)."""
        tables = self._tx.tables
        pipelines = {p.id: p for p in tables.pipelines.values()}
        emails = first_email_by_user_id(tables.people.values())
        named = []
        for record in rows:
            pipeline = pipelines.get(record["pipeline_id"])
            stage = pipeline.stage(record["stage_id"]) if pipeline is not None else None
            row = copy_record(record)
            row["stage_name"] = stage.name if stage is not None else None
            row["pipeline_name"] = pipeline.name if pipeline is not None else None
            row["owner_email"] = emails.get(record["owner"])
            named.append(row)
        return named

    def find_deals(self, query: DealQuery) -> list[DealRow]:
        rows = sort_rows(self._deals(deal_checks(query)), query.sort)
        return self._named(rows if query.limit is None else rows[: query.limit])

    def currencies(self, query: DealQuery) -> set[str | None]:
        rows = self._deals(deal_checks(query, with_amounts=False))
        return {None if r["currency"] is None else r["currency"].upper() for r in rows}

    def owner_ids(self) -> set[str]:
        return {r["owner"] for r in self._tx.tables.deals.values() if r["owner"] is not None}

    def alerts(self, query: AlertQuery) -> list[AlertView]:
        deals = self._tx.tables.deals
        # Alerts about deals since deleted in Brevo (tombstones) are not listed.
        views = [
            alert_view(a, record)
            for a in self._tx.tables.alerts.values()
            if (record := deals.get(a.deal_id)) is None or record["deleted_at"] is None
        ]
        if query.rules:
            rules = query.rules
            views = [v for v in views if any(_rule_matches(v.rule, r) for r in rules)]
        if query.owner_ids is not None:
            owners = query.owner_ids
            views = [v for v in views if v.owner is not None and v.owner in owners]
        if query.deal_ids is not None:
            views = [v for v in views if v.deal_id in query.deal_ids]
        if query.open_only:
            views = [v for v in views if v.acknowledged_at is None]
        views.sort(key=lambda v: (v.raised_at, v.id), reverse=True)
        return views if query.limit is None else views[: query.limit]

    def stale(
        self, rule: StaleRule, closed_stage_ids: frozenset[str], now: datetime
    ) -> list[DealRow]:
        cutoff = now - timedelta(days=rule.days_without_update)

        def is_stale(r: DealRecord) -> bool:
            if r["deleted_at"] is not None or r["stage_id"] in closed_stage_ids:
                return False
            if r["amount"] is None or Decimal(str(r["amount"])) <= rule.min_amount:
                return False
            updated = last_update(deal_of(r))
            return rule.applies_to(r["currency"]) and updated is not None and updated <= cutoff

        rows = sorted(self._deals([is_stale]), key=lambda r: r["id"])
        rows.sort(key=lambda r: r["amount"], reverse=True)
        return self._named(rows)

    def status(self, now: datetime) -> MirrorStatus:
        tables = self._tx.tables
        sync = tables.sync.get(SYNC_KEY)
        deals = tables.deals.values()
        runs = sorted(tables.runs.values(), key=lambda r: r.id)
        finished = [r for r in runs if r.outcome != "running"]
        since = now - _ONE_HOUR
        return MirrorStatus(
            deals=sum(1 for d in deals if d["deleted_at"] is None),
            tombstones=sum(1 for d in deals if d["deleted_at"] is not None),
            quarantined=len(tables.quarantine.values()),
            pipelines=len(tables.pipelines.values()),
            cursor=sync.state.cursor if sync else None,
            last_success_at=sync.state.last_success_at if sync else None,
            last_full_at=sync.state.last_full_at if sync else None,
            unfinished_run=sync.state.run if sync else None,
            last_run=run_copy(finished[-1]) if finished else None,
            requests_total=sum(r.requests_total for r in runs),
            requests_last_hour=sum(
                r.requests_total for r in runs if (r.finished_at or r.started_at) >= since
            ),
            budget=sync.budget if sync else None,
            paging=(sync or SyncRow()).state.paging,
            alerts_open=sum(
                1
                for a in tables.alerts.values()
                if a.acknowledged_at is None
                and ((d := tables.deals.get(a.deal_id)) is None or d["deleted_at"] is None)
            ),
            events_pending=sum(1 for e in tables.events.values() if e.state == "pending"),
            people=len(tables.people.values()),
        )


def _rule_matches(rule: str, wanted: str) -> bool:
    """A rule key, or a kind naming every rule of it (`inactivity` for `inactivity:7`)."""
    return rule == wanted or rule.startswith(f"{wanted}:")
