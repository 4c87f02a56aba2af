"""The forecast (seed 000 `DealForecasting.generateForecast`), from groups of deals.

Which deals: every live deal not in a Lost stage whose close date falls in the time frame
(both days included); deals without a close date are counted apart (`undated`), never
dropped. Total = the sum of amounts; weighted = the sum of amount x effective probability
(`rules.probability.effective_probability`: the stage's default, the deal's own override
while it stays in the stage it was set in, Won 100, Lost 0). A deal whose stage has no
probability (seed 002's open stages have none) adds to the total, not to the weighted sum,
and is counted in `without_probability`. A deal without an amount counts, with 0.

Categories (as CRMs show them) go by the probability of the deal's stage: a Won stage is
`closed`; an open stage at `forecast.commit_from` % or more (80) is `commit`, at
`forecast.best_case_from` % or more (40) `best_case`, the rest `pipeline`. The cumulative
roll-up adds each category to those before it: closed, closed + commit, ... + pipeline.

The mirror answers with `ForecastGroup`s (deals summed per pipeline, stage, owner, currency,
close month and override value, in SQL); this module weighs and rolls them up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from brevo_sync.domain.amounts import Amounts, Rates, add, amounts_json, total
from brevo_sync.domain.deal import Deal
from brevo_sync.domain.periods import Period
from brevo_sync.domain.rules.config import ForecastConfig, StageConfig
from brevo_sync.domain.rules.probability import effective_probability, read_override
from brevo_sync.domain.rules.stages import Rulebook

CATEGORIES = ("closed", "commit", "best_case", "pipeline")


@dataclass(frozen=True, slots=True)
class ForecastScope:
    """What the mirror is asked: live deals of `pipeline_ids` (None: all) outside
    `lost_stages`, with a close date in `period` or none at all."""

    period: Period
    lost_stages: frozenset[tuple[str, str]]
    pipeline_ids: frozenset[str] | None = None
    probability_attribute: str = "probability"
    probability_stage_attribute: str = "probability_stage"


@dataclass(frozen=True, slots=True)
class ForecastGroup:
    """Deals alike in everything the forecast tells apart, summed."""

    pipeline_id: str | None
    stage_id: str | None
    owner: str | None
    currency: str | None  # upper case; None: the deal has none (the default currency)
    month: str | None  # close month `YYYY-MM`; None: no close date
    override: str | None  # the probability attribute (as text) when set in this stage
    count: int
    amount: Decimal  # deals without an amount add 0


@dataclass(frozen=True, slots=True)
class Figures:
    count: int = 0
    total: Amounts = field(default_factory=dict)
    weighted: Amounts = field(default_factory=dict)

    def plus(self, other: Figures) -> Figures:
        return Figures(
            self.count + other.count,
            total([self.total, other.total]),
            total([self.weighted, other.weighted]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "total": amounts_json(self.total),
            "weighted": amounts_json(self.weighted),
        }


@dataclass(frozen=True, slots=True)
class StageLine:
    pipeline: str
    stage: str
    probability: int | None  # the stage's default
    category: str
    figures: Figures

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "stage": self.stage,
            **self.figures.to_json(),
            "probability": self.probability,
            "category": self.category,
        }


@dataclass(frozen=True, slots=True)
class CategoryLine:
    category: str
    figures: Figures
    cumulative: Figures  # this category and every one before it

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            **self.figures.to_json(),
            "cumulative": self.cumulative.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Forecast:
    """The forecast of `period`; every amount per currency (or in `currency` when converted)."""

    period: Period
    pipeline: str | None  # the pipeline(s) asked for, by name; None: all
    figures: Figures  # dated deals in the period
    undated: Figures
    without_probability: Figures  # dated deals whose weight is unknown (in `figures` too)
    by_stage: tuple[StageLine, ...]
    by_owner: tuple[tuple[str, Figures], ...]  # owner e-mail (or id; "" for none)
    by_month: tuple[tuple[str, Figures], ...]
    categories: tuple[CategoryLine, ...]
    currency: str | None = None  # converted into this one by the rules' rate table
    unconverted: tuple[str, ...] = ()  # currencies the rate table has no rate for

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "pipeline": self.pipeline,
            **self.figures.to_json(),
            "undated": self.undated.to_json(),
            "by_stage": [line.to_json() for line in self.by_stage],
            "by_owner": [{"owner": o, **f.to_json()} for o, f in self.by_owner],
            "by_month": [{"month": m, **f.to_json()} for m, f in self.by_month],
            "categories": [line.to_json() for line in self.categories],
            "without_probability": self.without_probability.to_json(),
            "currency": self.currency,
            "unconverted": list(self.unconverted),
        }


def category(stage: StageConfig | None, config: ForecastConfig) -> str:
    """The forecast category of a stage (see the module docstring)."""
    if stage is None:
        return "pipeline"
    if stage.kind == "won":
        return "closed"
    probability = stage.default_probability
    if probability is not None and probability >= config.commit_from:
        return "commit"
    if probability is not None and probability >= config.best_case_from:
        return "best_case"
    return "pipeline"


def group_probability(book: Rulebook, group: ForecastGroup) -> int | None:
    """The effective probability of the group's deals: as `deal_probability` of a deal with
    the group's stage and override (the same function, so the mirror and the rules agree)."""
    mapped = book.stages.find(group.pipeline_id, group.stage_id)
    if mapped is None:
        return None
    names = book.config.attributes
    attributes = {}
    if group.override is not None:
        attributes = {names.probability: group.override, names.probability_stage: mapped.stage_id}
    override = read_override(Deal(id="", attributes=attributes), names)
    return effective_probability(mapped.stage, mapped.stage_id, override)


