"""A small hand-made mirror for the forecast and analytics, and every figure it must give,
worked out by hand below (the unit tests run it in memory, the integration tests on SQLite
and PostgreSQL, the e2e tests through the CLI).

Today is Monday 2026-11-16 12:00 UTC: the default forecast runs 2026-11-16 .. 2026-12-31.
Three pipelines share stage ids (lead .. lost), so every stage is a (pipeline, stage) pair:
p1 Enterprise Sales and p2 Renewals hold the forecast's deals (f*), p3 E-Commerce Upsell
the analytics' deals (a*), whose close dates all fall outside the default forecast.
Default probabilities (seed 000): Lead 10, Qualified 25, Demo 40, Proposal 60,
Negotiation 80, Won 100, Lost 0.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from brevo_sync.adapters.rules_file import load_default_rules
from brevo_sync.domain.deal import Deal, Pipeline, Stage
from brevo_sync.domain.moves import StageMove
from brevo_sync.domain.reports import Person
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.domain.rules.events import LoyaltyPointsAwarded
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import UnitOfWorkFactory

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
ES = "Enterprise Sales"
ANA, ANA_ID, BOB_ID = "ana@example.com", "a" * 24, "b" * 24
RULES = load_default_rules()
STAGE_NAMES = ("Lead", "Qualified", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
STAGE_IDS = ("lead", "qual", "demo", "prop", "nego", "won", "lost")
STAGES = tuple(Stage(i, n, k) for k, (i, n) in enumerate(zip(STAGE_IDS, STAGE_NAMES, strict=True)))
PIPELINES = [
    Pipeline(pid, name, STAGES, pos)
    for pos, (pid, name) in enumerate(
        (("p1", "Enterprise Sales"), ("p2", "Renewals"), ("p3", "E-Commerce Upsell"))
    )
]  # fmt: skip


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def deal(
    deal_id: str,
    place: str,
    amount: float | None,
    currency: str | None,
    owner: str | None,
    close: date | None,
    *,
    created: datetime | None = None,
    entered: datetime | None = None,
    **attributes: Any,
) -> Deal:
    pipeline, stage = place.split("/")
    created = created or at(11, 1)
    return Deal(
        id=deal_id,
        name=f"Deal {deal_id}",
        pipeline_id=pipeline,
        stage_id=stage,
        owner=owner,
        amount=None if amount is None else Decimal(str(amount)),
        currency=currency,
        close_date=close,
        created_at=created,
        updated_at=entered or created,
        stage_updated_at=entered or created,
        attributes=attributes,
    )


FORECAST_DEALS = [
    deal("f1", "p1/lead", 1000, "EUR", ANA_ID, date(2026, 11, 20)),  # 10 % -> 100
    deal("f2", "p1/prop", 2000, "EUR", BOB_ID, date(2026, 12, 5)),  # 60 % -> 1,200
    deal("f3", "p1/nego", 3000, "USD", ANA_ID, date(2026, 12, 31)),  # 80 % -> 2,400 USD
    # Its own 50 %, set in the stage it is in -> 2,000 (its category stays the stage's).
    deal("f4", "p1/qual", 4000, "EUR", ANA_ID, date(2026, 11, 30),
         probability=50, probability_stage="qual"),
    # 90 % set in an earlier stage: stale, the stage's 40 % applies -> 2,000.
    deal("f5", "p1/demo", 5000, "EUR", BOB_ID, date(2026, 12, 10),
         probability=90, probability_stage="lead"),
    deal("f6", "p1/won", 6000, "EUR", ANA_ID, date(2026, 11, 18)),  # Won: 100 % -> 6,000
    deal("f7", "p1/lost", 7000, "EUR", ANA_ID, date(2026, 11, 25)),  # Lost: never counted
    deal("f8", "p1/demo", 8000, "EUR", ANA_ID, None),  # undated: 8,000, weighted 3,200
    deal("f9", "p2/prop", 900, "eur", ANA_ID, date(2027, 1, 15)),  # after the period
    deal("f10", "p2/nego", 1000, "EUR", ANA_ID, date(2026, 11, 10)),  # before today
    deal("f11", "p1/prop", 10000, "EUR", ANA_ID, date(2026, 12, 1)),  # deleted in Brevo
    deal("f12", "p2/lead", None, None, None, date(2026, 12, 20)),  # no amount, currency, owner
]  # fmt: skip
TOMBSTONED = "f11"

# (deal, place, amount, currency, owner, close, created, [(stage, entered), ...], lost reason)
_A: list[tuple[Any, ...]] = [
    ("a1", "won", 10000, "EUR", ANA_ID, date(2026, 9, 25), at(8, 20, 10),
     [("lead", at(8, 20, 10)), ("qual", at(9, 5, 10)), ("prop", at(9, 11, 10)),
      ("won", at(9, 21, 10))], None),
    ("a2", "won", 4000, "EUR", BOB_ID, date(2026, 10, 15), at(9, 28),
     [("lead", at(9, 28)), ("demo", at(10, 3)), ("won", at(10, 11, 12))], None),
    ("a3", "lost", 3000, "EUR", ANA_ID, date(2026, 9, 30), at(9, 10),
     [("lead", at(9, 10)), ("qual", at(9, 12)), ("lost", at(9, 20))], "price"),
    ("a4", "lost", 2000, "USD", BOB_ID, None, at(10, 5), [("lost", at(10, 20))], "price"),
    ("a5", "nego", 5000, "EUR", ANA_ID, date(2026, 10, 31), at(10, 15),
     [("lead", at(10, 15)), ("nego", at(10, 17))], None),
    ("a6", "lead", 1000, "EUR", BOB_ID, date(2027, 2, 1), at(11, 1), [("lead", at(11, 1))], None),
    ("a7", "qual", 500, "EUR", ANA_ID, date(2027, 3, 1), at(11, 10), [("qual", at(11, 10))], None),
    ("a8", "prop", 2000, "EUR", ANA_ID, date(2026, 10, 20), at(8, 1),
     [("lead", at(8, 1)), ("prop", at(8, 10))], None),
]  # fmt: skip


def analytics_deals() -> tuple[list[Deal], list[StageMove]]:
    found, moves = [], []
    for deal_id, stage, amount, currency, owner, close, created, path, reason in _A:
        extra = {} if reason is None else {"lost_reason": reason}
        found.append(deal(deal_id, f"p3/{stage}", amount, currency, owner, close,
                          created=created, entered=path[-1][1], **extra))  # fmt: skip
        before = None
        for to, when in path:
            moves.append(StageMove(deal_id, "p3", "p3", before, to, when, owner, "pull"))
            before = to
    return found, moves


def _points(deal_id: str, milestone: str, points: int) -> LoyaltyPointsAwarded:
    return LoyaltyPointsAwarded(f"loyalty:{deal_id}:{milestone}", deal_id, "contact", "1",
                                points, f"Deal milestone: {milestone}")  # fmt: skip


# Loyalty decisions: a1 Proposal 250 + Won 1,000; a2 Demo 100 + Won 1,000; f6 (another
# pipeline) 500.
POINTS = [_points("a1", "Proposal", 250), _points("a1", "Won", 1000), _points("a2", "Demo", 100),
          _points("a2", "Won", 1000), _points("f6", "Won", 500)]  # fmt: skip


def fill(uow: UnitOfWorkFactory, tombstone: Callable[[str, datetime], None]) -> None:
    """Write the mirror through the ports (as a pull would), then tombstone f11."""
    a_deals, a_moves = analytics_deals()
    with uow() as u:
        u.catalog.replace(PIPELINES, None, NOW)
        u.deals.upsert([*FORECAST_DEALS, *a_deals], NOW)
        u.history.add(a_moves, NOW)
        u.events.record(POINTS, origin="pull", now=NOW)
        u.people.put(Person(ANA, ANA_ID, "rules", NOW))
        u.commit()
    tombstone(TOMBSTONED, NOW)


def context(uow: UnitOfWorkFactory, rules: RulesConfig = RULES) -> ServiceContext:
    def no_brevo() -> Any:
        raise AssertionError("forecast and analytics never call Brevo")

    return ServiceContext(
        uow=uow,
        gateway=no_brevo,
        rules=lambda: rules,
        lock=no_brevo,
        schema=no_brevo,
        clock=lambda: NOW,
        database="test mirror",
    )


def with_rates(**rates: str) -> RulesConfig:
    return replace_rules(rates={k: Decimal(v) for k, v in rates.items()})


def replace_rules(**changes: Any) -> RulesConfig:
    return RULES.model_copy(update=changes)


# -- the forecast, worked out by hand -------------------------------------------------------
# In the period: f1, f2, f3, f4, f5, f6, f12 (7 deals). f7 lost, f9 and f10 outside the
# period, f11 deleted, f8 undated; no a* deal closes in the period.
#   EUR total 1,000 + 2,000 + 4,000 + 5,000 + 6,000 + 0 = 18,000; USD 3,000
#   EUR weighted 100 + 1,200 + 2,000 + 2,000 + 6,000 + 0 = 11,300; USD 2,400


def _fs(pipeline: str, stage: str, fig: dict[str, Any], probability: int, category: str) -> Any:
    return {"pipeline": pipeline, "stage": stage, **fig, "probability": probability,
            "category": category}  # fmt: skip


def figures(count: int, total: dict[str, float], weighted: dict[str, float]) -> dict[str, Any]:
    return {"count": count, "total": total, "weighted": weighted}


FORECAST = {
    "from": "2026-11-16",
    "to": "2026-12-31",
    "pipeline": None,
    **figures(7, {"EUR": 18000.0, "USD": 3000.0}, {"EUR": 11300.0, "USD": 2400.0}),
    "undated": figures(1, {"EUR": 8000.0}, {"EUR": 3200.0}),
    "by_stage": [
        _fs(ES, "Lead", figures(1, {"EUR": 1000.0}, {"EUR": 100.0}), 10, "pipeline"),
        _fs(ES, "Qualified", figures(1, {"EUR": 4000.0}, {"EUR": 2000.0}), 25, "pipeline"),
        _fs(ES, "Demo", figures(1, {"EUR": 5000.0}, {"EUR": 2000.0}), 40, "best_case"),
        _fs(ES, "Proposal", figures(1, {"EUR": 2000.0}, {"EUR": 1200.0}), 60, "best_case"),
        _fs(ES, "Negotiation", figures(1, {"USD": 3000.0}, {"USD": 2400.0}), 80, "commit"),
        _fs(ES, "Closed Won", figures(1, {"EUR": 6000.0}, {"EUR": 6000.0}), 100, "closed"),
        _fs("Renewals", "Lead", figures(1, {"EUR": 0.0}, {"EUR": 0.0}), 10, "pipeline"),
    ],
    "by_owner": [
        {"owner": ANA, **figures(4, {"EUR": 11000.0, "USD": 3000.0},
                                 {"EUR": 8100.0, "USD": 2400.0})},
        {"owner": BOB_ID, **figures(2, {"EUR": 7000.0}, {"EUR": 3200.0})},
        {"owner": "(no owner)", **figures(1, {"EUR": 0.0}, {"EUR": 0.0})},
    ],
    "by_month": [
        {"month": "2026-11", **figures(3, {"EUR": 11000.0}, {"EUR": 8100.0})},
        {"month": "2026-12", **figures(4, {"EUR": 7000.0, "USD": 3000.0},
                                       {"EUR": 3200.0, "USD": 2400.0})},
    ],
    "categories": [
        {"category": "closed", **figures(1, {"EUR": 6000.0}, {"EUR": 6000.0}),
         "cumulative": figures(1, {"EUR": 6000.0}, {"EUR": 6000.0})},
        {"category": "commit", **figures(1, {"USD": 3000.0}, {"USD": 2400.0}),
         "cumulative": figures(2, {"EUR": 6000.0, "USD": 3000.0},
                               {"EUR": 6000.0, "USD": 2400.0})},
        {"category": "best_case", **figures(2, {"EUR": 7000.0}, {"EUR": 3200.0}),
         "cumulative": figures(4, {"EUR": 13000.0, "USD": 3000.0},
                               {"EUR": 9200.0, "USD": 2400.0})},
        {"category": "pipeline", **figures(3, {"EUR": 5000.0}, {"EUR": 2100.0}),
         "cumulative": figures(7, {"EUR": 18000.0, "USD": 3000.0},
                               {"EUR": 11300.0, "USD": 2400.0})},
    ],
    "without_probability": figures(0, {}, {}),
    "currency": None,
    "unconverted": [],
}  # fmt: skip

# -- the analytics of E-Commerce Upsell, worked out by hand ---------------------------------
# 8 deals: open a5 (Negotiation 5,000), a6 (Lead 1,000), a7 (Qualified 500), a8 (Proposal
# 2,000); won a1 (10,000), a2 (4,000); lost a3 (3,000 EUR, from Qualified), a4 (2,000 USD,
# first seen lost). Win rate 2 / 4 = 50.0 %. Revenue 14,000, average 7,000.
# Sales cycle: a1 2026-08-20 10:00 -> 09-21 10:00 = 32 days, a2 09-28 -> 10-11 12:00 = 13.5,
# floored 13: (32 + 13) / 2 = 22.5, rounded (half up, as Math.round) 23.
# Loyalty: 250 + 1,000 + 100 + 1,000 = 2,350 (f6's 500 is another pipeline's).
# Furthest stage reached (Lost is no step): a1 Won(5), a2 Won(5), a3 Qualified(1), a5
# Negotiation(4), a6 Lead(0), a7 Qualified(1), a8 Proposal(3); a4 (only ever Lost) none.
#   reached: Lead 7, Qualified 6, Demo 4, Proposal 4, Negotiation 3, Won 2.
# Completed stays: Lead a1 16, a2 5, a3 2, a5 2, a8 9 -> 34 / 5 = 6.8 days; Qualified a1 6,
#   a3 8 -> 7.0; Demo a2 8.5; Proposal a1 10.
# Velocity: 4 open EUR deals x 50 % x 7,000 / 23 days = 608.70 EUR a day.
# Accuracy (May .. October 2026): September: a1 was in Lead on 09-01 (10 % of 10,000 = 1,000;
#   a3 had no history yet), won 10,000 -> 1000.0 %. October: a2 in Lead (400), a8 in
#   Proposal (1,200): 1,600; won a2 4,000 -> 250.0 %. a5 had no history on 10-01.


def _counts(total: int, open_: int, won: int, lost: int, rate: float | None,
            revenue: dict[str, float], size: dict[str, float],
            open_value: dict[str, float]) -> dict[str, Any]:  # fmt: skip
    return {"total": total, "open": open_, "won": won, "lost": lost, "win_rate": rate,
            "revenue": revenue, "average_deal_size": size, "open_value": open_value}  # fmt: skip


def _stage(stage: str, kind: str, count: int, value: dict[str, float]) -> dict[str, Any]:
    return {"pipeline": "E-Commerce Upsell", "stage": stage, "kind": kind, "count": count,
            "value": value}  # fmt: skip


def _step(a: str, b: str, n_a: int, n_b: int, rate: float) -> dict[str, Any]:
    return {"pipeline": "E-Commerce Upsell", "from": a, "to": b, "reached_from": n_a,
            "reached_to": n_b, "rate": rate}  # fmt: skip


def _month(month: str, n_f: int, f: dict[str, float], n_w: int, w: dict[str, float],
           accuracy: dict[str, float | None]) -> dict[str, Any]:  # fmt: skip
    return {"month": month, "forecast_count": n_f, "forecast_weighted": f, "won_count": n_w,
            "won": w, "accuracy": accuracy}  # fmt: skip


ANALYTICS = {
    "from": None,
    "to": None,
    "pipeline": "E-Commerce Upsell",
    **_counts(8, 4, 2, 2, 50.0, {"EUR": 14000.0}, {"EUR": 7000.0}, {"EUR": 8500.0}),
    "average_sales_cycle_days": 23,
    "loyalty_points_awarded": 2350,
    "stages": [
        _stage("Lead", "open", 1, {"EUR": 1000.0}),
        _stage("Qualified", "open", 1, {"EUR": 500.0}),
        _stage("Demo", "open", 0, {}),
        _stage("Proposal", "open", 1, {"EUR": 2000.0}),
        _stage("Negotiation", "open", 1, {"EUR": 5000.0}),
        _stage("Closed Won", "won", 2, {"EUR": 14000.0}),
        _stage("Closed Lost", "lost", 2, {"EUR": 3000.0, "USD": 2000.0}),
    ],
    "conversion": [
        _step("Lead", "Qualified", 7, 6, 85.7),
        _step("Qualified", "Demo", 6, 4, 66.7),
        _step("Demo", "Proposal", 4, 4, 100.0),
        _step("Proposal", "Negotiation", 4, 3, 75.0),
        _step("Negotiation", "Closed Won", 3, 2, 66.7),
    ],
    "time_in_stage": [
        {"pipeline": "E-Commerce Upsell", "stage": s, "stays": n, "average_days": d}
        for s, n, d in (
            ("Lead", 5, 6.8),
            ("Qualified", 2, 7.0),
            ("Demo", 1, 8.5),
            ("Proposal", 1, 10.0),
        )
    ],
    "velocity": {
        "formula": "open deals x win rate x average deal size / average sales cycle days",
        "open_deals": {"EUR": 4},
        "win_rate": 50.0,
        "average_deal_size": {"EUR": 7000.0},
        "average_sales_cycle_days": 23,
        "per_day": {"EUR": 608.7},
    },
    "losses": {
        "by_reason": [{"reason": "price", "count": 2, "value": {"EUR": 3000.0, "USD": 2000.0}}],
        "by_stage": [
            {"stage": "(unknown)", "count": 1, "value": {"USD": 2000.0}},
            {"stage": "Qualified (E-Commerce Upsell)", "count": 1, "value": {"EUR": 3000.0}},
        ],
    },
    "owners": [
        {
            "owner": ANA,
            **_counts(5, 3, 1, 1, 50.0, {"EUR": 10000.0}, {"EUR": 10000.0}, {"EUR": 7500.0}),
        },
        {
            "owner": BOB_ID,
            **_counts(3, 1, 1, 1, 50.0, {"EUR": 4000.0}, {"EUR": 4000.0}, {"EUR": 1000.0}),
        },
    ],
    "forecast_accuracy": [
        *(_month(m, 0, {}, 0, {}, {}) for m in ("2026-05", "2026-06", "2026-07", "2026-08")),
        _month("2026-09", 1, {"EUR": 1000.0}, 1, {"EUR": 10000.0}, {"EUR": 1000.0}),
        _month("2026-10", 2, {"EUR": 1600.0}, 1, {"EUR": 4000.0}, {"EUR": 250.0}),
    ],
    "currency": None,
    "unconverted": [],
}
