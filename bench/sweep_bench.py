"""Benchmark: the set-based time-rules sweep over a SQLite mirror of N deals (default 1,000,000).

    python bench/sweep_bench.py                          # the target: 1,000,000 deals < 3 s
    python bench/sweep_bench.py --deals 20000 --baseline-deals 2000 --repeat 1   # smoke run

It builds a mirror through the worker's own engine (WAL, synchronous=NORMAL) with a
realistic spread: a third of the deals open, stage ages around each stage's limit, skewed
activity and update ages that never predate the deal or its stage change, amounts with a long
tail, a few tombstones, never-moved deals and deals without activity. Then it times

1. the first sweep, which raises every crossing so far (the heavy one: ~490k alerts),
2. a second sweep at the same `now`, which must raise nothing (the daemon's steady state),

`--repeat` times (the first sweep again on an emptied alerts table) and reports medians:
the host is shared, single runs vary by a third. Last, the naive baseline on a subset: load
each deal, `evaluate_time_rules`, insert its alerts one by one, extrapolated to N. Its alerts
must equal the sweep's for the same deals, so the run also checks that the two agree.

The target applies to the median of both sweeps. Exit code 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.sweep_sql import alert_keys
from brevo_sync.adapters.store.tables import alerts, deals, metadata
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.rules.timing import (
    ALERT_TEAM_LEAD,
    MARK_DORMANT,
    REMIND_SELLER,
    InactivityRule,
    StageFollowUp,
    StageTimeLimit,
    StaleRule,
    TimeRules,
    evaluate_time_rules,
)
from brevo_sync.service.sweep import SweepReport

AlertKey = tuple[str, str, datetime]
TARGET_SECONDS = 3.0
NOW = datetime(2025, 7, 12, 9, 0, tzinfo=UTC)  # seed 002's date

# Seed 002's pipeline, its dwell limits and inactivity ladder, and seed 000's stale rule.
STAGE_LIMITS = {
    "NEW_LEAD": (3, "alert_seller"),
    "QUALIFICATION": (7, "alert_team_lead"),
    "NEEDS_ANALYSIS": (14, "review_meeting"),
    "PROPOSAL": (21, "escalate_to_manager"),
    "NEGOTIATION": (30, "strategic_review"),
}
RULES = TimeRules(
    stage_limits=tuple(StageTimeLimit(s, d, e) for s, (d, e) in STAGE_LIMITS.items()),
    inactivity=(
        InactivityRule(7, REMIND_SELLER),
        InactivityRule(14, ALERT_TEAM_LEAD),
        InactivityRule(30, MARK_DORMANT),
    ),
    stale=StaleRule(Decimal(25000), 14, currency="EUR"),
    closed_stage_ids=frozenset({"CLOSED_WON", "CLOSED_LOST"}),
    follow_ups=(StageFollowUp("PROPOSAL", 3),),
)

# Deterministic pseudo-random draws in [0, 1): a Weyl sequence per column (i * odd constant
# mod 2^32). Cheap in SQL, the same on every run, and free of SQLite's habit of re-evaluating
# random() wherever a subquery column is referenced.
_U = [
    2654435761,
    2246822519,
    3266489917,
    668265263,
    374761393,
    1181783497,
    2870177451,
    3575046731,
    1597334677,
]


def _u(k: int) -> str:
    return f"((n.i * {_U[k]}) % 4294967296) / 4294967296.0"


_NOW_TEXT = f"{NOW:%Y-%m-%d %H:%M:%S}"
DAY = 86400


def _ago(seconds: str) -> str:
    """NOW minus `seconds`, as the mirror stores stamps: naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    return f"(strftime('%Y-%m-%d %H:%M:%S', '{_NOW_TEXT}', '-' || {seconds} || ' seconds') || frac)"


# 34% open across the five working stages, 30% won, 36% lost.
_STAGE = f"""CASE
    WHEN {_u(0)} < 0.08 THEN 'NEW_LEAD'       WHEN {_u(0)} < 0.16 THEN 'QUALIFICATION'
    WHEN {_u(0)} < 0.23 THEN 'NEEDS_ANALYSIS' WHEN {_u(0)} < 0.29 THEN 'PROPOSAL'
    WHEN {_u(0)} < 0.34 THEN 'NEGOTIATION'    WHEN {_u(0)} < 0.64 THEN 'CLOSED_WON'
    ELSE 'CLOSED_LOST' END"""
