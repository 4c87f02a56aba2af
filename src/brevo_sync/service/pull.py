"""The pull use case: mirror Brevo's deals (and their catalogue) and let the rules see every move.

How a run reads (see ports.BrevoGateway.list_deals for why creation order):
- A run is one query, `modifiedSince = since` (None on a full read), paged by offset until
  the last page (`paging.PageSizer` decides which one that is when Brevo may cut pages). Its
  position (since, offset) is committed with every page's rows, so a crash resumes the same
  query at the same offset: nothing is read twice, nothing is skipped.
- When the run completes, the cursor becomes min(newest last_updated_date seen, the server's
  clock when the run began): a deal edited while we were paging is read by the next run.
- The next run starts at cursor - overlap; deals in the overlap are re-read, not re-written.
- Each page goes through the domain: a deal whose (pipeline, stage) changed since the mirror
  last saw it is a move (`domain.moves`); its stage history row, and the rules' decisions
  about it (`rules.effects.observe_move`: probability, close date, tasks, loyalty, ...), are
  recorded in the page's own transaction, once (decisions are keyed).
- A stop request (Ctrl-C, SIGTERM) is honoured after the page in hand is committed.
Request counts (pinned by tests): a full read of N deals spends floor(N/page)+1 list calls
(the last one short, possibly empty; one more while the account has not yet shown a full page)
plus pipelines and attributes, at most ceil(N/page)+3; an incremental run with k changes at
most ceil((k+1)/page)+1, and no catalogue calls unless an unknown stage or pipeline turns up
or the refresh interval has passed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol, TypeVar

import structlog

from brevo_sync.domain.deal import Deal, Pipeline
from brevo_sync.domain.moves import StageMove, is_unchanged, latest_per_id, observed_move
from brevo_sync.domain.parsing import (
    RecordError,
    parse_attribute_catalogue,
    parse_deal,
    parse_pipelines,
)
from brevo_sync.domain.rules import Rulebook
from brevo_sync.domain.rules.events import DomainEvent
from brevo_sync.domain.sync import DealPage, Quarantined, RawRecord, RunPosition, SyncState
from brevo_sync.errors import BrevoBadRequest, BrevoError, ConfigError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.moves import decide_observed_moves
from brevo_sync.service.paging import PageSizer, RepeatGuard
from brevo_sync.service.people import learn_people
from brevo_sync.service.ports import BrevoGateway, UnitOfWork
from brevo_sync.service.prefetch import Prefetch
from brevo_sync.service.runs import RunHandle, recorded_run
from brevo_sync.service.sweep import SweepReport, sweep_mirror

log = structlog.get_logger(__name__)

T = TypeVar("T")
_ParsedPage = tuple[DealPage, list[Deal], list[Quarantined]]


class PullProgress(Protocol):
    """What a pull tells its caller while it works (the CLI draws a progress bar from it)."""

    def page(self, read: int, written: int) -> None: ...


@dataclass
class PullReport:
    full: bool
    resumed: bool
    deals_read: int = 0
    deals_written: int = 0
    deals_unchanged: int = 0
    stage_changes: int = 0  # moves between two pulls (a deal's first sight is not one)
    decisions: int = 0  # rule decisions recorded for the write path
    quarantined: int = 0
    pages: int = 0
    page_size: int = 0
    page_size_learned: str | None = None
    catalog_refreshed: bool = False
    people_learned: int = 0
    cursor: datetime | None = None
    sweep: SweepReport | None = None
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())


def pull_deals(
    ctx: ServiceContext,
    *,
    full: bool = False,
    progress: PullProgress | None = None,
    sweep: bool = True,
) -> PullReport:
    """Pull to completion (or until Brevo fails or a stop is asked: the next pull resumes),
    then sweep the time rules over the mirror. Recorded as a run, holding the mirror."""
    gateway = ctx.gateway()
    with recorded_run(ctx, "pull", gateway) as run:
        try:
            report = _Pull(ctx, gateway, progress, run).run(full=full)
        except BrevoError as exc:
            if not isinstance(exc, ConfigError):  # a setting to fix would fail again: no hint
                spent = sum(run.requests().values())
                exc.args = (
                    f"{exc} (spent {spent} requests; progress is saved, `pull` again resumes)",
                )
            raise
        if sweep:
            report.sweep = sweep_mirror(ctx)
        report.requests = run.requests()
    return report


class _Pull:
    """One pull, its state kept here so each step reads as one short method."""

    def __init__(
        self,
        ctx: ServiceContext,
        gateway: BrevoGateway,
        progress: PullProgress | None,
        recorded: RunHandle,
    ) -> None:
        self.ctx = ctx
        self.gateway = gateway
        # The recorded run counts deals written page by page: a run that fails or is stopped
        # has still written the pages it committed.
        self.recorded = recorded
        self.options = ctx.pull
        self.progress = progress
        self.rules = ctx.rules()
        self.book = Rulebook.build(self.rules, [])
        self.pipeline_ids: set[str] = set()
        self.stage_keys: set[tuple[str, str]] = set()
        self.catalog_refreshed = False
        self.sizer = PageSizer(self.options.wanted_page_size, SyncState().paging)

    def run(self, *, full: bool) -> PullReport:
        with self.ctx.uow() as uow:
            state = uow.sync.get()
            self._know(uow.catalog.pipelines())
        run = state.run
        if run is not None and full and not run.full:
            run = None  # an unfinished incremental run is superseded by the full read asked for
        report = PullReport(full=False, resumed=run is not None)
        if run is None:
            run = self._new_run(state, full=full)
            if run.full:
                with self.ctx.uow() as uow:
                    uow.deals.defer_indexes()
                    uow.commit()
        report.full = run.full
        self.sizer = PageSizer(self.options.wanted_page_size, state.paging)
        if self._catalog_due(state, run, report.resumed):
            self._refresh_catalog(attributes=True)
        self._read_deals(state, run, report)
        report.catalog_refreshed = self.catalog_refreshed
        report.page_size = self.sizer.size
        report.page_size_learned = self.sizer.learned
        report.people_learned = learn_people(self.ctx, self.gateway, self._call)
        return report

    # -- the run's shape -------------------------------------------------------------------

    def _new_run(self, state: SyncState, *, full: bool) -> RunPosition:
        full = full or state.cursor is None
        since = None if full or state.cursor is None else state.cursor - self.options.overlap
        return RunPosition(since=since, offset=0, full=full, started_at=self.ctx.clock())

    def _catalog_due(self, state: SyncState, run: RunPosition, resumed: bool) -> bool:
        if state.catalog_fetched_at is None or (run.full and not resumed):
            return True
        return self.ctx.clock() - state.catalog_fetched_at >= self.options.catalog_refresh

    def _finish(self, state: SyncState, run: RunPosition) -> SyncState:
        """The state once `run` completed: the cursor moves, the run position is cleared."""
        cursor: datetime | None
        if run.max_seen is not None:
            cursor = min(t for t in (run.max_seen, run.server_start) if t is not None)
        else:  # nothing read: a full read of an empty account still knows "up to now"
            cursor = run.server_start if run.full else state.cursor
        if cursor is not None and state.cursor is not None and not run.full:
            cursor = max(cursor, state.cursor)  # an empty window never moves the cursor back
        now = self.ctx.clock()
        return replace(
            state,
            cursor=cursor,
            run=None,
            last_success_at=now,
            last_full_at=now if run.full else state.last_full_at,
        )

    # -- Brevo -----------------------------------------------------------------------------

    def _call(self, fn: Callable[[], T]) -> T:
        """A Brevo call in a worker thread, so a stop is noticed while it waits."""
        return Prefetch(fn).result(self.ctx.stop)

    def _fetch(self, since: datetime | None, offset: int, size: int) -> Prefetch[_ParsedPage]:
        """Read and parse a page in the background, while the previous one is written."""

        def fetch() -> _ParsedPage:
            page = self.gateway.list_deals(modified_since=since, offset=offset, limit=size)
            return (page, *self._parse(page.items))

        return Prefetch(fetch)

    def _refused(
        self, since: datetime | None, offset: int, size: int, error: BrevoBadRequest
    ) -> tuple[_ParsedPage, int]:
        def fetch(limit: int) -> DealPage:
            return self._call(
                lambda: self.gateway.list_deals(modified_since=since, offset=offset, limit=limit)
            )

        page, used = self.sizer.after_refusal(size, error, fetch)
        return (page, *self._parse(page.items)), used

    def _refresh_catalog(self, *, attributes: bool) -> None:
        try:
            pipelines = parse_pipelines(self._call(self.gateway.list_pipelines))
            catalogue = (
                parse_attribute_catalogue(self._call(self.gateway.list_deal_attributes))
                if attributes
                else None
            )
        except RecordError as exc:  # deals can be quarantined one by one; the catalogue cannot
            raise BrevoError(f"Brevo answered the catalogue in an unexpected shape: {exc}") from exc
        now = self.ctx.clock()
        with self.ctx.uow() as uow:
            uow.catalog.replace(pipelines, catalogue, now)
            uow.sync.mark_catalog(now)
            uow.commit()
        self._know(pipelines)
        self.catalog_refreshed = True
        log.info("catalog refreshed", pipelines=len(pipelines), attributes=attributes)

    def _know(self, pipelines: Sequence[Pipeline]) -> None:
        self.pipeline_ids = {p.id for p in pipelines}
        self.stage_keys = {(p.id, s.id) for p in pipelines for s in p.stages}
        self.book = Rulebook.build(self.rules, pipelines)

    def _learn_new_stages(self, deals: list[Deal]) -> None:
        """An unknown pipeline or stage means the catalogue changed: re-read it, once a run."""
        unknown = {
            (d.pipeline_id, d.stage_id)
            for d in deals
            if (d.pipeline_id is not None and d.pipeline_id not in self.pipeline_ids)
            or (d.stage_id is not None and (d.pipeline_id or "", d.stage_id) not in self.stage_keys)
        }
        if unknown and not self.catalog_refreshed:
            log.info("unknown pipelines or stages seen, refreshing", seen=sorted(map(str, unknown)))
            self._refresh_catalog(attributes=False)

    # -- deals -----------------------------------------------------------------------------

    def _read_deals(self, state: SyncState, run: RunPosition, report: PullReport) -> None:
        guard = RepeatGuard()
        size = self.sizer.size
        pending = self._fetch(run.since, run.offset, size)
        while True:
            try:
                (page, deals, bad) = pending.result(self.ctx.stop)
            except BrevoBadRequest as exc:
                (page, deals, bad), size = self._refused(run.since, run.offset, size, exc)
            guard.check(
                [d.id for d in deals] + [q.record_id for q in bad if q.record_id], run.offset
            )
            self._learn_new_stages(deals)  # may call Brevo: before the next page is in flight
            done = self.sizer.after_page(size, len(page.items))
            if not done:
                size = self.sizer.size
                pending = self._fetch(run.since, run.offset + len(page.items), size)
            newest = max((d.updated_at for d in deals if d.updated_at), default=None)
            run = replace(
                run,
                offset=run.offset + len(page.items),
                max_seen=_max(run.max_seen, newest),
                server_start=run.server_start or page.server_time,
            )
            state = self._finish(state, run) if done else replace(state, run=run)
            state = replace(state, paging=self.sizer.facts)
            self._commit(deals, bad, state, report)
            report.pages += 1
            report.deals_read += len(page.items)
            report.quarantined += len(bad)
            if self.progress is not None:
                self.progress.page(len(page.items), report.deals_written)
            if done:
                report.cursor = state.cursor
                return
            self.ctx.stop.check()  # the page in hand is safe: a stop may end the run here

    def _commit(
        self, page: list[Deal], bad: list[Quarantined], state: SyncState, report: PullReport
    ) -> None:
        """One page in one transaction: rows, moves, decisions, quarantine and position."""
        now = self.ctx.clock()
        deals = latest_per_id(page)
        with self.ctx.uow() as uow:
            mirrored = uow.deals.mirrored([d.id for d in deals])
            changed = [d for d in deals if not is_unchanged(mirrored.get(d.id), d)]
            moves = [
                move
                for d in changed
                if (move := observed_move(mirrored.get(d.id), d, now)) is not None
            ]
            events = self._decide(uow, moves, changed, now)
            uow.deals.upsert(changed, now)
            uow.history.add(moves, now)
            report.decisions += uow.events.record(events, origin="pull", now=now)
            uow.deals.quarantine(bad, now)
            uow.sync.save(state)
            if state.run is None:  # the read completed: the mirror's own indexes come back
                uow.deals.restore_indexes()
            uow.commit()
        report.deals_written += len(changed)
        self.recorded.deals_written += len(changed)
        report.deals_unchanged += len(deals) - len(changed)
        report.stage_changes += sum(1 for m in moves if not m.first_sight)

    def _decide(
        self, uow: UnitOfWork, moves: list[StageMove], changed: list[Deal], now: datetime
    ) -> list[DomainEvent]:
        """The rules' decisions about the moves of this page (never about first sights)."""
        real = [m for m in moves if not m.first_sight]
        if not real:
            return []
        before = uow.deals.get([m.deal_id for m in real])
        after = {d.id: d for d in changed}
        pairs = [(before[m.deal_id], after[m.deal_id]) for m in real if m.deal_id in before]
        return decide_observed_moves(
            self.book, pairs, now, close_date_attribute=self.options.attribute_names.close_date
        )

    def _parse(self, items: list[RawRecord]) -> tuple[list[Deal], list[Quarantined]]:
        deals: list[Deal] = []
        bad: list[Quarantined] = []
        for raw in items:
            try:
                deals.append(parse_deal(raw, self.options.attribute_names))
            except RecordError as exc:
                record_id = raw.get("id") if isinstance(raw, dict) else None
                bad.append(Quarantined(str(record_id) if record_id else None, str(exc), raw))
                log.warning("deal quarantined", deal_id=record_id, reason=str(exc))
        return deals, bad


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def expected_full_pull_requests(deals: int, page_size: int) -> int:
    """The most a full pull of `deals` may spend: every page, the empty one that can end it,
    pipelines and attributes. Tests and the benchmark hold pulls to this."""
    return math.ceil(deals / page_size) + 3
