"""`db prune` and the daemon's `prune` job: keep `BREVO_SYNC_HISTORY_DAYS` of the mirror's
own history (see `domain/retention.py` for what is kept and why)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from brevo_sync.errors import UsageError
from brevo_sync.service.context import ServiceContext

log = structlog.get_logger(__name__)

SHORTEST = timedelta(days=1)  # `status` and the budget read the last hour; keep a day at least


@dataclass(frozen=True, slots=True)
class PruneReport:
    before: datetime  # history that ended before this went
    runs_folded: int  # `runs` rows folded into their command's summary row
    job_runs: int  # the daemon's run log rows deleted
    inbox_rows: int  # processed webhook deliveries deleted
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.runs_folded + self.job_runs + self.inbox_rows


def prune_history(ctx: ServiceContext, keep: timedelta, *, dry_run: bool = False) -> PruneReport:
    """Fold old runs, delete the old run log and processed deliveries, in one transaction
    (rolled back for `dry_run`, which so reports exactly what a prune would do)."""
    if keep < SHORTEST:
        raise UsageError(
            f"keep at least 1 day of history (asked for {keep}); the budget and "
            "`status` read the last hour, the operators the last days"
        )
    before = ctx.clock() - keep
    with ctx.uow() as uow:
        report = PruneReport(
            before=before,
            runs_folded=uow.runs.compact_before(before),
            job_runs=uow.jobs.prune_runs(before),
            inbox_rows=uow.inbox.prune_done(before),
            dry_run=dry_run,
        )
        if not dry_run:
            uow.commit()
    log.info(
        "history pruned" if not dry_run else "history prune (dry run)",
        before=before.isoformat(),
        runs_folded=report.runs_folded,
        job_runs=report.job_runs,
        inbox_rows=report.inbox_rows,
    )
    return report
