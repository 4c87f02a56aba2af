"""The alerts table and the set-based time-rules sweep over the mirror.

Each time rule is one `INSERT INTO alerts SELECT ... FROM deals WHERE <crossed> ON CONFLICT
DO NOTHING`: the database finds every deal past the threshold and the unique key of a
crossing (anchor_at, deal_id, rule) drops those an earlier sweep already raised. No deal row
travels to Python, which is what makes a million-deal mirror sweepable in seconds
(bench/sweep_bench.py).
The semantics are those of `domain.rules.timing.evaluate_time_rules`; the integration tests
hold the two to the same (deal, rule, anchor) set on SQLite and PostgreSQL.

Importing this module registers `alerts` and the sweep's indexes on `deals` on the shared
`metadata`, so import it before `metadata.create_all`.
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

from brevo_sync.adapters.store.tables import Stamp, deals, metadata
from brevo_sync.domain.rules.timing import STALE_ACTION, STALE_RULE_KEY, TimeRules

alerts = sa.Table(
    "alerts",
    metadata,
    # BIGINT on PostgreSQL; on SQLite only a plain INTEGER primary key is the cheap rowid.
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    # No foreign key to deals: deals are never deleted (tombstones), and the check would cost
    # on every row of a sweep that may raise hundreds of thousands of alerts at once.
    sa.Column("deal_id", sa.String(64), nullable=False),
    sa.Column("rule", sa.String(128), nullable=False),  # e.g. "inactivity:14"
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("anchor_at", Stamp, nullable=False),
    sa.Column("due_at", Stamp, nullable=False),
    sa.Column("raised_at", Stamp, nullable=False),
    sa.Column("acknowledged_at", Stamp),
    # The identity of a crossing, which makes "raised once per crossing" hold. Anchor first:
    # a sweep statement yields deals in anchor order (per stage), and the rules sharing an
    # anchor land next to each other, so inserts and conflict probes walk this index almost
    # sequentially; with deal_id first, inserting them took twice as long.
    sa.UniqueConstraint("anchor_at", "deal_id", "rule"),
    # No index for consumers yet: whoever polls unacknowledged alerts adds the one their
    # query needs; each index costs the first sweep of a big mirror ~10% (bench/).
)
ALERT_KEY = ("anchor_at", "deal_id", "rule")


def stage_entry() -> sa.ColumnElement[datetime]:
    """As `timing.stage_entry`: a deal never moved has been in its stage since creation."""
    return sa.func.coalesce(deals.c.stage_updated_at, deals.c.created_at)


def last_activity() -> sa.ColumnElement[datetime]:
    """As `timing.last_activity`."""
    return sa.func.coalesce(deals.c.last_activity_at, deals.c.updated_at, deals.c.created_at)


def last_update() -> sa.ColumnElement[datetime]:
    """As `timing.last_update`."""
    return sa.func.coalesce(deals.c.updated_at, deals.c.created_at)


_LIVE = deals.c.deleted_at.is_(None)


def _sweep_index(name: str, *columns: sa.ColumnElement[Any]) -> sa.Index:
    # Partial: tombstones never raise. deleted_at and the raw columns of the anchor are
    # carried although the anchor expression is indexed, because SQLite (3.40) counts an
    # index as covering only if it holds every column the statement names; covering keeps
    # a sweep from reading the wide deal rows at all.
    return sa.Index(name, *columns, deals.c.deleted_at, sqlite_where=_LIVE, postgresql_where=_LIVE)


# One index per anchor, led by the stage: every statement is a range search
# (stage_id = ?, anchor <= cutoff) per stage. The anchor expressions must stay the ones the
# statements use (the functions above), or the databases will not match them.
SWEEP_INDEXES = (
    _sweep_index(
        "ix_deals_sweep_stage_entry",
        deals.c.stage_id,
        stage_entry(),
        deals.c.id,
        deals.c.stage_updated_at,
        deals.c.created_at,
    ),
    _sweep_index(
        "ix_deals_sweep_activity",
        deals.c.stage_id,
        last_activity(),
        deals.c.id,
        deals.c.last_activity_at,
        deals.c.updated_at,
        deals.c.created_at,
    ),
    _sweep_index(
        "ix_deals_sweep_update",
        deals.c.stage_id,
        last_update(),
        deals.c.amount,
        deals.c.currency,  # the stale rule's threshold is per currency
        deals.c.id,
        deals.c.updated_at,
        deals.c.created_at,
    ),
)


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
        high_value = deals.c.amount > sa.literal(rules.stale.min_amount, deals.c.amount.type)
        conditions: tuple[sa.ColumnElement[bool], ...] = (high_value,)
        if rules.stale.currency is not None:
            # As StaleRule.applies_to: no currency counts as the threshold's own.
            currency = rules.stale.currency.upper()
            conditions += (sa.func.upper(sa.func.coalesce(deals.c.currency, currency)) == currency,)
        plan.append(
            SweepRule(STALE_RULE_KEY, STALE_ACTION, last_update(), days, days, any_open,
                      conditions)
        )  # fmt: skip
    return plan


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
        ).where(_LIVE, scope, *rule.where, rule.anchor <= cutoff)
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
    raised: dict[str, int] = {}
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
