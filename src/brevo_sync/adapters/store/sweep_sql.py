"""The set-based time-rules sweep over the mirror.

Each time rule is one `INSERT INTO alerts SELECT ... FROM deals WHERE <crossed> ON CONFLICT
DO NOTHING`: the database finds every deal past the threshold and the unique key of a
crossing (anchor_at, deal_id, rule) drops those an earlier sweep already raised. No deal row
travels to Python, which is what makes a million-deal mirror sweepable in seconds
(bench/sweep_bench.py).
The semantics are those of `domain.rules.timing.evaluate_time_rules`; the integration tests
hold the two to the same (deal, rule, anchor) set on SQLite and PostgreSQL.
The alerts table and the sweep's covering indexes are declared with every other table in
`tables.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from brevo_sync.adapters.store.tables import (
    ALERT_KEY,
    LIVE,
    Stamp,
    alerts,
    deals,
    last_activity,
    last_update,
    stage_entry,
)
from brevo_sync.domain.rules.timing import STALE_ACTION, STALE_RULE_KEY, StaleRule, TimeRules


def open_stages(closed_stage_ids: frozenset[str]) -> sa.Select[tuple[str]]:
    """The stage ids live deals sit in, minus the closed ones, as a subquery.

    A loose index scan (one index seek per distinct stage, not a scan of the deals): the
    recursive CTE asks for the smallest stage id greater than the previous one. Open stages
    are "whatever is not closed", so they cannot be listed in advance: a deal may sit in a
    pipeline the rules file never names.
    """
    present_deals = deals.alias("present_deals")
    alive = present_deals.c.deleted_at.is_(None)
    first = sa.select(sa.func.min(present_deals.c.stage_id).label("stage_id")).where(alive)
    present = first.cte("present_stages", recursive=True, nesting=True)
    following = (
        sa.select(sa.func.min(present_deals.c.stage_id))
        .where(alive, present_deals.c.stage_id > present.c.stage_id)
        .scalar_subquery()
    )
    present = present.union_all(sa.select(following).where(present.c.stage_id.is_not(None)))
    query = sa.select(present.c.stage_id).where(present.c.stage_id.is_not(None))
    if closed_stage_ids:
        query = query.where(present.c.stage_id.not_in(sorted(closed_stage_ids)))
    return query


class plus_days(sa.sql.functions.FunctionElement[datetime]):  # noqa: N801 (SQL function style)
    """`timestamp + n days`, exact to the microsecond, on both databases."""

    type = Stamp
    inherit_cache = True

    def __init__(self, stamp: sa.ColumnElement[datetime], days: int) -> None:
        # The day count is part of the SQL text (not a bind), so statement caching sees it.
        super().__init__(stamp, sa.literal_column(str(int(days))))


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    stamp, days = (compiler.process(c, **kw) for c in element.clauses)
    # Stamps are stored as naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff'. Whole days in UTC move only
    # the date, so only the date goes through date() and the time is kept as stored: date
    # functions round to milliseconds, and '23:59:59.9996' would otherwise roll a day (and a
    # second) on.
    return f"(date(substr({stamp}, 1, 10), '+{days} days') || substr({stamp}, 11))"


@compiles(plus_days, "postgresql")
def _plus_days_postgresql(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    stamp, days = (compiler.process(c, **kw) for c in element.clauses)
    # Hours, not days: a 'day' interval on timestamptz follows the session zone's DST.
    return f"({stamp} + make_interval(hours => 24 * {days}))"


@dataclass(frozen=True, slots=True)
class SweepRule:
    """One rule as the sweep runs it: crossed when anchor <= now - `after_days`.

    `scopes` are the stage filters, one index search each (UNION ALL): a single stage for
    stage rules; for the others, the open stages present plus the stageless deals, which
    count as open but which no IN list can match."""

    key: str
    action: str
    anchor: sa.ColumnElement[datetime]
    after_days: int  # the threshold; 0 raises as soon as the anchor is reached
    due_days: int  # due_at = anchor + due_days
    scopes: tuple[sa.ColumnElement[bool], ...]
    where: tuple[sa.ColumnElement[bool], ...] = ()


def sweep_plan(rules: TimeRules) -> list[SweepRule]:
    """The statements one sweep runs, in the order of `rules.rule_keys`; rules on a closed
    stage are left out, as closed deals raise nothing."""
    closed = rules.closed_stage_ids
    any_open = (deals.c.stage_id.in_(open_stages(closed)), deals.c.stage_id.is_(None))
    plan = [
        SweepRule(limit.key, limit.escalation, stage_entry(), limit.max_days, limit.max_days,
                  (deals.c.stage_id == limit.stage_id,))
        for limit in rules.stage_limits
        if limit.stage_id not in closed
    ]  # fmt: skip
    plan += [
        SweepRule(follow.key, follow.action, stage_entry(), 0, follow.after_days,
                  (deals.c.stage_id == follow.stage_id,))
        for follow in rules.follow_ups
        if follow.stage_id not in closed
    ]  # fmt: skip
    plan += [
        SweepRule(idle.key, idle.action, last_activity(), idle.days, idle.days, any_open)
        for idle in rules.inactivity
    ]
    if rules.stale is not None:
        days = rules.stale.days_without_update
        plan.append(
            SweepRule(STALE_RULE_KEY, STALE_ACTION, last_update(), days, days, any_open,
                      stale_conditions(rules.stale))
        )  # fmt: skip
    return plan


def stale_conditions(stale: StaleRule) -> tuple[sa.ColumnElement[bool], ...]:
    """The amount side of seed 000's stale rule: over the threshold, in its currency."""
    high_value = deals.c.amount > sa.literal(stale.min_amount, deals.c.amount.type)
    if stale.currency is None:
        return (high_value,)
    # As StaleRule.applies_to: no currency counts as the threshold's own.
    currency = stale.currency.upper()
    return (high_value, sa.func.upper(sa.func.coalesce(deals.c.currency, currency)) == currency)


