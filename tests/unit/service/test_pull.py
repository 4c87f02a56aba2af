"""`pull_deals` on the in-memory mirror: what it reads, what it writes, what it spends."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.reports import MirrorStatus
from brevo_sync.errors import BrevoError, BrevoUnavailable, Interrupted
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.pull import expected_full_pull_requests, pull_deals
from brevo_sync.service.rules_check import mirror_pipelines
from brevo_sync.service.status import mirror_status
from brevo_sync.service.stop import StopToken
from tests.fakes import LIST, FakeBrevo
from tests.unit.service.support import ATTRIBUTES, PAGE, PIPELINES, mirrored, pull, remote


def status(ctx: ServiceContext) -> MirrorStatus:
    return mirror_status(ctx, requests_per_hour=1000).mirror


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 35])
def test_a_full_read_mirrors_every_deal_for_its_pinned_requests(
    ctx: ServiceContext, brevo: FakeBrevo, n: int
) -> None:
    brevo.add(n)
    report = pull(ctx)
    assert mirrored(ctx) == remote(brevo)
    assert report.full and not report.resumed and report.deals_written == n
    # Every page, the short (or empty) one that ends it, and one more while the account has
    # not shown a full page: a short first page may be a page the server cut.
    unproven = 1 if 0 < n < PAGE else 0
    assert report.requests == {LIST: n // PAGE + 1 + unproven, PIPELINES: 1, ATTRIBUTES: 1}
    assert report.requests_total <= expected_full_pull_requests(n, PAGE)
    assert report.cursor == brevo.now  # the newest deal, or the server clock when empty
    recorded = status(ctx).last_run
    assert recorded is not None and recorded.requests == report.requests  # the run's spending


def test_an_incremental_pull_without_changes_spends_one_request(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(35)
    pull(ctx)
    brevo.tick(60)
    report = pull(ctx)
    assert report.requests == {LIST: 1}
    assert not report.full and report.deals_written == 0
    assert report.deals_unchanged == 6  # the overlap (5 s) re-reads the newest, writes nothing


@pytest.mark.parametrize("k", [1, 5, 9, 10, 25])
def test_an_incremental_pull_of_k_changes_stays_within_its_bound(
    ctx: ServiceContext, brevo: FakeBrevo, k: int
) -> None:
    ids = brevo.add(40)
    pull(ctx)
    brevo.tick(60)
    for deal_id in ids[:k]:
        brevo.edit(deal_id, amount=5000.0)
    report = pull(ctx)
    read = k + 6  # the k edits and the 6 deals of the overlap window, in creation order
    assert report.deals_read == read and report.deals_written == k
    assert report.requests == {LIST: read // PAGE + 1}  # the page size is proven: no extra
    assert report.requests_total <= math.ceil((k + 1) / PAGE) + 1
    assert mirrored(ctx) == remote(brevo)


def test_a_failed_read_resumes_where_it_stopped_without_rereading(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(95)
    brevo.fail_on_call = 4  # pages 1-3 are committed; the 4th request fails
    with pytest.raises(BrevoUnavailable, match=r"spent 6 requests; progress is saved"):
        pull(ctx)
    assert len(mirrored(ctx)) == 30
    failed = status(ctx)
    assert failed.unfinished_run is not None and failed.unfinished_run.offset == 30
    assert failed.last_run is not None and failed.last_run.outcome == "failed"
    assert failed.last_run.requests == {LIST: 4, PIPELINES: 1, ATTRIBUTES: 1}
    assert "503" in (failed.last_run.detail or "")

    brevo.fail_on_call = None
    calls_before = len(brevo.calls)
    report = pull(ctx)
    assert report.resumed and report.full
    assert brevo.list_offsets()[calls_before:] == [30, 40, 50, 60, 70, 80, 90]
    assert report.requests == {LIST: 7}  # the catalogue of the interrupted run still holds
    assert report.deals_read == 65 and report.deals_written == 65
    assert mirrored(ctx) == remote(brevo)
    assert status(ctx).unfinished_run is None


def test_a_stop_after_a_page_keeps_it_and_the_next_pull_goes_on(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(25)

    class StopAfterFirstPage:
        def page(self, read: int, written: int) -> None:
            ctx.stop.request("terminated")

    with pytest.raises(Interrupted, match="terminated"):
        pull_deals(ctx, progress=StopAfterFirstPage(), sweep=False)
    assert len(mirrored(ctx)) == PAGE
    stopped = status(ctx).last_run
    assert stopped is not None and stopped.outcome == "interrupted"
    assert stopped.detail == "terminated" and stopped.deals_written == PAGE

    calls_before = len(brevo.calls)
    report = pull(replace(ctx, stop=StopToken()))
    assert report.resumed and brevo.list_offsets()[calls_before:] == [10, 20]
    assert mirrored(ctx) == remote(brevo)


def test_a_bad_record_is_quarantined_and_the_pull_goes_on(
    ctx: ServiceContext, brevo: FakeBrevo, mirror: MemoryMirror
) -> None:
    brevo.add(3)
    brevo.deals[1]["attributes"]["amount"] = "lots"
    report = pull(ctx)
    assert report.quarantined == 1 and report.deals_written == 2
    (bad,) = mirror.quarantined()
    assert bad.record_id == brevo.deals[1]["id"] and bad.resource == "deals"
    assert "amount" in bad.reason and "lots" in bad.reason
    assert bad.raw["attributes"]["amount"] == "lots"
    assert status(ctx).quarantined == 1
    assert brevo.deals[1]["id"] not in mirrored(ctx)


def test_an_unknown_stage_refreshes_the_pipelines_once(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    first, second, *_ = brevo.add(PAGE + 2)  # a full page proves the page size
    pull(ctx)
    brevo.pipelines[0]["stages"].append({"id": "s-demo", "name": "Demo"})
    brevo.tick(10)
    brevo.edit(first, deal_stage="s-demo")
    brevo.edit(second, deal_stage="s-demo")  # a second unknown sighting costs nothing more
    report = pull(ctx)
    assert report.requests == {LIST: 1, PIPELINES: 1}  # no attributes: not due
    assert report.catalog_refreshed and report.stage_changes == 2
    (pipeline,) = mirror_pipelines(ctx)
    assert [s.id for s in pipeline.stages][-1] == "s-demo"


def test_the_catalogue_is_read_again_after_the_refresh_interval(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(PAGE + 2)
    pull(ctx)
    brevo.tick(23 * 3600)
    assert pull(ctx).requests == {LIST: 1}
    brevo.tick(3600)
    report = pull(ctx)
    assert report.requests == {LIST: 1, PIPELINES: 1, ATTRIBUTES: 1}
    assert report.catalog_refreshed


def test_a_full_pull_rereads_everything_and_writes_nothing_unchanged(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(12)
    pull(ctx)
    report = pull(ctx, full=True)
    assert report.full and report.deals_read == 12
    assert report.deals_written == 0 and report.deals_unchanged == 12
    assert report.requests == {LIST: 2, PIPELINES: 1, ATTRIBUTES: 1}  # a full read re-reads both


def test_a_malformed_catalogue_is_a_brevo_error_and_nothing_is_kept(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(3)
    brevo.pipelines = {"not": "a list"}  # type: ignore[assignment]
    with pytest.raises(BrevoError, match="unexpected shape"):
        pull(ctx)
    with ctx.uow() as uow:
        assert uow.sync.get().cursor is None
        assert uow.catalog.pipelines() == []
