"""`commission`: seed 002's statement of what each seller earned on the deals won in a month.

Seed 002 ("Provisions-Regeln") splits a won deal 10/20/30/40% by the stages a seller carried
it through (NEW_LEAD -> QUALIFICATION, QUALIFICATION -> NEEDS_ANALYSIS, NEEDS_ANALYSIS ->
PROPOSAL, PROPOSAL -> CLOSED_WON). The rules (`domain.rules.commission`) read that from the
mirror's stage history: a share goes to the deal's owner at the move that earned it, so after
a takeover the earlier seller keeps what they earned, and an automatic lead pays no NEW_LEAD
share. This use case selects the deals won in the period and sums what the rules decide.

Decisions, so that every figure can be checked by hand:
- The period is a calendar month in UTC; without `--month`, the last complete one (the month
  that is paid out now). A deal is won when it entered its won stage: Brevo's
  `stage_updated_at`, else the latest move into that stage in the history, else its creation.
- A share's amount is its percent of the deal amount, in the deal's currency (a deal without
  one is in the rules' default currency), rounded to the cent once per share; a seller's total
  is the sum of those lines, per currency: amounts in two currencies are never added.
- Won deals whose pipeline has no commission rules, or that have no amount, are counted apart,
  never silently dropped. Deleted deals (tombstones) earn nothing.

Reads the mirror only (one Brevo request the first time `--owner` names an unknown e-mail).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from brevo_sync.domain.deal import Deal, Pipeline
from brevo_sync.domain.moves import StageMove
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.commission import StageStep, trace_shares
from brevo_sync.domain.rules.config import RulesConfig
from brevo_sync.domain.rules.money import Money, deal_money
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.owners import OwnerMatch, resolve_owner
from brevo_sync.service.ports import UnitOfWork

CENT = Decimal("0.01")
NO_OWNER = "(no owner recorded)"


@dataclass(frozen=True, slots=True)
class Period:
    month: str  # YYYY-MM
    start: datetime  # first instant, UTC
    end: datetime  # first instant of the next month (exclusive)


def month_period(month: str | None, now: datetime) -> Period:
    """`YYYY-MM` as a UTC period; None: the last complete month before `now`."""
    if month is None:
        year, number = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    else:
        try:
            start = datetime.strptime(month.strip(), "%Y-%m")
        except ValueError:
            raise UsageError(
                f"--month '{month}': give a calendar month as YYYY-MM, e.g. --month {now:%Y-%m}"
            ) from None
        year, number = start.year, start.month
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return Period(f"{year:04d}-{number:02d}", start, end)


@dataclass(frozen=True, slots=True)
class CommissionRequest:
    month: str | None = None  # YYYY-MM; None: the last complete month (UTC)
    owner: str | None = None  # a seller (Brevo user id or e-mail): only their shares


@dataclass(frozen=True, slots=True)
class ShareLine:
    """One share of one won deal, earned by one seller at one move."""

    seller: str | None  # the deal's owner at the move, as recorded (a Brevo user id)
    seller_name: str  # their e-mail when known, else the id
    deal_id: str
    deal_name: str | None
    pipeline: str
    won_at: datetime
    from_stage: str
    to_stage: str
    percent: Decimal
    earned_at: datetime  # when the move that earned it happened
    deal_amount: Money | None
    amount: Money | None  # the share of the deal amount, to the cent; None without an amount


@dataclass(frozen=True, slots=True)
class SellerTotal:
    seller: str | None
    seller_name: str
    deals: int
    amounts: dict[str, Decimal]  # currency -> sum of the seller's lines


@dataclass
class CommissionReport:
    database: str
    period: Period
    lines: list[ShareLine]  # by seller, then by when the deal was won
    sellers: list[SellerTotal]
    totals: dict[str, Decimal]  # currency -> all shown lines
    won_deals: int  # won in the period in pipelines with commission rules
    commission_pipelines: list[str]  # mirrored pipelines that have commission rules
    without_rules: dict[str, int] = field(default_factory=dict)  # pipeline -> won deals
    without_amount: list[str] = field(default_factory=list)  # won deals with no amount
    without_shares: list[str] = field(default_factory=list)  # won deals no move earned
    owner: str | None = None  # the seller asked for (e-mail or id)
    looked_up: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    empty_mirror: bool = False


def commission_report(ctx: ServiceContext, request: CommissionRequest) -> CommissionReport:
    """The statement for the deals won in `request.month` (see the module docstring)."""
    period = month_period(request.month, ctx.clock())
    owner = resolve_owner(ctx, request.owner) if request.owner else None
    rules = ctx.rules()
    with ctx.uow() as uow:
        pipelines = uow.catalog.pipelines()
        book = Rulebook.build(rules, pipelines)
        won = uow.commission.won_between(won_stages(book), period.start, period.end)
        covered = [d for d in won if _has_rules(book, d)]
        histories = uow.commission.histories([d.id for d in covered])
        sellers = {m.owner for moves in histories.values() for m in moves if m.owner}
        names = seller_names(uow, rules, sellers)
    names_by_id = pipeline_names(pipelines)
    covered_ids = {d.id for d in covered}
    lines: list[ShareLine] = []
    report = CommissionReport(
        database=ctx.database,
        period=period,
        lines=lines,
        sellers=[],
        totals={},
        won_deals=len(covered),
        commission_pipelines=[p.name for p in pipelines if p.id in commission_pipeline_ids(book)],
        owner=(owner.email or request.owner) if owner else None,
        looked_up=list(owner.looked_up) if owner else [],
        requests=dict(owner.requests) if owner else {},
        empty_mirror=not pipelines,
    )
    for deal in won:
        if deal.id not in covered_ids:
            name = names_by_id.get(deal.pipeline_id or "", deal.pipeline_id or "?")
            report.without_rules[name] = report.without_rules.get(name, 0) + 1
    for deal in covered:
        moves = histories.get(deal.id, [])
        deal_lines = share_lines(book, deal, moves, names, names_by_id, rules.default_currency)
        if not deal_lines:
            report.without_shares.append(deal.id)
        elif deal.amount is None:
            report.without_amount.append(deal.id)
        lines += [line for line in deal_lines if _wanted(line, owner)]
    lines.sort(key=lambda line: (line.seller_name, line.won_at, line.deal_id, line.earned_at))
    report.sellers = seller_totals(lines)
    report.totals = currency_totals(lines)
    return report


def won_stages(book: Rulebook) -> frozenset[tuple[str, str]]:
    """(pipeline id, stage id) of every mapped won stage."""
    return frozenset(
        key for key, mapped in book.stages.by_ids.items() if mapped.stage.kind == "won"
    )


def commission_pipeline_ids(book: Rulebook) -> set[str]:
    """Mirrored pipelines whose rules have commission shares."""
    return {m.pipeline_id for m in book.stages.by_ids.values() if m.pipeline.commission}


def _has_rules(book: Rulebook, deal: Deal) -> bool:
    here = book.locate(deal)
    return here is not None and here.pipeline.commission is not None


def _wanted(line: ShareLine, owner: OwnerMatch | None) -> bool:
    return owner is None or (line.seller is not None and line.seller in owner.ids)


def steps_of(moves: Iterable[StageMove]) -> list[StageStep]:
    return [StageStep(m.from_stage_id, m.to_stage_id, m.changed_at, m.owner) for m in moves]


def won_at(deal: Deal, moves: Sequence[StageMove]) -> datetime | None:
    """When the deal entered its stage (as the SQL `won_at()` the period is selected by)."""
    entered = [m.changed_at for m in moves if m.to_stage_id == deal.stage_id]
    return deal.stage_updated_at or max(entered, default=None) or deal.created_at


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def share_lines(
    book: Rulebook,
    deal: Deal,
    moves: Sequence[StageMove],
    names: dict[str, str],
    pipelines: dict[str, str],
    default_currency: str,
) -> list[ShareLine]:
    """One line per share the deal's history earned (the rules' `trace_shares`)."""
    money = deal_money(deal, default_currency)
    when = won_at(deal, moves) or datetime.min.replace(tzinfo=UTC)
    pipeline = pipelines.get(deal.pipeline_id or "", deal.pipeline_id or "?")
    lines = []
    for trace in trace_shares(book, deal, steps_of(moves)):
        earned = trace.earned
        if earned is None:
            continue
        amount = None
        if money is not None:
            amount = Money(cents(money.percent(earned.percent).amount), money.currency)
        lines.append(
            ShareLine(
                seller=earned.seller,
                seller_name=seller_name(earned.seller, names),
                deal_id=deal.id,
                deal_name=deal.name,
                pipeline=pipeline,
                won_at=when,
                from_stage=earned.from_stage,
                to_stage=earned.to_stage,
                percent=earned.percent,
                earned_at=earned.at,
                deal_amount=money,
                amount=amount,
            )
        )
    return lines


def seller_totals(lines: Sequence[ShareLine]) -> list[SellerTotal]:
    """Per seller (in the lines' order): deals with a share, and the sum per currency."""
    by_seller: dict[str | None, tuple[str, set[str], dict[str, Decimal]]] = {}
    for line in lines:
        _, deals, amounts = by_seller.setdefault(line.seller, (line.seller_name, set(), {}))
        deals.add(line.deal_id)
        if line.amount is not None:
            currency = line.amount.currency
            amounts[currency] = amounts.get(currency, Decimal(0)) + line.amount.amount
    return [
        SellerTotal(seller, name, len(deals), dict(sorted(amounts.items())))
        for seller, (name, deals, amounts) in by_seller.items()
    ]


def currency_totals(lines: Sequence[ShareLine]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for line in lines:
        if line.amount is not None:
            currency = line.amount.currency
            totals[currency] = totals.get(currency, Decimal(0)) + line.amount.amount
    return dict(sorted(totals.items()))


def seller_names(uow: UnitOfWork, rules: RulesConfig, sellers: Iterable[str]) -> dict[str, str]:
    """E-mail of each seller id: the mirror's people, else the rules' `people:` map."""
    given = {uid: email.lower() for email, uid in rules.people.items()}
    return {**given, **uow.people.by_user_id(sorted(set(sellers)))}


def seller_name(seller: str | None, names: dict[str, str]) -> str:
    if seller is None:
        return NO_OWNER
    return names.get(seller, seller)


def pipeline_names(pipelines: Sequence[Pipeline]) -> dict[str, str]:
    return {p.id: p.name for p in pipelines}