@dataclass
class _Sums:
    count: int = 0
    total: Amounts = field(default_factory=dict)
    weighted: Amounts = field(default_factory=dict)

    def add(self, count: int, currency: str, amount: Decimal, weighted: Decimal | None) -> None:
        self.count += count
        add(self.total, currency, amount)
        if weighted is not None:
            add(self.weighted, currency, weighted)

    def frozen(self) -> Figures:
        return Figures(self.count, dict(self.total), dict(self.weighted))


def build_forecast(
    scope: ForecastScope,
    groups: Iterable[ForecastGroup],
    book: Rulebook,
    *,
    pipeline: str | None,
    stage_names: Mapping[tuple[str, str], tuple[str, str, int]],
    owner_name: Callable[[str | None], str],
) -> Forecast:
    """Weigh and roll up the mirror's groups. `stage_names`: (pipeline id, stage id) ->
    (pipeline name, stage name, position) from the mirror's catalogue."""
    config = book.config
    rates = Rates(config.default_currency, config.rates)
    figures, undated, unknown = _Sums(), _Sums(), _Sums()
    stages: dict[tuple[str, str], _Sums] = {}
    owners: dict[str, _Sums] = {}
    months: dict[str, _Sums] = {}
    seen: set[str] = set()
    for g in groups:
        currency = g.currency or config.default_currency
        seen.add(currency)
        currency, amount = rates.convert(currency, g.amount)
        probability = group_probability(book, g)
        weighted = None if probability is None else amount * probability / 100
        if g.month is None:
            undated.add(g.count, currency, amount, weighted)
            continue
        figures.add(g.count, currency, amount, weighted)
        if probability is None:
            unknown.add(g.count, currency, amount, None)
        key = (g.pipeline_id or "", g.stage_id or "")
        stages.setdefault(key, _Sums()).add(g.count, currency, amount, weighted)
        owners.setdefault(owner_name(g.owner), _Sums()).add(g.count, currency, amount, weighted)
        months.setdefault(g.month, _Sums()).add(g.count, currency, amount, weighted)
    by_stage = _stage_lines(book, stages, stage_names)
    return Forecast(
        period=scope.period,
        pipeline=pipeline,
        figures=figures.frozen(),
        undated=undated.frozen(),
        without_probability=unknown.frozen(),
        by_stage=by_stage,
        by_owner=tuple((o, s.frozen()) for o, s in sorted(owners.items(), key=_biggest)),
        by_month=tuple((m, s.frozen()) for m, s in sorted(months.items())),
        categories=_categories(by_stage),
        currency=rates.base if rates.converts else None,
        unconverted=tuple(rates.missing(seen)),
    )


def _biggest(item: tuple[str, _Sums]) -> tuple[int, str]:
    return (-item[1].count, item[0])


def _stage_lines(
    book: Rulebook,
    stages: dict[tuple[str, str], _Sums],
    names: Mapping[tuple[str, str], tuple[str, str, int]],
) -> tuple[StageLine, ...]:
    lines = []
    for key, sums in stages.items():
        mapped = book.stages.find(*key)
        pipeline, stage, position = names.get(key, (key[0], key[1], 10**6))
        lines.append(
            (
                (pipeline, position, stage),
                StageLine(
                    pipeline=pipeline or "(no pipeline)",
                    stage=stage or "(no stage)",
                    probability=None if mapped is None else mapped.stage.default_probability,
                    category=category(
                        None if mapped is None else mapped.stage, book.config.forecast
                    ),
                    figures=sums.frozen(),
                ),
            )
        )
    return tuple(line for _, line in sorted(lines, key=lambda item: item[0]))


def _categories(lines: Iterable[StageLine]) -> tuple[CategoryLine, ...]:
    by_category = {c: Figures() for c in CATEGORIES}
    for line in lines:
        by_category[line.category] = by_category[line.category].plus(line.figures)
    out, running = [], Figures()
    for name in CATEGORIES:
        running = running.plus(by_category[name])
        out.append(CategoryLine(name, by_category[name], running))
    return tuple(out)
