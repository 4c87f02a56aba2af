"""Recorded runs: how each one ended and what it spent, on every way out; one at a time."""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager, nullcontext

import pytest

from brevo_sync.domain.budget import BudgetSnapshot
from brevo_sync.domain.runs import RunInfo
from brevo_sync.errors import BrevoUnavailable, Interrupted, MirrorBusy
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.pull import pull_deals
from brevo_sync.service.runs import recorded_run
from brevo_sync.service.status import mirror_status
from tests.fakes import FakeBrevo
from tests.unit.service.support import ATTRIBUTES, PIPELINES


def last_run(ctx: ServiceContext) -> RunInfo:
    run = mirror_status(ctx, 1000).mirror.last_run
    assert run is not None
    return run


WAYS_OUT = [
    (None, "ok", None),
    (BrevoUnavailable("GET /crm/deals: 503"), "failed", "GET /crm/deals: 503"),
    (ValueError("boom"), "failed", "internal error: ValueError: boom"),
    (Interrupted("terminated"), "interrupted", "terminated"),
    (KeyboardInterrupt(), "interrupted", "stopped at once"),
]


@pytest.mark.parametrize(("error", "outcome", "detail"), WAYS_OUT)
def test_every_way_out_records_the_outcome_and_the_requests(
    ctx: ServiceContext,
    brevo: FakeBrevo,
    error: BaseException | None,
    outcome: str,
    detail: str | None,
) -> None:
    brevo.list_pipelines()  # spent before the run: not the run's
    started = brevo.now
    leaves: AbstractContextManager[object] = (
        nullcontext() if error is None else pytest.raises(type(error))
    )
    with leaves, recorded_run(ctx, "pull", brevo) as run:
        brevo.list_pipelines()
        brevo.list_deal_attributes()
        run.deals_written = 3
        brevo.tick(5)
        if error is not None:
            raise error
    assert last_run(ctx) == RunInfo(
        id=run.id,
        command="pull",
        started_at=started,
        outcome=outcome,  # type: ignore[arg-type]
        finished_at=brevo.now,
        requests={PIPELINES: 1, ATTRIBUTES: 1},
        deals_written=3,
        detail=detail,
    )
    with ctx.uow() as uow:
        assert uow.runs.running() == []
    assert mirror_status(ctx, 1000).mirror.budget == BudgetSnapshot(100, 97, None)


def test_a_run_is_recorded_as_running_while_it_works(ctx: ServiceContext) -> None:
    with recorded_run(ctx, "sweep") as run:
        with ctx.uow() as uow:
            (running,) = uow.runs.running()
        assert (running.id, running.command, running.outcome) == (run.id, "sweep", "running")
        assert mirror_status(ctx, 1000).mirror.last_run is None  # none has finished
    assert last_run(ctx).outcome == "ok"


def test_the_requests_of_earlier_runs_prime_the_budget(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    with recorded_run(ctx, "pull", brevo):
        brevo.list_pipelines()
        brevo.list_pipelines()
    first_end = brevo.now
    brevo.tick(30 * 60)
    with recorded_run(ctx, "pull", brevo):
        assert brevo.primed == [(first_end, 2)]
    brevo.tick(31 * 60)  # the first run is over an hour old now; the second spent nothing
    with recorded_run(ctx, "pull", brevo):
        assert brevo.primed == []


def test_a_second_run_while_one_holds_the_mirror_is_refused(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    with recorded_run(ctx, "pull"):
        started = time.monotonic()
        busy = pytest.raises(MirrorBusy, match=r"holds the mirror memory \(pull\)")
        with busy, recorded_run(ctx, "sweep"):
            pass  # pragma: no cover - never reached
        assert 0.2 <= time.monotonic() - started < 2  # a short wait, then the refusal
    refused = last_run(ctx)
    assert (refused.id, refused.command) == (1, "pull")  # the refused run left no record
    with recorded_run(ctx, "sweep"):  # free again once the first run ended
        pass
    assert last_run(ctx).command == "sweep"


def test_a_pull_waits_for_a_run_in_another_thread_then_gives_up(
    ctx: ServiceContext, brevo: FakeBrevo
) -> None:
    brevo.add(3)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with recorded_run(ctx, "sweep"):
            holding.set()
            release.wait(5)

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert holding.wait(5)
        with pytest.raises(MirrorBusy, match=r"\(sweep\)"):
            pull_deals(ctx)
        assert brevo.requests.total == 0  # refused before spending anything
    finally:
        release.set()
        other.join(5)
    assert pull_deals(ctx).deals_written == 3
