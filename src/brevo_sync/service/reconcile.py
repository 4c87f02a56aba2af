"""The reconcile use case: walk Brevo's complete deal list, compare it with the mirror, and
(with `repair`) make the mirror exact: missing deals written, drifted ones rewritten, deleted
ones tombstoned.

How a walk goes (values in `domain/reconcile.py`):
- Pages of `GET /crm/deals` in creation order, ascending, from offset 0, at the size the pull
  learned (`SyncState.paging`). Each page is compared with the mirror and, in the same
  transaction, its ids join the walk's seen set and the walk's position moves on; a repair
  goes through the pull's own page writing (`page_write.write_page`: moves, rules' decisions,
  changes of ours on their way). A crash or a stop resumes at the next page.
- Once the last page is read, every live mirrored deal created before the walk began that it
  did not see is a suspect, asked for once with `GET /crm/deals/{id}`: a 404 is a deletion
  (a tombstone with `repair`), a 200 a deal the walk skipped because the list shrank under its
  offset (compared and repaired like the walk's). Then the walk is complete and the next run
  starts a new one. Requests: the walk's pages plus one GET per suspect, never more.
- A run spends at most `ctx.reconcile_budget_share` of the budget window (`Allowance`) and
  stops at a page boundary when that is spent; the next run goes on from there.
Without `repair` nothing in the mirror changes but the walk's own state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import structlog

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.moves import latest_per_id
from brevo_sync.domain.parsing import RecordError, parse_deal
from brevo_sync.domain.reconcile import (
    Allowance,
    Finding,
    ReconcileState,
    Walk,
    WalkTally,
    compare,
    estimated_total,
)
from brevo_sync.domain.sync import DealPage, RawRecord
from brevo_sync.errors import BrevoBadRequest, BrevoError, BrevoNotFound, ConfigError
from brevo_sync.service.catalogue import Catalogue
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.page_write import write_page
from brevo_sync.service.paging import PageSizer, RepeatGuard
from brevo_sync.service.ports import BrevoGateway, UnitOfWork
from brevo_sync.service.prefetch import watched
from brevo_sync.service.reconcile_report import ReconcileProgress, ReconcileReport
from brevo_sync.service.runs import RunHandle, recorded_run

log = structlog.get_logger(__name__)

# Suspects read from the mirror at a time while they are asked for.
SUSPECT_BATCH = 50


def reconcile(
    ctx: ServiceContext, *, repair: bool = False, progress: ReconcileProgress | None = None
) -> ReconcileReport:
    """One run of the walk (see the module doc), recorded as a run holding the mirror."""
    gateway = ctx.gateway()
    with recorded_run(ctx, "reconcile", gateway) as run:
        try:
            report = _Reconcile(ctx, gateway, run, repair, progress).run()
        except BrevoError as exc:
            if not isinstance(exc, ConfigError):
                spent = sum(run.requests().values())
                exc.args = (
                    f"{exc} (spent {spent} requests; the walk is saved, "
                    "`reconcile` again resumes it)",
                )
            raise
        report.requests = run.requests()
    return report


class _Reconcile:
    def __init__(
        self,
        ctx: ServiceContext,
        gateway: BrevoGateway,
        run: RunHandle,
        repair: bool,
        progress: ReconcileProgress | None,
    ) -> None:
        self.ctx = ctx
        self.gateway = gateway
        self.recorded = run
        self.repair = repair
        self.progress = progress
        self.allowance = Allowance(ctx.reconcile_budget_share)
        self.report = ReconcileReport(repair=repair, budget_share=self.allowance.share)

    def left(self) -> int:
        """Requests this run may still spend."""
        budget = self.gateway.budget
        cap = self.allowance.cap(budget)
        if cap is not None:
            self.report.allowance = cap
        return self.allowance.left(budget, sum(self.recorded.requests().values()))

    def run(self) -> ReconcileReport:
        ctx = self.ctx
        with ctx.uow() as uow:
            self.state = uow.reconcile.get()
            self.sync = uow.sync.get()
            self.catalogue = Catalogue(ctx, uow.catalog.pipelines())
            live = uow.reconcile.live_deals()
        self.sizer = PageSizer(ctx.pull.wanted_page_size, self.sync.paging)
        walk = self.state.walk
        report = self.report
        report.resumed = walk is not None
        if walk is not None:
            walk = replace(walk, runs=walk.runs + 1)
        if walk is None or walk.phase == "walk":
            walk = self._walk(walk)
        if walk is not None and walk.phase == "confirm":
            walk = self._confirm(walk)
        report.estimated_total = estimated_total(walk, self.state.last_total, live)
        report.estimated_pages = math.ceil(report.estimated_total / self.sizer.size) + 1
        if walk is not None:
            report.walk_started_at = walk.started_at
            report.walk_pages, report.walk_deals = walk.pages, walk.deals
            report.walk_tally = walk.tally
            report.phase = walk.phase
        return report

    # -- the walk --------------------------------------------------------------------------

    def _fetch(self, offset: int, size: int) -> tuple[DealPage, int]:
        def fetch(limit: int) -> DealPage:
            return watched(
                self.ctx.stop,
                lambda: self.gateway.list_deals(modified_since=None, offset=offset, limit=limit),
            )

        try:
            return fetch(size), size
        except BrevoBadRequest as exc:
            return self.sizer.after_refusal(size, exc, fetch)

    def _walk(self, walk: Walk | None) -> Walk | None:
        guard = RepeatGuard()
        report = self.report
        while True:
            if self.left() <= 0:
                return walk
            offset = walk.offset if walk is not None else 0
            page, size = self._fetch(offset, self.sizer.size)
            if walk is None:  # a new walk: deals created from now on cannot be suspects
                walk = Walk(started_at=page.server_time or self.ctx.clock())
                with self.ctx.uow() as uow:
                    uow.reconcile.clear_seen()
                    uow.commit()
            deals, unreadable = self._parse(page.items)
            ids = [d.id for d in deals] + unreadable
            guard.check(ids, offset)
            done = self.sizer.after_page(size, len(page.items))
            findings, to_write = self._compare(deals)
            tally = WalkTally(
                missing=sum(1 for f in findings if f.kind == "missing"),
                drifted=sum(1 for f in findings if f.kind != "missing"),
            )
            walk = walk.page_read(len(page.items), tally)
            if done:
                walk = replace(walk, phase="confirm")
            walk = self._save(walk, to_write, seen=ids)
            report.pages += 1
            report.deals_walked += len(page.items)
            report.unreadable += len(unreadable)
            if self.progress is not None:
                self.progress.page(len(page.items), report.repaired)
            if done:
                return walk
            self.ctx.stop.check()  # the page in hand is saved: a stop may end the run here

    def _parse(self, items: Sequence[RawRecord]) -> tuple[list[Deal], list[str]]:
        deals: list[Deal] = []
        unreadable: list[str] = []
        for raw in items:
            try:
                deals.append(parse_deal(raw, self.ctx.pull.attribute_names))
            except RecordError:
                record_id = raw.get("id") if isinstance(raw, dict) else None
                if record_id:
                    unreadable.append(str(record_id))
        return deals, unreadable

    def _compare(self, page: Sequence[Deal]) -> tuple[list[Finding], list[Deal]]:
        """What the mirror gets wrong about these deals, and the deals a repair writes."""
        deals = latest_per_id(page)
        ids = [d.id for d in deals]
        with self.ctx.uow() as uow:
            placed = uow.deals.mirrored(ids)
            mirrored = uow.deals.get(ids)
            ours = uow.outbox.open_updates(ids)
        findings: list[Finding] = []
        to_write: list[Deal] = []
        for deal in deals:
            entry = placed.get(deal.id)
            finding = compare(mirrored.get(deal.id), entry is not None and entry.deleted, deal)
            if finding is None:
                continue
            if finding.kind != "missing" and deal.id in ours:
                self.report.pending_local += 1  # our change on its way: the push settles it
                continue
            self.report.found(finding)
            findings.append(finding)
            to_write.append(deal)
        return findings, to_write

    def _save(
        self,
        walk: Walk,
        deals: Sequence[Deal],
        *,
        seen: Sequence[str] = (),
        gone: Sequence[str] = (),
    ) -> Walk:
        """One transaction: the repairs (with `repair`), the accounted ids, the walk's
        position, and page-size facts the walk learned. Returns the walk as saved."""
        ctx = self.ctx
        to_write = list(deals) if self.repair else []
        tombstoned = 0
        if to_write and self.catalogue.unknown(to_write) and not self.catalogue.refreshed:
            self.catalogue.refresh(self.gateway, attributes=False)  # as a pull would, once
        now = ctx.clock()

        def also(uow: UnitOfWork) -> None:
            nonlocal tombstoned
            uow.reconcile.mark_seen(seen)
            if self.repair:
                tombstoned = uow.reconcile.tombstone(gone, now)
            else:
                uow.reconcile.mark_seen(gone, gone=True)
            tally = WalkTally(repaired=len(to_write), tombstoned=tombstoned)
            uow.reconcile.save(replace(self.state, walk=replace(walk, tally=walk.tally + tally)))
            if self.sizer.facts != self.sync.paging:
                current = uow.sync.get()
                uow.sync.save(replace(current, paging=self.sizer.facts))

        if to_write:
            written = write_page(
                ctx,
                self.catalogue.book,
                to_write,
                [],
                None,
                full_read=True,
                rewrite=True,
                also=also,
            )
            self.recorded.deals_written += written.written
        else:
            with ctx.uow() as uow:
                also(uow)
                uow.commit()
        self.sync = replace(self.sync, paging=self.sizer.facts)
        self.report.repaired += len(to_write)
        self.report.tombstoned += tombstoned
        return replace(
            walk, tally=walk.tally + WalkTally(repaired=len(to_write), tombstoned=tombstoned)
        )

    # -- the suspects ----------------------------------------------------------------------

    def _confirm(self, walk: Walk) -> Walk | None:
        """Ask Brevo for each suspect once; complete the walk when none is left."""
        report = self.report
        while True:
            left = self.left()
            with self.ctx.uow() as uow:
                limit = max(1, min(left, SUSPECT_BATCH))
                batch = uow.reconcile.suspects(walk.started_at, limit=limit)
            if not batch:
                self._complete(walk)
                return None
            for deal_id in batch:
                if self.left() <= 0:
                    with self.ctx.uow() as uow:
                        report.suspects_left = uow.reconcile.count_suspects(walk.started_at)
                    return walk
                walk = self._check(walk, deal_id)
                report.suspects_checked += 1
                self.ctx.stop.check()

    def _check(self, walk: Walk, deal_id: str) -> Walk:
        try:
            raw = watched(self.ctx.stop, lambda: self.gateway.get_deal(deal_id))
        except BrevoNotFound:
            self.report.went(deal_id)
            walk = replace(walk, tally=walk.tally + WalkTally(gone=1))
            return self._save(walk, [], gone=[deal_id])
        self.report.skipped_by_paging += 1
        deals, unreadable = self._parse([raw])
        self.report.unreadable += len(unreadable)
        findings, to_write = self._compare(deals)
        tally = WalkTally(
            missing=sum(1 for f in findings if f.kind == "missing"),
            drifted=sum(1 for f in findings if f.kind != "missing"),
        )
        walk = replace(walk, tally=walk.tally + tally)
        return self._save(walk, to_write, seen=[deal_id])

    def _complete(self, walk: Walk) -> None:
        self.state = ReconcileState(
            walk=None,
            last_completed_at=self.ctx.clock(),
            last_total=walk.deals,
            walks_completed=self.state.walks_completed + 1,
        )
        with self.ctx.uow() as uow:
            uow.reconcile.clear_seen()
            uow.reconcile.save(self.state)
            uow.commit()
        report = self.report
        report.phase = "complete"
        report.ended_by = "complete"
        report.walk_started_at = walk.started_at
        report.walk_pages, report.walk_deals = walk.pages, walk.deals
        report.walk_tally = walk.tally
        log.info("reconcile walk complete", deals=walk.deals, pages=walk.pages, runs=walk.runs)


def expected_walk_requests(deals: int, page_size: int) -> int:
    """The most a complete walk's pages may cost: every page, the empty one that can end it,
    and one more while the account has not shown a full page."""
    return math.floor(deals / page_size) + 2
