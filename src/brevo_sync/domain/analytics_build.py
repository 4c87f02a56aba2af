"""Analytics figures from the mirror's groups (`analytics_facts`), by the definitions in
`domain.analytics`. Pure: the rules say which stages are Won and Lost and what each stage's
probability is; the catalogue gives names and the stage order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from brevo_sync.domain.amounts import Amounts, Rates, add, ratio
from brevo_sync.domain.analytics import (
    Analytics,
    Conversion,
    Counts,
    LossLine,
    MonthAccuracy,
    OwnerCounts,
    StageCount,
    StageTime,
    Velocity,
)
from brevo_sync.domain.analytics_facts import (
    AnalyticsScope,
    DealGroup,
    LossGroup,
    MonthStartGroup,
    StageStays,
    WonGroup,
)
from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.rules.stages import Rulebook

UNKNOWN = "(unknown)"


@dataclass(frozen=True, slots=True)
class AnalyticsFacts:
    """Everything the mirror answered for one analytics request."""

    groups: Sequence[DealGroup]
    stays: Sequence[StageStays]
    losses: Sequence[LossGroup]
    loyalty_points: int
    month_starts: Sequence[MonthStartGroup]
    won_months: Sequence[WonGroup]
    months: Sequence[date]  # the closed months forecast accuracy covers


@dataclass
class _Tally:
    open: int = 0
    won: int = 0
    lost: int = 0
    revenue: Amounts = field(default_factory=dict)
    won_by_currency: dict[str, int] = field(default_factory=dict)
    open_value: Amounts = field(default_factory=dict)
    open_by_currency: dict[str, int] = field(default_factory=dict)

    def counts(self) -> Counts:
        sizes = {c: a / self.won_by_currency[c] for c, a in self.revenue.items()}
        return Counts(
            total=self.open + self.won + self.lost,
            open=self.open,
            won=self.won,
            lost=self.lost,
            win_rate=ratio(self.won, self.won + self.lost),
            revenue=dict(self.revenue),
            average_deal_size=sizes,
            open_value=dict(self.open_value),
        )


class _Catalogue:
    """Names and order of the mirror's stages, and what the rules say of each."""

    def __init__(self, pipelines: Sequence[Pipeline], book: Rulebook) -> None:
        self.pipelines = {p.id: p for p in pipelines}
        self.book = book

    def kind(self, pipeline_id: str | None, stage_id: str | None) -> str:
        mapped = self.book.stages.find(pipeline_id, stage_id)
        return "open" if mapped is None else mapped.stage.kind

    def pipeline_name(self, pipeline_id: str | None) -> str:
        p = self.pipelines.get(pipeline_id or "")
        return p.name if p is not None else (pipeline_id or "(no pipeline)")

    def stage_name(self, pipeline_id: str | None, stage_id: str | None) -> str:
        p = self.pipelines.get(pipeline_id or "")
        s = p.stage(stage_id) if p is not None and stage_id is not None else None
        return s.name if s is not None else (stage_id or "(no stage)")

    def position(self, pipeline_id: str | None, stage_id: str | None) -> int:
        p = self.pipelines.get(pipeline_id or "")
        s = p.stage(stage_id) if p is not None and stage_id is not None else None
        return s.position if s is not None else 10**6


