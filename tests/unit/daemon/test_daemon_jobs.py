"""The daemon's jobs on the in-memory mirror with a fast clock (FakeBrevo's): what an idle
simulated day costs with and without webhook hints, that a change is still seen within the
interval in force, shared claims, and the budget's priorities."""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from dataclasses import replace
from datetime import timedelta

import pytest

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.jobs import JobName, JobSpec
from brevo_sync.domain.outbox import Effect
from brevo_sync.domain.polling import PollPolicy
from brevo_sync.domain.rules import RulesConfig
from brevo_sync.service.context import PushOptions, ServiceContext
from brevo_sync.service.daemon import DaemonJobs, DaemonOptions
from brevo_sync.service.daemon_steps import request_early_pull
from brevo_sync.service.inbox import accept_delivery
from tests.fakes import FakeBrevo
from tests.unit.service.support import memory_context
from tests.unit.service.test_inbox import creations, delivery, rows
from tests.unit.service.test_inbox import setup as inbox_setup

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
STEP = timedelta(seconds=30)  # how often the simulated scheduler looks


def _specs() -> dict[JobName, JobSpec]:
    return {
        "inbox": JobSpec("inbox", timedelta(seconds=5)),
        "renewals": JobSpec("renewals", DAY),
        "push": JobSpec("push", timedelta(seconds=15)),
        "pull": JobSpec("pull", MINUTE),
        "sweep": JobSpec("sweep", 15 * MINUTE),
        "reconcile": JobSpec("reconcile", DAY),
    }


def _jobs(ctx: ServiceContext, *, hints: bool, replica: str = "r1", **kw: object) -> DaemonJobs:
    options = DaemonOptions(
        specs=_specs(),
        poll=PollPolicy(base=MINUTE, ceiling=15 * MINUTE, hinted=HOUR if hints else None),
        replica=replica,
        **kw,  # type: ignore[arg-type]
    )
    return DaemonJobs(ctx, lambda: nullcontext(ctx), options)


def _pull_times(brevo: FakeBrevo) -> list[float]:
    return [c.since.timestamp() if c.since else 0.0 for c in brevo.calls]


def _simulate(jobs: DaemonJobs, brevo: FakeBrevo, period: timedelta) -> list[tuple[float, int]]:
    """Look every STEP for `period`; (seconds since start, requests so far) after each look."""
    start, seen = brevo.now, []
    while brevo.now - start < period:
        jobs.run_due()
        seen.append(((brevo.now - start).total_seconds(), brevo.requests.total))
        brevo.tick(STEP.total_seconds())
    return seen


@pytest.fixture
def warm() -> tuple[MemoryMirror, FakeBrevo, ServiceContext]:
    """A mirror that has pulled its 30 deals once (the first full read is not idle)."""
    mirror, brevo = MemoryMirror(), FakeBrevo()
    brevo.add(30)
    ctx = memory_context(mirror, brevo)
    _jobs(ctx, hints=False).run_due()
    return mirror, brevo, ctx


