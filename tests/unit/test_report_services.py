"""The report use cases over the mirror (in memory, SQLite, PostgreSQL): currencies never mix,
stages filter by (pipeline, stage), owners by e-mail cost one Brevo request once, alerts
read in words, stale deals biggest first."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.adapters.rules_file import load_default_rules
from brevo_sync.adapters.store.engine import create_mirror_engine
from brevo_sync.adapters.store.migrate import upgrade
from brevo_sync.adapters.store.uow import SqlUnitOfWork
from brevo_sync.domain.budget import BudgetSnapshot, RequestCounter
from brevo_sync.domain.deal import Deal, Pipeline, Stage
from brevo_sync.domain.reports import Person
from brevo_sync.domain.rules.config import RulesConfig, TimeRulesConfig
from brevo_sync.domain.sync import DealPage
from brevo_sync.errors import UsageError
from brevo_sync.service.alerts import AlertFilter, acknowledge_alert, list_alerts, list_stale
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.deals import DealFilter, list_deals
from brevo_sync.service.ports import UnitOfWorkFactory
from brevo_sync.service.sweep import sweep_mirror

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ANA, BOB, CAROL = "ana@example.com", "bob@example.com", "carol@example.com"
ANA_ID, BOB_ID, CAROL_ID = "a" * 24, "b" * 24, "c" * 24
RULES = load_default_rules()

# Both pipelines use the stage ids `lead` and `won`: stage filters must keep the pipeline.
_STAGES = ("Lead", "Qualified", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
PIPELINES = [
    Pipeline(
        pid, name, tuple(Stage(s.lower().replace(" ", "_"), s, i) for i, s in enumerate(_STAGES))
    )
    for pid, name in (("p1", "Enterprise Sales"), ("p2", "Renewals"))
]


def _deal(
    deal_id: str, place: tuple[str, str], amount: float, currency: str | None, owner: str, idle: int
) -> Deal:
    """A deal at `place` (pipeline, stage), untouched for `idle` days."""
    (pipeline, stage), touched = place, NOW - timedelta(days=idle)
    return Deal(
        id=deal_id,
        name=f"Deal {deal_id}",
        pipeline_id=pipeline,
        stage_id=stage,
        owner=owner,
        amount=Decimal(str(amount)),
        currency=currency,
        created_at=touched - timedelta(days=1),
        updated_at=touched,
        stage_updated_at=touched,
        last_activity_at=touched,
    )


DEALS = [
    _deal("d-eur", ("p1", "lead"), 30000, "EUR", ANA_ID, 20),
    _deal("d-usd", ("p1", "lead"), 40000, "USD", BOB_ID, 20),
    _deal("d-none", ("p2", "lead"), 50000, None, ANA_ID, 30),
    _deal("d-won1", ("p1", "closed_won"), 1000, "EUR", CAROL_ID, 1),
    _deal("d-won2", ("p2", "closed_won"), 2000, "eur", CAROL_ID, 1),
]


class OwnerBrevo:
    """Brevo as the owner lookup sees it: deals filtered by an owner's e-mail."""

    def __init__(self, users: dict[str, str]) -> None:
        self.users = users
        self.requests = RequestCounter()
        self.budget = BudgetSnapshot(limit=None, remaining=None, reset_at=None, source="unknown")

    def list_deals(self, *, modified_since: Any, offset: int, limit: int, owner: Any) -> DealPage:
        self.requests.add("GET /crm/deals")
        uid = self.users.get(owner)
        items: list[Mapping[str, Any]] = (
            [{"id": "x", "attributes": {"deal_owner": uid}}] if uid else []
        )
        return DealPage(items=items, server_time=NOW)

    def prime_budget(self, spent: Any) -> None:
        pass


class RefusingLock:
    """A pull holds the mirror: whoever waits for it here fails the test."""

    @contextmanager
    def hold(self, command: str) -> Iterator[None]:
        raise AssertionError(f"{command} waited for the mirror lock")
        yield


@pytest.fixture
def brevo() -> OwnerBrevo:
    return OwnerBrevo({CAROL: CAROL_ID})