def build_analytics(
    scope: AnalyticsScope,
    facts: AnalyticsFacts,
    book: Rulebook,
    pipelines: Sequence[Pipeline],
    *,
    pipeline: str | None,
    owner_name: Callable[[str | None], str],
) -> Analytics:
    config = book.config
    rates = Rates(config.default_currency, config.rates)
    cat = _Catalogue(pipelines, book)
    seen: set[str] = set()

    def money(currency: str | None, amount: Decimal) -> tuple[str, Decimal]:
        code = currency or config.default_currency
        seen.add(code)
        return rates.convert(code, amount)

    whole, owners = _Tally(), dict[str, _Tally]()
    in_stage: dict[tuple[str, str], tuple[int, Amounts]] = {}
    cycle_days = cycle_deals = 0
    for g in facts.groups:
        currency, amount = money(g.currency, g.amount)
        kind = cat.kind(g.pipeline_id, g.stage_id)
        for tally in (whole, owners.setdefault(owner_name(g.owner), _Tally())):
            _count(tally, kind, g.count, currency, amount)
        key = (g.pipeline_id or "", g.stage_id or "")
        count, value = in_stage.get(key, (0, {}))
        add(value, currency, amount)
        in_stage[key] = (count + g.count, value)
        cycle_days, cycle_deals = cycle_days + g.cycle_days, cycle_deals + g.cycle_deals
    counts = whole.counts()
    cycle = _rounded(Decimal(cycle_days) / cycle_deals) if cycle_deals else None
    losses = [(g, *money(g.currency, g.amount)) for g in facts.losses]
    accuracy = _accuracy(facts, cat, money)
    return Analytics(
        period=scope.period,
        pipeline=pipeline,
        counts=counts,
        average_sales_cycle_days=cycle,
        loyalty_points_awarded=facts.loyalty_points,
        stages=_stage_counts(scope, cat, in_stage),
        conversion=_conversion(scope, cat, facts.groups, facts.losses),
        time_in_stage=_stage_times(cat, facts.stays),
        velocity=_velocity(whole, counts, cycle),
        losses_by_reason=_loss_lines((g.reason or UNKNOWN, g.count, c, a) for g, c, a in losses),
        losses_by_stage=_loss_lines(
            (_stage_label(cat, g.pipeline_id, g.last_stage_id), g.count, c, a) for g, c, a in losses
        ),
        owners=tuple(
            OwnerCounts(o, t.counts())
            for o, t in sorted(owners.items(), key=lambda i: (-(i[1].won + i[1].open), i[0]))
        ),
        accuracy=accuracy,
        currency=rates.base if rates.converts else None,
        unconverted=tuple(rates.missing(seen)),
    )


def _count(tally: _Tally, kind: str, count: int, currency: str, amount: Decimal) -> None:
    if kind == "won":
        tally.won += count
        add(tally.revenue, currency, amount)
        tally.won_by_currency[currency] = tally.won_by_currency.get(currency, 0) + count
    elif kind == "lost":
        tally.lost += count
    else:
        tally.open += count
        add(tally.open_value, currency, amount)
        tally.open_by_currency[currency] = tally.open_by_currency.get(currency, 0) + count


