"""The in-memory mirror answers as the SQL one does: one scenario, run through the services on
`MemoryUnitOfWork` and on `SqlUnitOfWork` (SQLite and PostgreSQL), observed through the ports
only, must give equal observations (numbers and times compared as values).

The scenario: a full pull of deals with every awkward value (no amount, no stage, no owner,
currencies in any case, close dates), edits and moves in Brevo, a second pull, a tombstone,
a sweep two weeks on, an acknowledgement; then every report the read side answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.adapters.memory.rows import DEAL_COLUMNS
from brevo_sync.adapters.store.tables import deals
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.reports import AlertQuery, DealQuery, Person
from brevo_sync.domain.rules.events import StageChanged
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.pull import PullReport, pull_deals
from brevo_sync.service.status import mirror_status
from brevo_sync.service.sweep import run_sweep, time_rules
from tests.contexts import sql_context
from tests.fakes import ANA, FakeBrevo
from tests.unit.service.support import memory_context

DAY = 24 * 3600
BO = "bo@example.com"

Tombstone = Callable[[str, datetime], None]


def seeded_brevo() -> FakeBrevo:
    """Deals created over several days, with the values reports must treat alike."""
    brevo = FakeBrevo()
    brevo.add(3)  # Ana's leads, 1,000 each
    brevo.tick(2 * DAY)
    brevo.add(2, amount=30000.0, owner=BO)  # over the stale threshold
    brevo.add(1, stage="s-won", amount=26000.5)
    brevo.tick(3 * DAY)
    brevo.add(2, stage="s-qual", amount=500.25, owner=BO)
    brevo.add(2, amount=42000.0)
    extra: dict[int, dict[str, Any]] = {
        0: {"deal_currency": "EUR", "close_date": "2026-02-15"},
        1: {"deal_currency": "eur", "close_date": "2026-03-01"},
        2: {"deal_currency": "USD", "amount": None},
        3: {"deal_currency": "usd", "close_date": "2026-02-28T00:00:00.000+05:30"},
        4: {"close_date": "2026-01-31", "last_activity_date": "2026-01-05T10:00:00.000Z"},
        6: {"deal_stage": None},
        7: {"deal_owner": None, "deal_currency": "CHF"},
        9: {"deal_currency": "eur", "close_date": "2026-03-01"},
    }
    for index, attributes in extra.items():
        brevo.deals[index]["attributes"].update(attributes)
    return brevo


def scenario(ctx: ServiceContext, brevo: FakeBrevo, tombstone: Tombstone) -> dict[str, Any]:
    """Run the scenario on `ctx` and return everything observed, in plain values."""
    seen: dict[str, Any] = {}
    ids = [d["id"] for d in brevo.deals]
    with ctx.uow() as uow:
        uow.people.put(Person(ANA, brevo.users[ANA], "rules", brevo.now))
        uow.commit()
    seen["pull 1"] = report(pull_deals(ctx, sweep=True))
    brevo.tick(3600)
    brevo.edit(ids[0], amount=1500.0, last_activity_date="2026-01-06T08:00:00.000Z")
    brevo.edit(ids[1], deal_stage="s-qual")
    brevo.edit(ids[8], deal_stage="s-won")
    brevo.edit(ids[9], deal_stage="s-lost", deal_currency="EUR")
    brevo.tick(30)
    seen["pull 2"] = report(pull_deals(ctx, sweep=True))
    seen["pull 3"] = report(pull_deals(ctx, full=True, sweep=False))  # re-reads, writes nothing
    tombstone(ids[2], brevo.now)
    brevo.tick(15 * DAY)
    seen["sweep"] = plain(run_sweep(ctx).raised)
    now = brevo.now
    with ctx.uow() as uow:
        (target,) = [
            a for a in uow.queries.alerts(AlertQuery(limit=None))
            if (a.deal_id, a.rule) == (ids[3], "inactivity:7")
        ]  # fmt: skip
        seen["acknowledged"] = without_id(uow.alerts.acknowledge(target.id, now))
        seen["acknowledged again"] = without_id(uow.alerts.acknowledge(target.id, now))
        seen["no such alert"] = uow.alerts.acknowledge(10_000, now)
        uow.commit()
    brevo.tick(60)
    with ctx.uow() as uow:
        seen.update(read_side(ctx, uow, ids, brevo))
    seen["status"] = plain(mirror_status(ctx, 1000).mirror)
    seen["transactions"] = transactions(ctx, brevo.now)
    return seen


QUERIES = [
    DealQuery(limit=None),
    DealQuery(include_deleted=True, limit=None),
    *(DealQuery(sort=s, limit=None) for s in ("id", "name", "amount", "owner", "stage",
                                              "pipeline", "created", "updated", "close")),
    *(DealQuery(sort=f"-{s}", limit=4) for s in ("id", "amount", "owner", "stage", "close",
                                                 "created")),
    DealQuery(pipeline_ids=frozenset({"p1"}), sort="id", limit=None),
    DealQuery(pipeline_ids=frozenset(), limit=None),
    DealQuery(stage_keys=frozenset({("p1", "s-qual"), ("p1", "s-won")}), limit=None),
    DealQuery(currency="eur", sort="amount", limit=None),
    DealQuery(currency="EUR", currency_default=True, sort="amount", limit=None),
    DealQuery(currency="usd", include_deleted=True, limit=None),
    DealQuery(min_amount=1000, max_amount=30000, sort="-amount", limit=None),
    DealQuery(created_from=date(2026, 1, 3), created_to=date(2026, 1, 3), limit=None),
    DealQuery(created_to=date(2026, 1, 1), limit=None),
    DealQuery(close_from=date(2026, 2, 15), close_to=date(2026, 3, 1), sort="close", limit=None),
]  # fmt: skip
ALERT_QUERIES = [
    AlertQuery(limit=None),
    AlertQuery(rules=("inactivity",), limit=None),
    AlertQuery(rules=("inactivity:14", "stale_high_value"), open_only=True, limit=None),
    AlertQuery(rules=("INACTIVITY",), limit=None),  # rule kinds are case-sensitive everywhere
]


def read_side(ctx: ServiceContext, uow: Any, ids: list[str], brevo: FakeBrevo) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for number, query in enumerate(QUERIES):
        seen[f"find_deals {number}"] = plain(uow.queries.find_deals(query))
        seen[f"currencies {number}"] = plain(uow.queries.currencies(query))
    seen["owner_ids"] = plain(uow.queries.owner_ids())
    seen["row columns"] = sorted(uow.queries.find_deals(QUERIES[0])[0])
    for number, alert_query in enumerate(ALERT_QUERIES):
        views = uow.queries.alerts(alert_query)
        seen[f"alerts {number}"] = sorted(
            (without_id(v) for v in views),
            key=lambda v: (v["raised_at"], v["deal_id"], v["rule"]),
        )
        seen[f"alerts {number} order"] = [plain(v.raised_at) for v in views]
    _, rules = time_rules(ctx, uow)
    assert rules.stale is not None
    seen["stale"] = plain(uow.queries.stale(rules.stale, rules.closed_stage_ids, brevo.now))
    # Any currency, a day without update, no closed stage: the won and lost deals too.
    anything = replace(rules.stale, days_without_update=1, currency=None)
    seen["stale any"] = plain(uow.queries.stale(anything, frozenset(), brevo.now))
    seen["history"] = {i: plain(uow.history.of_deal(i)) for i in ids}
    seen["events"] = plain(uow.events.pending())
    seen["sync"] = plain(uow.sync.get())
    seen["pipelines"] = plain(uow.catalog.pipelines())
    seen["mirrored"] = plain(uow.deals.mirrored([*ids, "nope"]))
    seen["get"] = plain(uow.deals.get([*ids, "nope"]))
    seen["people"] = plain(uow.people.all())
    seen["by user id"] = plain(uow.people.by_user_id([brevo.users[ANA], brevo.users[BO]]))
    seen["running"] = plain(uow.runs.running())
    seen["spent"] = plain(uow.runs.spent_since(brevo.now - timedelta(days=30)))
    return seen


def transactions(ctx: ServiceContext, now: datetime) -> dict[str, Any]:
    """What a rolled-back unit of work leaves (nothing) and what `record` counts."""
    with ctx.uow() as uow:
        uow.deals.upsert([Deal("uncommitted", created_at=now)], now)
        assert set(uow.deals.mirrored(["uncommitted"])) == {"uncommitted"}
    event = StageChanged("parity:1", "uncommitted", "p1", None, "s-lead", now, None, "rules")
    with ctx.uow() as uow:
        left = uow.deals.mirrored(["uncommitted"])
        counts = [uow.events.record([event, event], origin="local", now=now),
                  uow.events.record([event], origin="local", now=now)]  # fmt: skip
        defer = uow.deals.defer_indexes()
    return {"left": plain(left), "counts": counts, "defer": defer}


def report(pulled: PullReport) -> Any:
    values = plain(pulled)
    if values["sweep"] is not None:
        values["sweep"].pop("seconds")  # wall time
    return values


def without_id(view: Any) -> Any:
    values = plain(view)
    values.pop("id")  # ids follow the order each database inserts one sweep's rows in
    return values


def plain(value: Any) -> Any:
    """Values as comparable data: numbers as Decimals, times in UTC, containers as lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, float | Decimal):
        return Decimal(str(value)).normalize()
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def sql_tombstone(engine: Engine) -> Tombstone:
    def mark(deal_id: str, at: datetime) -> None:
        with engine.begin() as conn:
            conn.execute(sa.update(deals).where(deals.c.id == deal_id).values(deleted_at=at))

    return mark


