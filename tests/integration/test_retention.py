"""`db prune` through the service on the in-memory mirror, SQLite and PostgreSQL: old run
records folded per command with their totals kept, the daemon's old run log and processed
deliveries deleted, everything else (newest runs, pending deliveries, the mirror) kept; a
dry run reports the same and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from brevo_sync.adapters.memory import MemoryMirror
from brevo_sync.domain.inbox import InboxFilter
from brevo_sync.domain.jobs import Finished
from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.inbox import accept_delivery, process_inbox
from brevo_sync.service.retention import prune_history
from tests.contexts import sql_context
from tests.fakes import FakeBrevo
from tests.unit.service.support import memory_context, pull
from tests.unit.service.test_inbox import delivery
from tests.unit.service.test_orders import PIPELINES

DAY = 24 * 3600.0
KEEP = timedelta(days=90)


def _brevo() -> FakeBrevo:
    brevo = FakeBrevo()
    brevo.pipelines += PIPELINES
    brevo.add(12)
    return brevo


def _daemon_run(ctx: ServiceContext, brevo: FakeBrevo, job: str) -> None:
    now = brevo.now
    with ctx.uow() as uow:
        slot = uow.jobs.claim(job, replica="r1", now=now, until=now + timedelta(minutes=5))
        assert slot is not None
        done = Finished("ok", now + timedelta(minutes=1), "fine", requests=2)
        uow.jobs.release(job, slot.runs, replica="r1", now=now, finished=done)
        uow.commit()


def _history(ctx: ServiceContext, brevo: FakeBrevo) -> None:
    """Day 0 and 1: pulls, daemon runs, a processed webhook. Day 120: a pull, a run, a
    delivery not yet processed."""
    pull(ctx, full=True)
    _daemon_run(ctx, brevo, "pull")
    accept_delivery(ctx, delivery("5001", route="shopify", sent="w1"))
    assert process_inbox(ctx).done == 1
    brevo.tick(DAY)
    brevo.add(3)
    pull(ctx)
    pull(ctx)
    _daemon_run(ctx, brevo, "pull")
    brevo.tick(119 * DAY)
    pull(ctx)
    _daemon_run(ctx, brevo, "pull")
    accept_delivery(ctx, delivery("5002", route="shopify", sent="w2"))


def _observe(ctx: ServiceContext) -> dict[str, Any]:
    with ctx.uow() as uow:
        status = uow.queries.status(ctx.clock())
        inbox = uow.inbox.find(InboxFilter(states=("pending", "done", "dead"), limit=None))
        runs = uow.jobs.runs_since(ctx.clock() - timedelta(days=365))
        return {
            "requests_total": status.requests_total,
            "deals": status.deals,
            "last_run": (status.last_run.command, status.last_run.outcome)
            if status.last_run
            else None,
            "inbox": sorted((r.state, r.dedupe_key) for r in inbox),
            "job_runs": [(r.job, r.seq) for r in runs],
        }


def _scenario(ctx: ServiceContext, brevo: FakeBrevo) -> dict[str, Any]:
    _history(ctx, brevo)
    before = _observe(ctx)
    dry = prune_history(ctx, KEEP, dry_run=True)
    assert _observe(ctx) == before  # a dry run changes nothing
    done = prune_history(ctx, KEEP)
    assert (dry.runs_folded, dry.job_runs, dry.inbox_rows) == (
        done.runs_folded,
        done.job_runs,
        done.inbox_rows,
    )
    after = _observe(ctx)
    assert after["requests_total"] == before["requests_total"]  # folded, not lost
    assert after["deals"] == before["deals"] and after["last_run"] == before["last_run"]
    again = prune_history(ctx, KEEP)
    assert again.total == 0  # nothing more to do
    return {"report": (done.runs_folded, done.job_runs, done.inbox_rows), "after": after}


def test_prune_folds_old_runs_and_deletes_old_history_alike_in_memory_and_sql(
    mirror_engine: Engine,
) -> None:
    brevo = _brevo()
    memory = _scenario(memory_context(MemoryMirror(), brevo), brevo)
    brevo = _brevo()
    sql = _scenario(sql_context(mirror_engine, brevo), brevo)
    assert sql == memory
    # three old pulls (day 0, day 1 twice) fold into one row: two rows go; the two old
    # daemon runs go, the new one stays; the processed delivery goes, the pending one stays
    assert memory["report"] == (2, 2, 1)
    assert memory["after"]["job_runs"] == [("pull", 3)]
    assert [state for state, _ in memory["after"]["inbox"]] == ["pending"]


def test_less_than_a_day_of_history_is_refused() -> None:
    brevo = _brevo()
    with pytest.raises(UsageError, match="at least 1 day"):
        prune_history(memory_context(MemoryMirror(), brevo), timedelta(hours=6))
