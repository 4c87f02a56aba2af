"""Benchmark: forecast and analytics over a mirror of N deals (default 1,000,000), on SQLite
and on PostgreSQL, against the naive way (every deal loaded into Python, then summed).

    python bench/analytics_bench.py                       # the target: 1,000,000 deals < 3 s
    python bench/analytics_bench.py --deals 20000 --repeat 1          # smoke run
    python bench/analytics_bench.py --databases sqlite    # skip PostgreSQL

The mirror is written through the worker's own unit of work (the pull's bulk upsert, stage
history, rule decisions) on the Alembic schema, with a realistic spread: three seed-000
pipelines, a third of the deals open, the rest won or lost, amounts with a long tail in EUR,
USD and CHF, 5% without a close date, 3% with their own probability, 0.4% tombstones, 50
owners, a stage history of two to three moves per deal, loyalty decisions on won deals.

Timed, through the services exactly as `brevo-sync forecast` / `analytics` run them (median
of --repeat runs; the host is shared):
1. `forecast` with its default period (today to the end of the quarter),
2. `forecast` over a year (every dated deal of the mirror),
3. `analytics` over every deal (all of it: metrics, stages, funnel, time in stage, losses,
   owners, forecast accuracy for six months).
The naive way loads every live deal into a `Deal` and sums in Python (the forecast of 2,
seed 000's headline metrics); its results must equal the SQL figures.

PostgreSQL: BREVO_SYNC_TEST_POSTGRES_URL (default the local trust-auth server, database
`test`), in a schema of its own, dropped afterwards. Exit code 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.rules_file import load_default_rules
from brevo_sync.adapters.store.deal_store import deal_from_row
from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import upgrade
from brevo_sync.adapters.store.tables import deals
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.amounts import cents
from brevo_sync.domain.analytics_facts import AnalyticsScope
from brevo_sync.domain.deal import Deal, Pipeline, Stage
from brevo_sync.domain.moves import StageMove
from brevo_sync.domain.periods import Period
from brevo_sync.domain.rules.events import LoyaltyPointsAwarded
from brevo_sync.domain.rules.money import deal_money
from brevo_sync.domain.rules.probability import deal_probability
from brevo_sync.domain.rules.stages import Rulebook
from brevo_sync.service.analytics import AnalyticsRequest, accuracy_months, analytics
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.forecast import ForecastRequest, forecast

TARGET_SECONDS = 3.0
NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
RULES = load_default_rules()
PG_URL = os.environ.get(
    "BREVO_SYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NAMES = ("Lead", "Qualified", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
PIPELINES = [
    Pipeline(f"pl{n}", name, tuple(Stage(f"pl{n}-s{k}", s, k) for k, s in enumerate(NAMES)), n)
    for n, name in enumerate(("Enterprise Sales", "E-Commerce Upsell", "Renewals"))
]
OPEN, WON, LOST = (0, 1, 2, 3, 4), 5, 6
REASONS = ("price", "timing", "competitor", "no budget", "no decision")
BATCH = 20_000
YEAR = Period(NOW.date() - timedelta(days=183), NOW.date() + timedelta(days=182))


def make_deal(i: int, rng: random.Random) -> tuple[Deal, list[StageMove], list[Any]]:
    """Deal i with its stage history and loyalty decisions."""
    pipeline = PIPELINES[i % 3]
    draw = rng.random()
    # 34% open across the five working stages, 30% won, 36% lost.
    k = OPEN[int(draw / 0.068)] if draw < 0.34 else (WON if draw < 0.64 else LOST)
    created = NOW - timedelta(seconds=rng.randrange(1, 365 * 86400))
    entered = created + (NOW - created) * rng.random() ** 2
    amount = Decimal(round(500 + 199_500 * rng.random() ** 6, 2)).quantize(Decimal("0.01"))
    c = rng.random()
    currency = "EUR" if c < 0.8 else ("USD" if c < 0.95 else "CHF")
    owner = f"{rng.randrange(50):024x}"
    close = None if rng.random() < 0.05 else NOW.date() + timedelta(days=rng.randrange(-180, 181))
    stage = pipeline.stages[k]
    attributes: dict[str, Any] = {"deal_name": f"Deal {i}", "source": "inbound_lead"}
    if k in OPEN and rng.random() < 0.03:
        attributes.update(probability=rng.randrange(5, 95), probability_stage=stage.id)
    if k == LOST:
        attributes["lost_reason"] = REASONS[i % len(REASONS)]
    deal = Deal(
        id=f"{i:024x}", name=f"Deal {i}", pipeline_id=pipeline.id, stage_id=stage.id,
        owner=owner, amount=amount, currency=currency, close_date=close, created_at=created,
        updated_at=entered, stage_updated_at=entered, attributes=attributes,
    )  # fmt: skip
    moves = [StageMove(deal.id, pipeline.id, None, None, pipeline.stages[0].id, created, owner,
                       "pull")]  # fmt: skip
    last = pipeline.stages[0].id
    if k not in (0, 1) and rng.random() < 0.5:  # an intermediate step on the way
        middle = pipeline.stages[min(rng.randrange(1, 4), 4 if k in (WON, LOST) else k - 1)].id
        moves.append(StageMove(deal.id, pipeline.id, pipeline.id, last, middle,
                               created + (entered - created) / 2, owner, "pull"))  # fmt: skip
        last = middle
    if k != 0:
        moves.append(StageMove(deal.id, pipeline.id, pipeline.id, last, stage.id, entered, owner,
                               "pull"))  # fmt: skip
    events = []
    if k == WON:
        events.append(LoyaltyPointsAwarded(f"bench:{i}:won", deal.id, "contact", "1", 1000,
                                           "Deal milestone: Closed Won"))  # fmt: skip
    return deal, moves, events


def build(engine: Engine, count: int) -> float:
    """The mirror of `count` deals, written as a pull writes, then 1 in 256 tombstoned."""
    started = time.perf_counter()
    upgrade(engine)
    rng = random.Random(20261116)
    with SqlUnitOfWork(engine) as uow:
        uow.catalog.replace(PIPELINES, None, NOW)
        uow.deals.defer_indexes()  # as the first full read does: indexes built once, at the end
        uow.commit()
    for start in range(0, count, BATCH):
        made = [make_deal(i, rng) for i in range(start, min(count, start + BATCH))]
        with SqlUnitOfWork(engine) as uow:
            uow.deals.upsert([d for d, _, _ in made], NOW)
            uow.history.add([m for _, ms, _ in made for m in ms], NOW)
            uow.events.record([e for _, _, es in made for e in es], origin="pull", now=NOW)
            uow.commit()
    with SqlUnitOfWork(engine) as uow:
        uow.deals.restore_indexes()
        uow.commit()
    with engine.begin() as conn:
        conn.execute(
            sa.update(deals).where(sa.func.substr(deals.c.id, 23, 2) == "63").values(deleted_at=NOW)
        )
    # Statistics, and on PostgreSQL the visibility map (index-only scans), as autovacuum
    # leaves a mirror after a load; done here so the timings do not depend on when it ran.
    settle = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(settle)
    return time.perf_counter() - started


def context(engine: Engine) -> ServiceContext:
    def no(*_: Any) -> Any:
        raise AssertionError("not used")

    return ServiceContext(
        uow=lambda: SqlUnitOfWork(engine), gateway=no, rules=lambda: RULES, lock=no,
        schema=no, clock=lambda: NOW, database=str(engine.url),
    )  # fmt: skip


def timed(run: Callable[[], Any], repeat: int) -> tuple[Any, list[float]]:
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
    return result, seconds


def live_deals(engine: Engine) -> Iterator[Deal]:
    with engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=10_000).execute(
            sa.select(deals).where(deals.c.deleted_at.is_(None))
        )
        for row in rows:
            yield deal_from_row(row)


def naive(engine: Engine) -> dict[str, Any]:
    """Every live deal loaded into Python, the forecast over YEAR and seed 000's headline
    metrics summed deal by deal (seed 000's own way)."""
    book = Rulebook.build(RULES, PIPELINES)
    total: dict[str, Decimal] = {}
    weighted: dict[str, Decimal] = {}
    count = won = lost = opened = 0
    revenue: dict[str, Decimal] = {}
    for deal in live_deals(engine):
        mapped = book.locate(deal)
        kind = "open" if mapped is None else mapped.stage.kind
        money = deal_money(deal, RULES.default_currency)
        currency, amount = (money.currency, money.amount) if money else ("EUR", Decimal(0))
        won, lost, opened = (
            won + (kind == "won"),
            lost + (kind == "lost"),
            opened + (kind == "open"),
        )
        if kind == "won":
            revenue[currency] = revenue.get(currency, Decimal(0)) + amount
        if kind == "lost" or deal.close_date is None or not YEAR.contains(deal.close_date):
            continue
        count += 1
        total[currency] = total.get(currency, Decimal(0)) + amount
        probability = deal_probability(book, deal) or 0
        weighted[currency] = weighted.get(currency, Decimal(0)) + amount * probability / 100
    return {
        "forecast": (count, _json(total), _json(weighted)),
        "metrics": (opened, won, lost, _json(revenue)),
    }


def _json(amounts: dict[str, Decimal]) -> dict[str, float]:
    return {c: cents(a) for c, a in sorted(amounts.items())}


def _spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})"
    )


