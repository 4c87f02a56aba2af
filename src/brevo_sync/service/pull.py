"""The pull use case: mirror Brevo's deals (and their catalogue) into the local database.

How a run reads (see ports.BrevoGateway.list_deals for why creation order):
- A run is one query, `modifiedSince = since` (None on a full read), paged by offset until a
  short page. Its position (since, offset) is saved with every page's rows, so a crash resumes
  the same query at the same offset: nothing is read twice, nothing is skipped.
- When the run completes, the cursor becomes min(newest last_updated_date seen, the server's
  clock when the run began). Taking the server clock bounds it: a deal edited while we were
  paging (behind our offset) has a newer timestamp and is read by the next run.
- The next run starts at cursor - overlap. The overlap absorbs clock granularity and whether
  Brevo's "since" is inclusive (unverified): the deals in it are re-read but not re-written.
- Deletes shift an offset-paged list; they are the one edit a run can miss a neighbour by.
  A full read (`pull --full`, later the reconcile) is the backstop, as for deletes themselves.
Request counts (pinned by tests): a full read of N deals spends floor(N/page)+1 list calls
(the last one short, possibly empty) plus pipelines and attributes, at most ceil(N/page)+3;
an incremental run with k changes reads k deals plus the overlap's newest one(s), at most
ceil((k+1)/page)+1 list calls, and no catalogue calls unless an unknown stage turns up or
the refresh interval has passed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from brevo_sync.domain.deal import Deal
from brevo_sync.domain.parsing import (
    AttributeNames,
    RecordError,
    parse_attribute_catalogue,
    parse_deal,
    parse_pipelines,
)
from brevo_sync.domain.sync import DealPage, Quarantined, RawRecord, RunPosition, SyncState
from brevo_sync.errors import BrevoError
from brevo_sync.service.ports import BrevoGateway, MirrorStore
from brevo_sync.service.prefetch import Prefetch

log = structlog.get_logger(__name__)

_ParsedPage = tuple[DealPage, list[Deal], list[Quarantined]]


@dataclass(frozen=True, slots=True)
class PullOptions:
    page_size: int = 100
    overlap: timedelta = timedelta(seconds=60)
    catalog_refresh: timedelta = timedelta(hours=24)
    attribute_names: AttributeNames = field(default_factory=AttributeNames)


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
    stage_changes: int = 0
    quarantined: int = 0
    pages: int = 0
    catalog_refreshed: bool = False
    cursor: datetime | None = None
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())


class _Pull:
    """One pull, its state kept here so each step reads as one short method."""

    def __init__(
        self,
        gateway: BrevoGateway,
        store: MirrorStore,
        options: PullOptions,
        clock: Callable[[], datetime],
        progress: PullProgress | None,
    ) -> None:
        self.gateway = gateway
        self.store = store
        self.options = options
        self.clock = clock
        self.progress = progress
        self.known_stages: set[str] = set()
        self.catalog_refreshed = False

    def run(self, *, full: bool) -> PullReport:
        mark = self.gateway.requests.snapshot()
        state = self.store.sync_state()
        run = state.run
        if run is not None and full and not run.full:
            run = None  # an unfinished incremental run is superseded by the full read asked for
        report = PullReport(full=False, resumed=run is not None)
        if run is None:
            run = self._new_run(state, full=full)
            if run.full:
                self.store.prepare_full_read()
        report.full = run.full
        self.known_stages = self.store.known_stage_ids()
        try:
            if self._catalog_due(state, run, report.resumed):
                self._refresh_catalog(attributes=True)
            self._read_deals(state, run, report)
        finally:
            report.catalog_refreshed = self.catalog_refreshed
            report.requests = self.gateway.requests.since(mark)
            self.store.save_budget(self.gateway.budget)
        return report

    def _new_run(self, state: SyncState, *, full: bool) -> RunPosition:
        full = full or state.cursor is None
        since = None if full or state.cursor is None else state.cursor - self.options.overlap
        return RunPosition(since=since, offset=0, full=full, started_at=self.clock())

    def _catalog_due(self, state: SyncState, run: RunPosition, resumed: bool) -> bool:
        if state.catalog_fetched_at is None or (run.full and not resumed):
            return True
        return self.clock() - state.catalog_fetched_at >= self.options.catalog_refresh

    def _refresh_catalog(self, *, attributes: bool) -> None:
        try:
            pipelines = parse_pipelines(self.gateway.list_pipelines())
            catalogue = (
                parse_attribute_catalogue(self.gateway.list_deal_attributes())
                if attributes
                else None
            )
        except RecordError as exc:  # deals can be quarantined one by one; the catalogue cannot
            raise BrevoError(f"Brevo answered the catalogue in an unexpected shape: {exc}") from exc
        self.store.replace_catalog(pipelines, catalogue, self.clock())
        self.known_stages = {s.id for p in pipelines for s in p.stages}
        self.catalog_refreshed = True
        log.info("catalog refreshed", pipelines=len(pipelines), attributes=attributes)

    def _read_deals(self, state: SyncState, run: RunPosition, report: PullReport) -> None:
        size = self.options.page_size
        pending = self._fetch(run.since, run.offset)
        while True:
            page, deals, bad = pending.result()
            self._learn_new_stages(deals)  # may call Brevo: before the next page is in flight
            done = len(page.items) < size
            if not done:
                pending = self._fetch(run.since, run.offset + len(page.items))
            newest = max((d.updated_at for d in deals if d.updated_at), default=None)
            run = replace(
                run,
                offset=run.offset + len(page.items),
                max_seen=_max(run.max_seen, newest),
                server_start=run.server_start or page.server_time,
            )
            state = self._finish(state, run) if done else replace(state, run=run)
            outcome = self.store.commit_page(deals, bad, state, self.clock())
            report.pages += 1
            report.deals_read += len(page.items)
            report.deals_written += outcome.written
            report.deals_unchanged += outcome.unchanged
            report.stage_changes += outcome.stage_changes
            report.quarantined += len(bad)
            if self.progress is not None:
                self.progress.page(len(page.items), outcome.written)
            if done:
                report.cursor = state.cursor
                return

    def _fetch(self, since: datetime | None, offset: int) -> Prefetch[_ParsedPage]:
        """Read and parse a page in the background. Parsing there too lets it run while the
        database writes the previous page (SQLite releases the GIL while it works)."""
        size = self.options.page_size

        def fetch() -> _ParsedPage:
            page = self.gateway.list_deals(modified_since=since, offset=offset, limit=size)
            return (page, *self._parse(page.items))

        return Prefetch(fetch)

    def _finish(self, state: SyncState, run: RunPosition) -> SyncState:
        """The state once `run` completed: the cursor moves, the run position is cleared."""
        cursor: datetime | None
        if run.max_seen is not None:
            cursor = min(t for t in (run.max_seen, run.server_start) if t is not None)
        else:  # nothing read: a full read of an empty account still knows "up to now"
            cursor = run.server_start if run.full else state.cursor
        if cursor is not None and state.cursor is not None and not run.full:
            cursor = max(cursor, state.cursor)  # an empty window never moves the cursor back
        now = self.clock()
        return SyncState(
            cursor=cursor,
            run=None,
            last_success_at=now,
            last_full_at=now if run.full else state.last_full_at,
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

    def _learn_new_stages(self, deals: list[Deal]) -> None:
        """An unknown stage id means the pipelines changed: re-read them, once per run."""
        unknown = {d.stage_id for d in deals if d.stage_id and d.stage_id not in self.known_stages}
        if unknown and not self.catalog_refreshed:
            log.info("unknown stage ids seen, refreshing pipelines", stages=sorted(unknown))
            self._refresh_catalog(attributes=False)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def pull(
    gateway: BrevoGateway,
    store: MirrorStore,
    *,
    options: PullOptions,
    clock: Callable[[], datetime],
    full: bool = False,
    progress: PullProgress | None = None,
) -> PullReport:
    """Run one pull to completion (or until Brevo fails; the next pull resumes)."""
    return _Pull(gateway, store, options, clock, progress).run(full=full)


def expected_full_pull_requests(deals: int, page_size: int) -> int:
    """The most a full pull of `deals` may spend: every page, the empty one that can end it,
    pipelines and attributes. Tests and the benchmark hold pulls to this."""
    return math.ceil(deals / page_size) + 3


__all__ = ["BrevoError", "PullOptions", "PullReport", "expected_full_pull_requests", "pull"]