def _context(
    uow: UnitOfWorkFactory,
    brevo: OwnerBrevo,
    rules: RulesConfig = RULES,
    *,
    brevo_configured: bool = True,
) -> ServiceContext:
    return ServiceContext(
        uow=uow,
        gateway=lambda: brevo,  # type: ignore[arg-type,return-value]
        rules=lambda: rules,
        lock=lambda: RefusingLock(),
        schema=lambda: None,  # type: ignore[arg-type,return-value]
        clock=lambda: NOW,
        database="test mirror",
        brevo_configured=brevo_configured,
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWorkFactory]:
    """The same tests on the in-memory twin and on both databases."""
    if request.param == "memory":
        mirror = MemoryMirror()
        yield lambda: MemoryUnitOfWork(mirror)
        return
    if request.param == "sqlite":
        engine = create_mirror_engine(f"sqlite:///{tmp_path / 'mirror.db'}")
    else:
        url, kwargs = request.getfixturevalue("pg_schema_url")
        engine = create_mirror_engine(url, **kwargs)
    upgrade(engine)
    yield lambda: SqlUnitOfWork(engine)
    engine.dispose()


@pytest.fixture
def ctx(new_uow: UnitOfWorkFactory, brevo: OwnerBrevo) -> ServiceContext:
    with new_uow() as uow:
        uow.catalog.replace(PIPELINES, None, NOW)
        uow.deals.upsert(DEALS, NOW)
        uow.people.put(Person(ANA, ANA_ID, "brevo", NOW))
        uow.commit()
    return _context(new_uow, brevo)


def _ids(ctx: ServiceContext, **f: Any) -> set[str]:
    return {r["id"] for r in list_deals(ctx, DealFilter(limit=None, **f)).rows}


def test_a_currency_includes_deals_without_one_when_it_is_the_default(ctx: ServiceContext) -> None:
    assert _ids(ctx, currency="eur") == {"d-eur", "d-none", "d-won1", "d-won2"}
    assert _ids(ctx, currency="USD") == {"d-usd"}
    with pytest.raises(UsageError, match="no mirrored deal is in GBP; the deals are in EUR, USD"):
        _ids(ctx, currency="GBP")


def test_amounts_are_never_compared_across_currencies(ctx: ServiceContext) -> None:
    with pytest.raises(UsageError) as excinfo:
        list_deals(ctx, DealFilter(min_amount=1000))
    assert "(the selected deals are in EUR, USD); choose one with --currency" in str(excinfo.value)
    with pytest.raises(UsageError, match="--sort -amount"):
        list_deals(ctx, DealFilter(sort="-amount"))
    # EUR and no currency are one currency under the default EUR.
    renewals = list_deals(ctx, DealFilter(pipeline="renewals", min_amount=1500, sort="-amount"))
    assert [r["id"] for r in renewals.rows] == ["d-none", "d-won2"]
    assert renewals.currency == "EUR" and renewals.default_currency == "EUR"
    usd = list_deals(ctx, DealFilter(min_amount=1000, currency="usd"))
    assert [r["id"] for r in usd.rows] == ["d-usd"] and usd.default_currency is None


def test_stages_filter_on_pipeline_and_stage_together(ctx: ServiceContext) -> None:
    assert _ids(ctx, stage="closed won") == {"d-won1", "d-won2"}
    assert _ids(ctx, stage="CLOSED_WON", pipeline="Renewals") == {"d-won2"}
    with pytest.raises(UsageError, match="did you mean 'Renewals'"):
        _ids(ctx, pipeline="renewal")


def test_the_listing_says_whether_the_limit_cut_it(ctx: ServiceContext) -> None:
    cut = list_deals(ctx, DealFilter(limit=2))
    assert len(cut.rows) == 2 and cut.more
    whole = list_deals(ctx, DealFilter(limit=5))
    assert len(whole.rows) == 5 and not whole.more and whole.database == "test mirror"


def test_an_owner_known_to_the_mirror_or_the_rules_costs_nothing(
    ctx: ServiceContext, brevo: OwnerBrevo, new_uow: UnitOfWorkFactory
) -> None:
    rows = list_deals(ctx, DealFilter(owner="ANA@example.com", limit=None)).rows
    assert {r["id"] for r in rows} == {"d-eur", "d-none"}
    assert {r["owner_email"] for r in rows} == {ANA}
    with_bob = RULES.model_copy(update={"people": {"Bob@Example.com": BOB_ID}})
    bob = _context(new_uow, brevo, with_bob)
    assert _ids(bob, owner=BOB) == {"d-usd"}
    assert _ids(ctx, owner=BOB_ID) == {"d-usd"}
    assert brevo.requests.total == 0