def open_deal(closed_stage_ids: frozenset[str]) -> sa.ColumnElement[bool]:
    """A live deal outside the closed stages (a deal without a stage counts as open)."""
    stage = deals.c.stage_id
    if not closed_stage_ids:
        return LIVE
    return sa.and_(LIVE, sa.or_(stage.is_(None), stage.not_in(sorted(closed_stage_ids))))


def raise_statement(rule: SweepRule, now: datetime, dialect: sa.Dialect) -> sa.Executable:
    """`INSERT INTO alerts SELECT <crossings of rule> ON CONFLICT DO NOTHING` for `dialect`."""
    cutoff = sa.literal(now - timedelta(days=rule.after_days), Stamp)
    branches = [
        sa.select(
            deals.c.id,
            sa.literal(rule.key, sa.String),
            sa.literal(rule.action, sa.String),
            rule.anchor,
            plus_days(rule.anchor, rule.due_days),
            sa.literal(now, Stamp),
        ).where(LIVE, scope, *rule.where, rule.anchor <= cutoff)
        for scope in rule.scopes
    ]
    crossings = branches[0] if len(branches) == 1 else sa.union_all(*branches)
    insert: Any
    if dialect.name == "sqlite":
        insert = sqlite.insert(alerts)
    elif dialect.name == "postgresql":
        insert = postgresql.insert(alerts)
    else:
        raise NotImplementedError(f"the sweep runs on SQLite and PostgreSQL, not {dialect.name}")
    columns = ["deal_id", "rule", "action", "anchor_at", "due_at", "raised_at"]
    statement: sa.Executable = insert.from_select(columns, crossings).on_conflict_do_nothing(
        index_elements=list(ALERT_KEY)
    )
    return statement


def raise_alerts(conn: sa.Connection, rules: TimeRules, now: datetime) -> dict[str, int]:
    """Run every rule's statement on `conn` (in the caller's transaction); new alerts by rule."""
    # Every rule key, 0 when nothing new: rules on a closed stage have no statement to run.
    raised = dict.fromkeys(rules.rule_keys, 0)
    for rule in sweep_plan(rules):
        # SQLAlchemy keeps an INSERT's row count only when asked (psycopg would report -1).
        statement = raise_statement(rule, now, conn.dialect)
        result = conn.execute(statement, execution_options={"preserve_rowcount": True})
        raised[rule.key] = result.rowcount
    return raised


# SQLite page cache for a sweep's connection, in KiB. A first sweep of a million deals dirties
# ~150 MiB of alert pages; in the default 2 MiB they spill to the WAL and are read back again,
# half of that sweep's system calls and ~15% of its time. SQLite allocates pages only as
# they are used, so a sweep that raises little costs no memory.
SWEEP_SQLITE_CACHE_KIB = 256 * 1024


@contextmanager
def sweep_cache(conn: sa.Connection) -> Iterator[None]:
    """A big page cache on a SQLite connection for the sweep, the old size again afterwards
    (the connection goes back to the pool). Other databases: nothing to do."""
    if conn.dialect.name != "sqlite":
        yield
        return
    # The driver's own connection: a PRAGMA through SQLAlchemy would start its transaction.
    raw: Any = conn.connection.driver_connection
    previous = int(raw.execute("PRAGMA cache_size").fetchone()[0])
    raw.execute(f"PRAGMA cache_size=-{SWEEP_SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={previous}")


def alert_keys(conn: sa.Connection) -> set[tuple[str, str, datetime]]:
    """(deal_id, rule, anchor_at) of every stored alert."""
    query = sa.select(alerts.c.deal_id, alerts.c.rule, alerts.c.anchor_at)
    return {(row.deal_id, row.rule, row.anchor_at) for row in conn.execute(query)}
