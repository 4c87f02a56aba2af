"""`deals list`: mirrored deals, filtered by the names operators type. Reads the mirror only,
except for one Brevo request the first time an owner is named by an unknown e-mail.

What it refuses rather than answer wrongly (UsageError, exit 2):
- a pipeline, stage or owner that matches nothing (`resolve`, `owners`): with the close
  matches, since an empty list after a typo would read as "no such deals";
- amounts compared or sorted across currencies: nothing converts between them, so
  `--min-amount 25000` over EUR and USD deals would compare numbers that mean different
  things. A deal without a currency counts as the rules' `default_currency`.

`--closing this-month|this-quarter|next-quarter` is seed 000's "closing this quarter": open
deals (not in a Won or Lost stage of the rules, in a stage the mirror's catalogue knows)
whose close date falls in that whole calendar period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from brevo_sync.domain.deal import Pipeline
from brevo_sync.domain.periods import CLOSING_CHOICES, Period, out_of_range
from brevo_sync.domain.reports import SORTABLE, DealQuery, DealRow
from brevo_sync.domain.rules.stages import Rulebook
from brevo_sync.errors import ConfigError, UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.owners import OwnerMatch, resolve_owner
from brevo_sync.service.ports import UnitOfWork
from brevo_sync.service.resolve import Placement, resolve_placement


@dataclass(frozen=True, slots=True)
class DealFilter:
    pipeline: str | None = None  # id or name
    stage: str | None = None  # id or name
    owner: str | None = None  # Brevo user id or e-mail
    currency: str | None = None
    min_amount: float | None = None
    max_amount: float | None = None
    created_from: date | None = None
    created_to: date | None = None
    close_from: date | None = None
    close_to: date | None = None
    include_deleted: bool = False
    sort: str = "-updated"  # a SORTABLE field, "-" in front for descending
    limit: int | None = 50
    closing: str | None = None  # this-month, this-quarter or next-quarter: open deals only
    # Only deals of these owners (as the mirror stores them: Brevo user ids, or e-mails),
    # whatever `owner` says: who a caller of the ops API may see. None: no such limit.
    owners_within: frozenset[str] | None = None

    @property
    def amount_options(self) -> list[str]:
        """The options that compare amounts (and so need a single currency)."""
        used = [("--min-amount", self.min_amount), ("--max-amount", self.max_amount)]
        options = [name for name, value in used if value is not None]
        if self.sort.lstrip("-") == "amount":
            options.append(f"--sort {self.sort}")
        return options


@dataclass
class DealListing:
    database: str
    rows: list[DealRow]
    limit: int | None
    currency: str | None = None  # the one currency the amounts are in, when it is known
    looked_up: list[str] = field(default_factory=list)  # owner e-mails asked of Brevo
    requests: dict[str, int] = field(default_factory=dict)  # what asking cost
    more: bool = False  # more deals match than the limit let through
    empty_mirror: bool = False  # no pipelines yet: nothing was ever pulled
    # The rules' default currency, given when a listed amount has no currency of its own.
    default_currency: str | None = None

    @property
    def limit_reached(self) -> bool:
        return self.limit is not None and len(self.rows) >= self.limit


def check_sort(sort: str) -> str:
    field_name = sort.removeprefix("-")
    if field_name not in SORTABLE:
        raise UsageError(
            f"--sort '{sort}': unknown field; use one of {', '.join(SORTABLE)} "
            "(a '-' in front sorts descending, e.g. --sort -amount)"
        )
    return sort


def list_deals(ctx: ServiceContext, f: DealFilter) -> DealListing:
    """The deals `f` selects, with stage, pipeline and owner names (`owner_email`)."""
    check_sort(f.sort)
    for option, day in (
        ("--created-from", f.created_from),
        ("--created-to", f.created_to),
        ("--close-from", f.close_from),
        ("--close-to", f.close_to),
    ):
        if (why := out_of_range(option, day)) is not None:
            raise UsageError(why)
    with ctx.uow() as uow:
        pipelines = uow.catalog.pipelines()
    placement = resolve_placement(pipelines, f.pipeline, f.stage)
    if f.closing is not None:
        f, placement = closing_filter(ctx, f, placement, pipelines)
    # Named owners are resolved last: every offline mistake is reported before a request.
    owner = resolve_owner(ctx, f.owner) if f.owner else OwnerMatch(frozenset())
    query = _query(f, placement, owner)
    with ctx.uow() as uow:
        query, currency = _single_currency(ctx, uow, query, f)
        # One row more than the limit says whether the limit cut the list.
        wanted = None if f.limit is None else f.limit + 1
        rows = uow.queries.find_deals(replace(query, limit=wanted))
    more = f.limit is not None and len(rows) > f.limit
    rows = rows[: f.limit] if f.limit is not None else rows
    return DealListing(
        database=ctx.database,
        rows=rows,
        limit=f.limit,
        currency=currency,
        looked_up=list(owner.looked_up),
        requests=dict(owner.requests),
        more=more,
        empty_mirror=not pipelines,
        default_currency=_default_if_needed(ctx, rows),
    )


def closing_filter(
    ctx: ServiceContext, f: DealFilter, placement: Placement, pipelines: Sequence[Pipeline]
) -> tuple[DealFilter, Placement]:
    """`--closing`: the period's close dates, and only stages that are not Won or Lost."""
    if f.close_from is not None or f.close_to is not None:
        raise UsageError("--closing and --close-from/--close-to both set the close dates: use one")
    try:
        period = Period.closing(str(f.closing), ctx.clock().date())
    except ValueError:
        raise UsageError(
            f"--closing '{f.closing}': use one of {', '.join(CLOSING_CHOICES)}"
        ) from None
    book = Rulebook.build(ctx.rules(), pipelines)
    closed = {key for key, m in book.stages.by_ids.items() if m.stage.closed}
    open_keys = frozenset(
        (p.id, s.id) for p in pipelines for s in p.stages if (p.id, s.id) not in closed
    )
    if placement.pipeline_ids is not None:
        open_keys = frozenset(k for k in open_keys if k[0] in placement.pipeline_ids)
    if placement.stage_keys is not None:
        open_keys &= placement.stage_keys
    return (
        replace(f, close_from=period.start, close_to=period.end),
        replace(placement, stage_keys=open_keys),
    )