def test_an_unknown_email_is_asked_of_brevo_once_without_the_mirror_lock(
    ctx: ServiceContext, brevo: OwnerBrevo, new_uow: UnitOfWorkFactory
) -> None:
    first = list_deals(ctx, DealFilter(owner=CAROL, limit=None))
    assert {r["id"] for r in first.rows} == {"d-won1", "d-won2"}
    assert first.looked_up == [CAROL] and first.requests == {"GET /crm/deals": 1}
    again = list_deals(ctx, DealFilter(owner=CAROL, limit=None))
    assert again.looked_up == [] and brevo.requests.total == 1
    assert {r["owner_email"] for r in again.rows} == {CAROL}
    with ctx.uow() as uow:
        run = uow.queries.status(NOW).last_run
    assert run is not None
    assert (run.command, run.outcome, run.requests_total) == ("owner lookup", "ok", 1)


def test_an_owner_nobody_knows_is_an_error_naming_the_fixes(
    ctx: ServiceContext, brevo: OwnerBrevo, new_uow: UnitOfWorkFactory
) -> None:
    unknown = r"'dan.brown@example\.com': Brevo has no deal owned by it \(known people: ana@"
    with pytest.raises(UsageError, match=unknown):
        list_deals(ctx, DealFilter(owner="dan.brown@example.com"))
    with pytest.raises(UsageError, match="when asked"):  # remembered: not asked again today
        list_deals(ctx, DealFilter(owner="dan.brown@example.com"))
    assert brevo.requests.total == 1

    offline = _context(new_uow, brevo, brevo_configured=False)
    with pytest.raises(UsageError) as excinfo:
        list_deals(offline, DealFilter(owner="ann@example.com"))
    message = str(excinfo.value)
    assert "did you mean 'ana@example.com'?" in message
    assert "`people:`" in message and "BREVO_API_KEY" in message
    with pytest.raises(UsageError, match="owns no deal in the mirror"):
        list_deals(ctx, DealFilter(owner="f" * 24))
    with pytest.raises(UsageError, match="24 hex characters"):
        list_deals(ctx, DealFilter(owner="ana"))
    assert brevo.requests.total == 1


def test_alerts_read_in_words_and_acknowledge_once(ctx: ServiceContext) -> None:
    assert not list_alerts(ctx, AlertFilter()).mirror_has_alerts
    sweep_mirror(ctx)
    stale = list_alerts(ctx, AlertFilter(rules=("stale_high_value",), limit=None)).lines
    assert {line.alert.deal_id for line in stale} == {"d-eur", "d-none"}  # never the USD one
    none = next(line for line in stale if line.alert.deal_id == "d-none")
    assert none.reason == "50,000.00 EUR open, no update for 14 days (since 2026-10-29)"
    assert none.recipient.startswith(ANA) and none.stage == "Lead (Renewals)"

    idle = list_alerts(ctx, AlertFilter(rules=("inactivity:14",), owner=ANA, limit=None)).lines
    assert {line.alert.deal_id for line in idle} == {"d-eur", "d-none"}
    assert {line.recipient for line in idle} == {"team lead"}

    first = idle[0].alert.id
    done = acknowledge_alert(ctx, first)
    assert not done.already and done.line.alert.acknowledged_at == NOW
    assert acknowledge_alert(replace(ctx, clock=lambda: NOW + timedelta(hours=1)), first).already
    still_open = list_alerts(ctx, AlertFilter(open_only=True, limit=None)).lines
    assert first not in {line.alert.id for line in still_open}
    with pytest.raises(UsageError, match="no alert #4242"):
        acknowledge_alert(ctx, 4242)


def test_stale_lists_open_high_value_deals_biggest_first(
    ctx: ServiceContext, brevo: OwnerBrevo, new_uow: UnitOfWorkFactory
) -> None:
    listing = list_stale(ctx)
    assert [(r["id"], r["days_without_update"]) for r in listing.rows] == [
        ("d-none", 30),
        ("d-eur", 20),
    ]
    assert listing.rule.currency == "EUR" and listing.rule.min_amount == Decimal(25000)
    no_rule = RULES.model_copy(update={"time_rules": TimeRulesConfig()})
    with pytest.raises(UsageError, match="no stale rule is configured"):
        list_stale(_context(new_uow, brevo, no_rule))