def _rounded(value: Decimal) -> int:
    """Math.round, as seed 000 rounds the average cycle (halves up)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _stage_label(cat: _Catalogue, pipeline_id: str | None, stage_id: str | None) -> str:
    if stage_id is None:
        return UNKNOWN
    return f"{cat.stage_name(pipeline_id, stage_id)} ({cat.pipeline_name(pipeline_id)})"


def _pipelines_in(scope: AnalyticsScope, cat: _Catalogue) -> list[Pipeline]:
    chosen = [
        p
        for p in cat.pipelines.values()
        if scope.pipeline_ids is None or p.id in scope.pipeline_ids
    ]
    return sorted(chosen, key=lambda p: (p.position, p.name))


def _stage_counts(
    scope: AnalyticsScope, cat: _Catalogue, found: dict[tuple[str, str], tuple[int, Amounts]]
) -> tuple[StageCount, ...]:
    """Every stage of the pipelines in scope (empty ones too), then stages the catalogue
    does not know that deals sit in."""
    keys = [(p.id, s.id) for p in _pipelines_in(scope, cat) for s in p.stages]
    keys += sorted(k for k in found if k not in set(keys))
    return tuple(
        StageCount(
            cat.pipeline_name(p or None),
            cat.stage_name(p or None, s or None),
            cat.kind(p, s),
            found.get((p, s), (0, {}))[0],
            found.get((p, s), (0, {}))[1],
        )
        for p, s in keys
    )


def _conversion(
    scope: AnalyticsScope,
    cat: _Catalogue,
    groups: Iterable[DealGroup],
    losses: Iterable[LossGroup],
) -> tuple[Conversion, ...]:
    """Furthest stage reached: where an open or won deal is now; for a lost deal, the stage
    it left for Lost (unknown: not counted)."""
    furthest: dict[str, dict[int, int]] = {}

    def count(pipeline_id: str | None, stage_id: str | None, n: int) -> None:
        if pipeline_id is None or stage_id is None or cat.kind(pipeline_id, stage_id) == "lost":
            return
        position = cat.position(pipeline_id, stage_id)
        if position < 10**6:
            at = furthest.setdefault(pipeline_id, {})
            at[position] = at.get(position, 0) + n

    for g in groups:
        count(g.pipeline_id, g.stage_id, g.count)
    for loss in losses:
        count(loss.pipeline_id, loss.last_stage_id, loss.count)
    out = []
    for p in _pipelines_in(scope, cat):
        steps = [s for s in p.stages if (p.id, s.id) not in scope.lost_stages]
        counts = furthest.get(p.id, {})
        reached = [sum(n for pos, n in counts.items() if pos >= s.position) for s in steps]
        for (a, n_a), (b, n_b) in pairwise(zip(steps, reached, strict=True)):
            out.append(Conversion(p.name, a.name, b.name, n_a, n_b, ratio(n_b, n_a)))
    return tuple(out)


def _stage_times(cat: _Catalogue, stays: Iterable[StageStays]) -> tuple[StageTime, ...]:
    lines = []
    for s in stays:
        average = float((s.days / s.stays).quantize(Decimal("0.1"), ROUND_HALF_UP))
        line = StageTime(
            cat.pipeline_name(s.pipeline_id),
            cat.stage_name(s.pipeline_id, s.stage_id),
            s.stays,
            average if s.stays else None,
        )
        lines.append(((line.pipeline, cat.position(s.pipeline_id, s.stage_id)), line))
    return tuple(line for _, line in sorted(lines, key=lambda i: i[0]))


def _velocity(whole: _Tally, counts: Counts, cycle: int | None) -> Velocity:
    per_day: Amounts = {}
    if counts.win_rate is not None and cycle:
        for currency, size in counts.average_deal_size.items():
            n = whole.open_by_currency.get(currency, 0)
            per_day[currency] = n * Decimal(str(counts.win_rate)) / 100 * size / cycle
    return Velocity(
        open_deals=dict(whole.open_by_currency),
        win_rate=counts.win_rate,
        average_deal_size=dict(counts.average_deal_size),
        average_sales_cycle_days=cycle,
        per_day=per_day,
    )


def _loss_lines(items: Iterable[tuple[str, int, str, Decimal]]) -> tuple[LossLine, ...]:
    found: dict[str, tuple[int, Amounts]] = {}
    for label, n, currency, amount in items:
        count, value = found.get(label, (0, {}))
        add(value, currency, amount)
        found[label] = (count + n, value)
    return tuple(
        LossLine(label, n, v)
        for label, (n, v) in sorted(found.items(), key=lambda i: (-i[1][0], i[0]))
    )


def _accuracy(
    facts: AnalyticsFacts,
    cat: _Catalogue,
    money: Callable[[str | None, Decimal], tuple[str, Decimal]],
) -> tuple[MonthAccuracy, ...]:
    forecast: dict[date, tuple[int, Amounts]] = {m: (0, {}) for m in facts.months}
    for g in facts.month_starts:
        mapped = cat.book.stages.find(g.pipeline_id, g.stage_id)
        if g.month not in forecast or (mapped is not None and mapped.stage.closed):
            continue  # closed before the month began: nothing left to forecast
        probability = None if mapped is None else mapped.stage.default_probability
        count, weighted = forecast[g.month]
        currency, amount = money(g.currency, g.amount)
        if probability is not None:
            add(weighted, currency, amount * probability / 100)
        forecast[g.month] = (count + g.count, weighted)
    won: dict[date, tuple[int, Amounts]] = {m: (0, {}) for m in facts.months}
    for w in facts.won_months:
        if w.month in won:
            count, value = won[w.month]
            add(value, *money(w.currency, w.amount))
            won[w.month] = (count + w.count, value)
    lines = []
    for month in facts.months:
        (n_f, f), (n_w, v) = forecast[month], won[month]
        rates = {c: _percent(v.get(c, Decimal(0)), f.get(c)) for c in sorted(set(f) | set(v))}
        lines.append(MonthAccuracy(month, n_f, f, n_w, v, rates))
    return tuple(lines)


def _percent(part: Decimal, whole: Decimal | None) -> float | None:
    if not whole:
        return None
    return float((part * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP))
