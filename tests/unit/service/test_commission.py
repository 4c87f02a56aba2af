"""`commission` on the in-memory mirror: seed 002's statement for a month, worked out by hand
in `tests/commission_mirror.py` (a takeover, an automatic lead, a skip, two currencies, the
month's edges), `--owner`, and `--explain`."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from brevo_sync.adapters.memory import MemoryMirror, MemoryUnitOfWork
from brevo_sync.errors import UsageError
from brevo_sync.service.commission import (
    CommissionReport,
    CommissionRequest,
    commission_report,
    month_period,
)
from brevo_sync.service.commission_explain import explain_commission
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import UnitOfWorkFactory
from tests.commission_mirror import (
    ANA,
    BOB,
    BOB_ID,
    CAROL_ID,
    NOW,
    OCTOBER_LINES,
    OCTOBER_SELLERS,
    OCTOBER_TOTALS,
    RULES,
    fill,
)


def _no_brevo() -> Any:
    raise AssertionError("the commission statement never calls Brevo here")


def commission_context(uow: UnitOfWorkFactory) -> ServiceContext:
    return ServiceContext(
        uow=uow,
        gateway=_no_brevo,
        rules=lambda: RULES,
        lock=_no_brevo,
        schema=_no_brevo,
        clock=lambda: NOW,
        database="test mirror",
        brevo_configured=False,
    )


@pytest.fixture
def mirror() -> MemoryMirror:
    mirror = MemoryMirror()
    fill(lambda: MemoryUnitOfWork(mirror))
    return mirror


@pytest.fixture
def ctx(mirror: MemoryMirror) -> ServiceContext:
    return commission_context(lambda: MemoryUnitOfWork(mirror))


def lines_of(report: CommissionReport) -> list[tuple[Any, ...]]:
    return [
        (
            line.seller_name,
            line.deal_id,
            line.from_stage,
            int(line.percent),
            None if line.amount is None else f"{line.amount.amount}",
            None if line.amount is None else line.amount.currency,
        )
        for line in report.lines
    ]


def assert_october(report: CommissionReport) -> None:
    """The statement worked out by hand in tests/commission_mirror.py."""
    assert report.period.month == "2026-10"
    assert lines_of(report) == OCTOBER_LINES
    assert {s.seller_name: (s.deals, s.amounts) for s in report.sellers} == OCTOBER_SELLERS
    assert report.totals == OCTOBER_TOTALS
    assert report.won_deals == 5  # acme, globex, initech, seen, noamt
    assert report.without_rules == {"Enterprise Sales": 1}
    assert report.without_shares == ["d-seen"]
    assert report.without_amount == ["d-noamt"]


def test_the_last_complete_month_by_default_worked_out_by_hand(ctx: ServiceContext) -> None:
    report = commission_report(ctx, CommissionRequest())
    assert_october(report)
    assert report.period.start == datetime(2026, 10, 1, tzinfo=UTC)
    assert report.period.end == datetime(2026, 11, 1, tzinfo=UTC)
    acme = [line for line in report.lines if line.deal_id == "d-acme"]
    assert {line.seller for line in acme} == {"a" * 24, BOB_ID}  # the takeover
    assert all(line.deal_amount and line.deal_amount.currency == "EUR" for line in acme)


def test_a_deal_won_at_midnight_belongs_to_the_new_month(ctx: ServiceContext) -> None:
    november = commission_report(ctx, CommissionRequest(month="2026-11"))
    assert lines_of(november) == [(ANA, "d-nov", "PROPOSAL", 40, "2000.00", "EUR")]
    assert november.totals == {"EUR": Decimal("2000.00")}
    assert commission_report(ctx, CommissionRequest(month="2026-09")).lines == []


def test_one_sellers_statement_includes_deals_others_won(ctx: ServiceContext) -> None:
    bob = commission_report(ctx, CommissionRequest(month="2026-10", owner="BOB@example.com"))
    assert {line.deal_id for line in bob.lines} == {"d-acme", "d-initech"}
    assert bob.totals == {"EUR": Decimal("8234.56")} and bob.owner == BOB
    # Ana owns neither October deal she earned on any more: her shares are hers all the same.
    ana = commission_report(ctx, CommissionRequest(month="2026-10", owner=ANA))
    assert [s.amounts for s in ana.sellers] == [OCTOBER_SELLERS[ANA][1]]
    carol = commission_report(ctx, CommissionRequest(month="2026-10", owner=CAROL_ID))
    assert carol.totals == {"USD": Decimal("1750.00")}


def test_an_unknown_owner_or_month_is_refused_with_a_hint(ctx: ServiceContext) -> None:
    with pytest.raises(UsageError, match=r"did you mean 'ana@example\.com'"):
        commission_report(ctx, CommissionRequest(owner="ann@example.com"))
    with pytest.raises(UsageError, match="YYYY-MM"):
        commission_report(ctx, CommissionRequest(month="2026-13"))
    with pytest.raises(UsageError, match="YYYY-MM"):
        commission_report(ctx, CommissionRequest(month="October"))


def test_the_default_month_in_january_is_last_december() -> None:
    period = month_period(None, datetime(2027, 1, 1, 0, 0, tzinfo=UTC))
    assert (period.month, period.start, period.end) == (
        "2026-12",
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_tombstones_earn_nothing(mirror: MemoryMirror, ctx: ServiceContext) -> None:
    mirror.tombstone("d-initech", NOW)
    report = commission_report(ctx, CommissionRequest(month="2026-10"))
    assert "d-initech" not in {line.deal_id for line in report.lines}
    assert report.totals["EUR"] == Decimal("10000.00")


def test_explain_traces_every_figure_to_its_move(ctx: ServiceContext) -> None:
    acme = explain_commission(ctx, "d-acme")
    assert acme.payable and acme.month == "2026-10" and acme.owner_name == BOB
    assert [(m.from_stage, m.to_stage, m.seller_name, m.earned) for m in acme.moves] == [
        (None, "NEW_LEAD", ANA, ()),
        ("NEW_LEAD", "QUALIFICATION", ANA, ("10% NEW_LEAD -> QUALIFICATION",)),
        ("QUALIFICATION", "NEEDS_ANALYSIS", ANA, ("20% QUALIFICATION -> NEEDS_ANALYSIS",)),
        ("NEEDS_ANALYSIS", "PROPOSAL", BOB, ("30% NEEDS_ANALYSIS -> PROPOSAL",)),
        ("PROPOSAL", "NEGOTIATION", BOB, ()),
        ("NEGOTIATION", "CLOSED_WON", BOB, ("40% PROPOSAL -> CLOSED_WON",)),
    ]
    assert [(name, str(m.amount)) for name, m in acme.totals] == [
        (ANA, "3000.00"),
        (BOB, "7000.00"),
    ]

    initech = explain_commission(ctx, "d-initech")
    skip = next(m for m in initech.moves if m.from_stage == "NEW_LEAD")
    assert len(skip.earned) == 2  # one move, two shares

    globex = explain_commission(ctx, "d-globex")
    assert globex.automatic_lead and globex.source == "web_form"
    first = globex.shares[0]
    assert first.seller_name is None and "automatic lead" in (first.reason or "")


def test_explain_says_why_nothing_is_payable(ctx: ServiceContext) -> None:
    seen = explain_commission(ctx, "d-seen")
    assert seen.payable and not seen.totals
    assert all("no move in the stage history crossed" in (s.reason or "") for s in seen.shares)

    still_open = explain_commission(ctx, "d-open")
    assert not still_open.won and not still_open.payable and still_open.month is None
    earned = [s for s in still_open.shares if s.seller_name]
    assert [int(s.percent) for s in earned] == [10, 20, 30]  # earned, not payable yet
    assert all(s.amount is None for s in earned)

    enterprise = explain_commission(ctx, "d-ent")
    assert not enterprise.has_rules and enterprise.shares == []
    with pytest.raises(UsageError, match="no such deal"):
        explain_commission(ctx, "d-nothing")