def test_the_memory_mirror_answers_as_the_sql_mirror(mirror_engine: Engine) -> None:
    sql_brevo, memory_brevo = seeded_brevo(), seeded_brevo()
    on_sql = scenario(
        sql_context(mirror_engine, sql_brevo), sql_brevo, sql_tombstone(mirror_engine)
    )
    mirror = MemoryMirror()
    in_memory = scenario(memory_context(mirror, memory_brevo), memory_brevo, mirror.tombstone)
    assert sql_brevo.requests.by_endpoint == memory_brevo.requests.by_endpoint
    assert list(in_memory) == list(on_sql)
    for key, observed in on_sql.items():
        assert in_memory[key] == observed, key
    # The scenario reaches what it means to: filters that select some deals and not others,
    # alerts of several rules, moves and decisions, a tombstone, an acknowledgement.
    assert on_sql["row columns"] == sorted([*DEAL_COLUMNS, "stage_name", "pipeline_name",
                                            "owner_email"])  # fmt: skip
    sizes = {len(on_sql[f"find_deals {n}"]) for n in range(len(QUERIES))}
    assert 0 in sizes and len(sizes) > 4
    assert {a["rule"] for a in on_sql["alerts 0"]} >= {"inactivity:7", "stale_high_value"}
    assert on_sql["alerts 3"] == [] and 0 < len(on_sql["stale"]) < len(on_sql["stale any"])
    assert on_sql["pull 2"]["stage_changes"] == 3 and on_sql["pull 2"]["decisions"] > 0
    assert on_sql["status"]["tombstones"] == 1 and on_sql["status"]["alerts_open"] > 0
    assert on_sql["acknowledged"]["acknowledged_at"] is not None
    assert on_sql["transactions"] == {"left": {}, "counts": [1, 0], "defer": False}