_STAGE_DAYS = (
    f"CASE {_STAGE} "
    + " ".join(f"WHEN '{s}' THEN {d}" for s, (d, _) in STAGE_LIMITS.items())
    + " ELSE 30 END"
)
_GENERATE = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count),
drawn AS MATERIALIZED (
    SELECT i, stage, '.' || printf('%06d', i * 7919 % 1000000) AS frac,
        'seller' || CAST({_u(7)} * 50 AS INTEGER) || '@example.com' AS owner,
        -- amounts 500 .. 200,000 with a long tail: about 30% over 25,000
        round(500 + 199500 * pow6, 2) AS amount,
        stage_age, u_misc,
        -- the deal existed up to 60 days before entering its stage (never-moved deals: 0)
        stage_age + before_stage AS deal_age,
        -- Brevo's last update is never older than the stage change (which updates the deal)
        min(CAST(30 * {DAY} * {_u(4)} * {_u(4)} AS INTEGER), stage_age) AS update_age,
        -- ... and activities happen after the deal was created
        min(CAST(45 * {DAY} * {_u(3)} * {_u(3)} AS INTEGER), stage_age + before_stage)
            AS activity_age
    FROM (SELECT i, {_STAGE} AS stage, {_u(6)} AS u_misc,
              {_u(5)} * {_u(5)} * {_u(5)} * {_u(5)} * {_u(5)} * {_u(5)} AS pow6,
              -- stage age ~ 2 * limit * u^2: ~29% of open deals are past their stage's limit
              CAST(2 * ({_STAGE_DAYS}) * {DAY} * {_u(1)} * {_u(1)} AS INTEGER) AS stage_age,
              CASE WHEN {_u(6)} < 0.05 THEN 0 ELSE CAST(60 * {DAY} * {_u(2)} AS INTEGER) END
                  AS before_stage
          FROM n) AS n)
SELECT
    printf('%08x%016x', 1600000000 + i, i * 40503), 'Deal ' || i, 'pl_default', stage, owner,
    amount, 'EUR', date('{NOW:%Y-%m-%d}', '+' || (i % 90) || ' days'),
    {_ago("deal_age")},
    {_ago("update_age")},
    -- 5% never moved: no stage_updated_at, the sweep falls back to created_at
    CASE WHEN u_misc < 0.05 THEN NULL ELSE {_ago("stage_age")} END,
    -- 10% without any activity date: the sweep falls back to updated_at
    CASE WHEN u_misc >= 0.90 THEN NULL ELSE {_ago("activity_age")} END,
    json_object('deal_name', 'Deal ' || i, 'deal_stage', stage, 'pipeline', 'pl_default',
        'amount', amount, 'deal_owner', owner, 'number_of_contacts', i % 4,
        'number_of_activities', i % 23, 'source', 'inbound_lead', 'deal_type', 'new_business'),
    json_array(i % 100000), '[]', '{_NOW_TEXT}.000000',
    -- 1% tombstones
    CASE WHEN u_misc BETWEEN 0.50 AND 0.51 THEN '{_NOW_TEXT}.000000' END