def _query(f: DealFilter, placement: Placement, owner: OwnerMatch) -> DealQuery:
    owner_ids = owner.ids if f.owner else None
    if f.owners_within is not None:
        owner_ids = f.owners_within if owner_ids is None else owner_ids & f.owners_within
    return DealQuery(
        pipeline_ids=placement.pipeline_ids,
        stage_keys=placement.stage_keys,
        owner_ids=owner_ids,
        min_amount=f.min_amount,
        max_amount=f.max_amount,
        created_from=f.created_from,
        created_to=f.created_to,
        close_from=f.close_from,
        close_to=f.close_to,
        include_deleted=f.include_deleted,
        sort=f.sort,
        limit=f.limit,
    )


def _single_currency(
    ctx: ServiceContext, uow: UnitOfWork, query: DealQuery, f: DealFilter
) -> tuple[DealQuery, str | None]:
    """The query narrowed to `--currency`; or, when amounts are compared without one, the
    one currency the selected deals share (UsageError when they do not share one)."""
    if f.currency is not None:
        currency = f.currency.strip().upper()
        default = ctx.rules().default_currency
        everywhere = _in_default(uow.queries.currencies(DealQuery(include_deleted=True)), default)
        if currency not in everywhere:
            known = ", ".join(sorted(everywhere))
            where = f"the deals are in {known}" if known else "the mirror has no deals yet"
            raise UsageError(
                f"--currency '{f.currency}': no mirrored deal is in {currency}; {where}"
            )
        return replace(query, currency=currency, currency_default=currency == default), currency
    if not f.amount_options:
        return query, None
    raw = uow.queries.currencies(query)
    # The rules are read only when a deal lacks a currency: only then do they matter.
    found = _in_default(raw, ctx.rules().default_currency if None in raw else "")
    if len(found) <= 1:
        return query, next(iter(found), None)
    names = sorted(found)
    raise UsageError(
        f"{' and '.join(f.amount_options)} would compare amounts in different currencies "
        f"(the selected deals are in {', '.join(names)}); choose one with --currency, "
        f"e.g. --currency {names[0]}"
    )


def _in_default(currencies: set[str | None], default: str) -> set[str]:
    """Currencies as the rules read them: a deal without one is in the default currency."""
    return {default if c is None else c.upper() for c in currencies}


def _default_if_needed(ctx: ServiceContext, rows: list[DealRow]) -> str | None:
    if not any(r.get("currency") is None and r.get("amount") is not None for r in rows):
        return None
    try:
        return ctx.rules().default_currency
    except ConfigError:  # a broken rules file is `rules check`'s to report, not the list's
        return None