PARTS = ("deal_groups", "stage_stays", "losses", "loyalty_points", "month_start_groups",
         "won_groups")  # fmt: skip


def breakdown(engine: Engine) -> str:
    """Seconds per mirror query of one analytics run (where the time goes)."""
    book = Rulebook.build(RULES, PIPELINES)
    kinds = {k: m.stage.kind for k, m in book.stages.by_ids.items()}
    scope = AnalyticsScope(
        won_stages=frozenset(k for k, v in kinds.items() if v == "won"),
        lost_stages=frozenset(k for k, v in kinds.items() if v == "lost"),
    )
    months = accuracy_months(None, NOW.date())
    args: dict[str, tuple[Any, ...]] = {"losses": ("lost_reason",),
                                        "month_start_groups": (months,),
                                        "won_groups": (months,)}  # fmt: skip
    parts = []
    with SqlUnitOfWork(engine) as uow:
        for name in PARTS:
            started = time.perf_counter()
            getattr(uow.analytics, name)(scope, *args.get(name, ()))
            parts.append(f"{name} {time.perf_counter() - started:.2f}")
    return ", ".join(parts)


def time_reports(name: str, engine: Engine, repeat: int) -> tuple[float, float, Any, Any]:
    ctx = context(engine)
    default, t_default = timed(lambda: forecast(ctx, ForecastRequest()), repeat)
    year_request = ForecastRequest(start=YEAR.start, end=YEAR.end)
    year, t_year = timed(lambda: forecast(ctx, year_request), repeat)
    metrics, t_analytics = timed(lambda: analytics(ctx, AnalyticsRequest()), repeat)
    tag = f"[{name}]"
    print(f"{tag} forecast, default period ({default.figures.count:,} deals): {_spread(t_default)}")
    print(f"{tag} forecast, a year ({year.figures.count:,} deals): {_spread(t_year)}")
    print(f"{tag} analytics, every deal ({metrics.counts.total:,}): {_spread(t_analytics)}")
    print(f"{tag} analytics by query (s): {breakdown(engine)}", flush=True)
    worst = max(statistics.median(t) for t in (t_default, t_year, t_analytics))
    return worst, statistics.median(t_year), year, metrics