FROM drawn
"""
_COLUMNS = (
    "id, name, pipeline_id, stage_id, owner, amount, currency, close_date, created_at, "
    "updated_at, stage_updated_at, last_activity_at, attributes, contact_ids, "
    "company_ids, pulled_at, deleted_at"
)


def build_mirror(engine: sa.Engine, count: int) -> float:
    started = time.perf_counter()
    metadata.create_all(engine, tables=[deals, alerts])
    with engine.begin() as conn:
        # Bulk load without indexes, then index once: far faster than indexing row by row.
        for index in deals.indexes:
            index.drop(conn)
        conn.execute(sa.text(f"INSERT INTO deals ({_COLUMNS}) {_GENERATE}"), {"count": count})
        for index in deals.indexes:
            index.create(conn)
        conn.execute(sa.text("ANALYZE"))
    # Settle the load's gigabyte of writes (WAL into the file, dirty pages to disk) so the
    # kernel's write-back does not run during the timed sweeps: a worker sweeps a mirror
    # that was written over hours, not seconds ago.
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()
    return time.perf_counter() - started


def run_time_sweep(engine: sa.Engine, rules: TimeRules, now: datetime) -> SweepReport:
    """One sweep as the service runs it: in a unit of work that commits."""
    started = time.perf_counter()
    with SqlUnitOfWork(engine) as uow:
        raised = uow.alerts.sweep(rules, now)
        uow.commit()
    return SweepReport(now=now, raised=raised, seconds=time.perf_counter() - started)


def sweep_pair(engine: sa.Engine, fresh: bool) -> tuple[SweepReport, SweepReport]:
    """The first sweep (raises every crossing so far) and a second at the same `now`."""
    if not fresh:  # untimed: back to a mirror without alerts
        with engine.begin() as conn:
            conn.execute(sa.delete(alerts))
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return run_time_sweep(engine, RULES, NOW), run_time_sweep(engine, RULES, NOW)


def _spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.3f} s"
        f" (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"
    )


def baseline(engine: sa.Engine, limit: int) -> tuple[float, set[AlertKey], set[AlertKey]]:
    """The per-deal loop on the first `limit` deals, in a transaction rolled back afterwards.

    Returns its time, the alert keys it stored and the keys the sweep had stored for the
    same deals, which must be equal."""
    with engine.connect() as conn, conn.begin() as tx:
        last_id = conn.execute(
            sa.select(deals.c.id).order_by(deals.c.id).offset(limit - 1).limit(1)
        ).scalar_one()
        swept = {k for k in alert_keys(conn) if k[0] <= last_id}
        # Untimed: forget the sweep's alerts on these deals so the loop does the same work.
        conn.execute(sa.delete(alerts).where(alerts.c.deal_id <= last_id))
        started = time.perf_counter()
        rows = conn.execute(sa.select(deals).where(deals.c.id <= last_id).order_by(deals.c.id))
        insert = sqlite.insert(alerts).on_conflict_do_nothing()
        for row in rows:
            deal = Deal(
                id=row.id,
                pipeline_id=row.pipeline_id,
                stage_id=row.stage_id,
                owner=row.owner,
                amount=None if row.amount is None else Decimal(str(row.amount)),
                created_at=row.created_at,
                updated_at=row.updated_at,
                stage_updated_at=row.stage_updated_at,
                last_activity_at=row.last_activity_at,
            )
            tombstoned = row.deleted_at is not None
            for alert in evaluate_time_rules(deal, RULES, NOW, tombstoned=tombstoned):
                conn.execute(
                    insert.values(
                        deal_id=alert.deal_id,
                        rule=alert.rule,
                        action=alert.action,
                        anchor_at=alert.anchor_at,
                        due_at=alert.due_at,
                        raised_at=NOW,
                    )
                )
        seconds = time.perf_counter() - started
        looped = {k for k in alert_keys(conn) if k[0] <= last_id}
        tx.rollback()
    return seconds, looped, swept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, default=1_000_000, help="mirrored deals")
    parser.add_argument(
        "--baseline-deals",
        type=int,
        default=100_000,
        help="deals the naive loop runs on (extrapolated to --deals)",
    )
    parser.add_argument("--db", type=Path, help="SQLite file to build (default: a temp dir)")
    parser.add_argument(
        "--page-size",
        type=int,
        help="create the file with this SQLite page size (default: SQLite's)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="sweep pairs to time (median reported); the host is shared",
    )
    args = parser.parse_args()
    subset = min(args.baseline_deals, args.deals)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "sweep_bench.db"
        path.unlink(missing_ok=True)
        if args.page_size:  # must precede the first table; WAL fixes it for good
            with sqlite3.connect(path) as raw:
                raw.execute(f"PRAGMA page_size={int(args.page_size)}")
                raw.execute("PRAGMA journal_mode=WAL")
        # The mirror's own engine: WAL, synchronous=NORMAL, as the worker runs.
        engine = create_mirror_engine(f"sqlite:///{path}")
        build = build_mirror(engine, args.deals)
        with engine.connect() as conn:
            open_deals = conn.execute(
                sa.text(
                    "SELECT count(*) FROM deals WHERE deleted_at IS NULL"
                    " AND stage_id NOT IN ('CLOSED_WON', 'CLOSED_LOST')"
                )
            ).scalar_one()
            page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
        print(
            f"mirror: {args.deals:,} deals ({open_deals:,} open), built in {build:.1f} s,"
            f" {path.stat().st_size / 2**20:.0f} MiB, {page_size}-byte pages"
        )

        pairs = [sweep_pair(engine, fresh=rep == 0) for rep in range(args.repeat)]
        first = pairs[0][0]
        firsts = [p[0].seconds for p in pairs]
        seconds = [p[1].seconds for p in pairs]
        print(f"sweep 1: {first.total:,} alerts raised, {_spread(firsts)}")
        for rule, raised in first.raised.items():
            print(f"    {rule:32} {raised:>9,}")
        print(
            f"sweep 2 (same now): {max(p[1].total for p in pairs):,} alerts raised,"
            f" {_spread(seconds)}"
        )

        loop_seconds, looped, swept = baseline(engine, subset)
        agree = looped == swept
        per_deal = loop_seconds / subset
        print(
            f"baseline (per-deal loop): {subset:,} deals in {loop_seconds:.2f} s,"
            f" extrapolated to {args.deals:,}: {per_deal * args.deals:.1f} s;"
            f" agrees with the sweep: {'yes' if agree else 'NO'}"
        )
        extrapolated = per_deal * args.deals
        print(
            f"speedup vs baseline: {extrapolated / statistics.median(firsts):.0f}x (first"
            f" sweep), {extrapolated / statistics.median(seconds):.0f}x (second sweep)"
        )
        engine.dispose()

    worst = max(statistics.median(firsts), statistics.median(seconds))
    repeated = sum(p[1].total for p in pairs)
    ok = worst < TARGET_SECONDS and repeated == 0 and first.total > 0 and agree
    print(
        f"{'PASS' if ok else 'FAIL'}: sweep of {args.deals:,} deals took {worst:.3f} s"
        f" (median of the slower sweep; target < {TARGET_SECONDS:.0f} s), repeated sweeps"
        f" raised {repeated}, agreement with the per-deal loop {'ok' if agree else 'BROKEN'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
