"""A recorded run: hold the mirror, record the start, and on every way out (done, failed,
interrupted, killed by a second signal) record how it ended and the requests it spent.

    with recorded_run(ctx, "pull", gateway) as run:
        ...                       # the use case; run.deals_written += n
    # runs table: outcome, requests by endpoint, detail; the budget as last seen

Every command that works on the mirror goes through here, so `status` can say what each one
spent and a second run on the same mirror waits or names the one that holds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from brevo_sync.domain.runs import Outcome, RunResult
from brevo_sync.errors import BrevoSyncError, Interrupted
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.ports import BrevoGateway

log = structlog.get_logger(__name__)

# How far back the requests of earlier runs count against the local ceiling.
BUDGET_WINDOW = timedelta(hours=1)


@dataclass
class RunHandle:
    id: int
    command: str
    gateway: BrevoGateway | None
    mark: dict[str, int] = field(default_factory=dict)
    deals_written: int = 0

    def requests(self) -> dict[str, int]:
        """Brevo requests this run has spent so far, by endpoint."""
        return self.gateway.requests.since(self.mark) if self.gateway is not None else {}


@contextmanager
def recorded_run(
    ctx: ServiceContext,
    command: str,
    gateway: BrevoGateway | None = None,
    *,
    exclusive: bool = True,
) -> Iterator[RunHandle]:
    """`exclusive=False` records the run without holding the mirror: for a request or two
    (an owner looked up for `deals list`) that must not wait for a running pull."""
    with ctx.lock().hold(command) if exclusive else nullcontext():
        now = ctx.clock()
        with ctx.uow() as uow:
            run_id = uow.runs.start(command, now, ctx.pid)
            if gateway is not None:
                gateway.prime_budget(uow.runs.spent_since(now - BUDGET_WINDOW))
            uow.commit()
        mark = gateway.requests.snapshot() if gateway is not None else {}
        handle = RunHandle(run_id, command, gateway, mark)
        outcome: Outcome = "failed"
        detail: str | None = None
        try:
            with structlog.contextvars.bound_contextvars(run_id=run_id):  # on every log line
                yield handle
            outcome = "ok"
        except (Interrupted, KeyboardInterrupt) as exc:
            outcome = "interrupted"
            detail = str(exc) or "stopped at once"
            raise
        except BrevoSyncError as exc:
            detail = str(exc)
            raise
        except Exception as exc:
            detail = f"internal error: {type(exc).__name__}: {exc}"
            raise
        finally:
            _finish(ctx, handle, outcome, detail)


def _finish(ctx: ServiceContext, run: RunHandle, outcome: Outcome, detail: str | None) -> None:
    result = RunResult(
        outcome=outcome,
        finished_at=ctx.clock(),
        requests=run.requests(),
        deals_written=run.deals_written,
        detail=detail,
    )
    try:
        with ctx.uow() as uow:
            uow.runs.finish(run.id, result)
            if run.gateway is not None and run.gateway.budget.source != "unknown":
                uow.sync.save_budget(run.gateway.budget)
            uow.commit()
    except Exception:  # never hide why the run ended behind a failure to record it
        log.warning("could not record the end of the run", run_id=run.id, exc_info=True)
