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
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import structlog

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.parsing import RecordError, parse_deal
from brevo_sync.domain.sync import (
    DealPage,
    Quarantined,
    RawRecord,
    RunPosition,
    SyncState,
    completed,
    new_run,
    page_read,
)
from brevo_sync.errors import BrevoBadRequest, BrevoError, ConfigError
from brevo_sync.service.catalogue import Catalogue
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.page_write import PageWritten, write_page
from brevo_sync.service.paging import PageSizer, RepeatGuard
from brevo_sync.service.people import learn_people
from brevo_sync.service.ports import BrevoGateway
from brevo_sync.service.prefetch import Prefetch, watched
from brevo_sync.service.runs import RunHandle, recorded_run
from brevo_sync.service.sweep import SweepReport, sweep_mirror

log = structlog.get_logger(__name__)

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
        self.progress = progress
        self.sizer = PageSizer(ctx.pull.wanted_page_size, SyncState().paging)

    def run(self, *, full: bool) -> PullReport:
        ctx = self.ctx
        with ctx.uow() as uow:
            state = uow.sync.get()
            self.catalogue = Catalogue(ctx, uow.catalog.pipelines())
        run = state.run
        if run is not None and full and not run.full:
            run = None  # an unfinished incremental run is superseded by the full read asked for
        report = PullReport(full=False, resumed=run is not None)
        if run is None:
            run = new_run(state, full=full, overlap=ctx.pull.overlap, now=ctx.clock())
            if run.full:
                with ctx.uow() as uow:
                    uow.deals.defer_indexes()
                    uow.commit()
        report.full = run.full
        self.sizer = PageSizer(ctx.pull.wanted_page_size, state.paging)
        if self.catalogue.due(state, run, resumed=report.resumed):
            self.catalogue.refresh(self.gateway, attributes=True)
        self._read_deals(state, run, report)
        report.catalog_refreshed = self.catalogue.refreshed
        report.page_size = self.sizer.size
        report.page_size_learned = self.sizer.learned
        report.people_learned = learn_people(ctx, self.gateway)
        return report

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
            return watched(
                self.ctx.stop,
                lambda: self.gateway.list_deals(modified_since=since, offset=offset, limit=limit),
            )

        page, used = self.sizer.after_refusal(size, error, fetch)
        return (page, *self._parse(page.items)), used

    def _learn_new_stages(self, deals: list[Deal]) -> None:
        """An unknown pipeline or stage means the catalogue changed: re-read it, once a run."""
        unknown = self.catalogue.unknown(deals)
        if unknown and not self.catalogue.refreshed:
            log.info("unknown pipelines or stages seen, refreshing", seen=sorted(map(str, unknown)))
            self.catalogue.refresh(self.gateway, attributes=False)

    def _read_deals(self, state: SyncState, run: RunPosition, report: PullReport) -> None:
        guard = RepeatGuard()
        size = self.sizer.size
        pending = self._fetch(run.since, run.offset, size)
        while True:
            try:
                (page, deals, bad) = pending.result(self.ctx.stop)
            except BrevoBadRequest as exc:
                (page, deals, bad), size = self._refused(run.since, run.offset, size, exc)
            ids = [d.id for d in deals] + [q.record_id for q in bad if q.record_id]
            guard.check(ids, run.offset)
            self._learn_new_stages(deals)  # may call Brevo: before the next page is in flight
            done = self.sizer.after_page(size, len(page.items))
            if not done:
                size = self.sizer.size
                pending = self._fetch(run.since, run.offset + len(page.items), size)
            newest = max((d.updated_at for d in deals if d.updated_at), default=None)
            run = page_read(run, items=len(page.items), newest=newest, server_time=page.server_time)
            state = completed(state, run, self.ctx.clock()) if done else replace(state, run=run)
            state = replace(state, paging=self.sizer.facts)
            written = write_page(
                self.ctx, self.catalogue.book, deals, bad, state, full_read=run.full
            )
            self._count(report, written, items=len(page.items), quarantined=len(bad))
            if done:
                report.cursor = state.cursor
                return
            self.ctx.stop.check()  # the page in hand is safe: a stop may end the run here

    def _count(
        self, report: PullReport, page: PageWritten, *, items: int, quarantined: int
    ) -> None:
        report.pages += 1
        report.deals_read += items
        report.deals_written += page.written
        report.deals_unchanged += page.unchanged
        report.stage_changes += page.moves
        report.decisions += page.decisions
        report.quarantined += quarantined
        self.recorded.deals_written += page.written
        if self.progress is not None:
            self.progress.page(items, report.deals_written)

    def _parse(self, items: list[RawRecord]) -> tuple[list[Deal], list[Quarantined]]:
        deals: list[Deal] = []
        bad: list[Quarantined] = []
        for raw in items:
            try:
                deals.append(parse_deal(raw, self.ctx.pull.attribute_names))
            except RecordError as exc:
                record_id = raw.get("id") if isinstance(raw, dict) else None
                bad.append(Quarantined(str(record_id) if record_id else None, str(exc), raw))
                log.warning("deal quarantined", deal_id=record_id, reason=str(exc))
        return deals, bad


def expected_full_pull_requests(deals: int, page_size: int) -> int:
    """The most a full pull of `deals` may spend: every page, the empty one that can end it,
    pipelines and attributes. Tests and the benchmark hold pulls to this."""
    return math.ceil(deals / page_size) + 3