@pytest.mark.parametrize(("hints", "most"), [(True, 48), (False, 300)])
def test_an_idle_simulated_day_costs_few_requests(
    warm: tuple[MemoryMirror, FakeBrevo, ServiceContext], hints: bool, most: int
) -> None:
    _, brevo, ctx = warm
    jobs = _jobs(ctx, hints=hints)
    before = brevo.requests.total
    seen = _simulate(jobs, brevo, DAY)
    spent = brevo.requests.total - before
    assert spent <= most
    hourly = Counter(int(t // 3600) for t, _ in _deltas(seen, before))
    if hints:
        lists = [c for c in brevo.calls if c.owner is None and c.since is not None]
        assert len(lists) <= 26  # the hourly safety poll
        assert max(hourly.values()) <= 2 + 4  # one poll an hour (+ the daily delete check)
    print(f"idle day, hints={hints}: {spent} requests")  # the figure for bench/RESULTS.md


def _deltas(seen: list[tuple[float, int]], before: int) -> list[tuple[float, int]]:
    """One entry per request, at the look that spent it."""
    out, last = [], before
    for t, total in seen:
        out += [(t, 1)] * (total - last)
        last = total
    return out


def test_a_change_is_seen_within_the_interval_in_force(
    warm: tuple[MemoryMirror, FakeBrevo, ServiceContext],
) -> None:
    _, brevo, ctx = warm
    jobs = _jobs(ctx, hints=False)
    _simulate(jobs, brevo, 3 * HOUR)  # idle: backed off to the ceiling
    with ctx.uow() as uow:
        slot = uow.jobs.get("pull")
    assert slot is not None and slot.interval_seconds == 15 * 60
    changed_at = brevo.now
    brevo.edit("d000003", amount=4242.0)
    while True:
        jobs.run_due()
        with ctx.uow() as uow:
            deal = uow.deals.get(["d000003"])["d000003"]
        if deal.amount == 4242:
            break
        brevo.tick(STEP.total_seconds())
    assert brevo.now - changed_at <= 15 * MINUTE + STEP
    with ctx.uow() as uow:
        slot = uow.jobs.get("pull")
    assert slot is not None and slot.interval_seconds == 60  # tightened


def test_a_hint_pulls_early_on_every_replica(
    warm: tuple[MemoryMirror, FakeBrevo, ServiceContext],
) -> None:
    _, brevo, ctx = warm
    jobs = _jobs(ctx, hints=True)
    _simulate(jobs, brevo, 10 * MINUTE)
    brevo.edit("d000004", amount=99.0)
    request_early_pull(ctx, timedelta(seconds=2))
    assert _jobs(ctx, hints=True, replica="r2").run("pull") is None  # the debounce
    brevo.tick(3)
    assert _jobs(ctx, hints=True, replica="r2").run("pull") is not None
    with ctx.uow() as uow:
        assert uow.deals.get(["d000004"])["d000004"].amount == 99


def test_one_replica_runs_a_due_job_and_a_dead_ones_claim_expires(
    warm: tuple[MemoryMirror, FakeBrevo, ServiceContext],
) -> None:
    _, brevo, ctx = warm
    brevo.tick(3600)
    with ctx.uow() as uow:  # replica r1 claims the pull, then dies
        assert uow.jobs.claim("pull", replica="r1", now=brevo.now, until=brevo.now + MINUTE)
        uow.commit()
    other = _jobs(ctx, hints=False, replica="r2")
    assert other.run("pull") is None
    brevo.tick(61)
    finished = other.run("pull")
    assert finished is not None and finished.outcome == "ok"
    with ctx.uow() as uow:
        runs = uow.jobs.runs_since(brevo.now - DAY, "pull")
    assert [(r.seq, r.replica) for r in runs][-2:] == [(2, "r1"), (3, "r2")]
    assert runs[-2].finished_at is None and runs[-1].outcome == "ok"


def test_inbox_rows_a_dead_replica_claimed_are_processed_once_its_job_claim_expires() -> None:
    brevo, ctx = inbox_setup()
    ctx = replace(ctx, push=PushOptions(claim_ttl=timedelta(seconds=90)))
    accept_delivery(ctx, delivery("7001", route="shopify", sent="w1"))
    with ctx.uow() as uow:  # replica r1 claims the row for its job's lease, then dies
        assert uow.inbox.claim(("order",), brevo.now, lease_until=brevo.now + MINUTE, limit=5)
        uow.commit()
    other = _jobs(ctx, hints=False, replica="r2")
    brevo.tick(30)
    assert other.run("inbox") is not None
    assert [r.state for r in rows(ctx)] == ["pending"]  # still r1's
    brevo.tick(31)
    finished = other.run("inbox")
    assert finished is not None and finished.detail is not None
    assert finished.detail.startswith("1 processed")
    (row,) = rows(ctx)
    assert row.state == "done" and row.attempts == 2
    assert len(creations(ctx)) == 1
    # r2 dies mid-batch in turn (after its claim, before the rows are settled): the rows are
    # left to the others for the job's claim (90 s), not for the inbox's default 5 minutes.
    accept_delivery(ctx, delivery("7002", route="shopify", sent="w2"))

    def dies() -> RulesConfig:
        raise SystemExit("killed")

    brevo.tick(6)  # the inbox job is due again
    with pytest.raises(SystemExit):
        _jobs(replace(ctx, rules=dies), hints=False, replica="r2").run("inbox")
    held = [r for r in rows(ctx) if r.state == "pending"]
    assert [r.next_attempt_at for r in held] == [brevo.now + timedelta(seconds=90)]


def test_a_small_budget_sends_changes_first_and_defers_delete_detection(
    warm: tuple[MemoryMirror, FakeBrevo, ServiceContext],
) -> None:
    _, brevo, ctx = warm
    with ctx.uow() as uow:  # ten deals to update: ten PATCHes waiting
        effects = [
            Effect(
                key=f"upd:{i}",
                kind="update_deal",
                deal_id=f"d{i:06d}",
                payload={"attributes": {"amount": 10 + i}},
            )
            for i in range(10)
        ]
        uow.outbox.add(effects, origin="local", now=brevo.now)
        uow.commit()
    brevo.tick(DAY.total_seconds() + 60)  # every job due, the delete check too
    jobs = _jobs(ctx, hints=False, requests_per_hour=12)
    done = jobs.run_due()
    assert done["push"] is not None and done["push"].outcome == "ok"
    assert len(brevo.patches) == 10
    assert done["reconcile"] is not None and done["reconcile"].outcome == "deferred"
    assert "kept for changes to send" in (done["reconcile"].detail or "")