def run_database(name: str, engine: Engine, args: argparse.Namespace) -> bool:
    built = build(engine, args.deals)
    print(f"[{name}] mirror: {args.deals:,} deals built in {built:.1f} s", flush=True)
    worst, year_seconds, year, metrics = time_reports(name, engine, args.repeat)
    agree = True
    if not args.skip_naive:
        started = time.perf_counter()
        loop = naive(engine)
        loop_seconds = time.perf_counter() - started
        f = year.to_json()
        c = metrics.counts
        agree = loop == {
            "forecast": (f["count"], f["total"], f["weighted"]),
            "metrics": (c.open, c.won, c.lost, _json(c.revenue)),
        }
        print(
            f"[{name}] naive (every deal into Python, then summed): {loop_seconds:.2f} s for the "
            f"year's forecast and the headline metrics; agrees with SQL: {'yes' if agree else 'NO'}"
        )
        print(f"[{name}] naive / SQL forecast of the year: {loop_seconds / year_seconds:.0f}x")
    ok = worst < TARGET_SECONDS and agree
    print(f"[{name}] {'PASS' if ok else 'FAIL'}: slowest median {worst:.3f} s (target < 3 s)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    results = []
    for name in args.databases.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                engine = create_mirror_engine(f"sqlite:///{Path(tmp) / 'analytics.db'}")
                results.append(run_database(name, engine, args))
                engine.dispose()
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(PG_URL)
            with admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            engine = create_mirror_engine(
                PG_URL, connect_args={"options": f"-csearch_path={schema}"}
            )
            try:
                results.append(run_database(name, engine, args))
            finally:
                engine.dispose()
                with admin.begin() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
                admin.dispose()
    ok = all(results)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
