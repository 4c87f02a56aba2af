"""`sync`: pull (with the rules' decisions about every move and the time-rules sweep), then
push what the rules and operators queued. One command for cron until the daemon exists.

The steps run one after the other, each a recorded run of its own, so `status` shows what
each spent and a failure in one leaves the others' work committed."""

from __future__ import annotations

from dataclasses import dataclass

from brevo_sync.service.context import ServiceContext
from brevo_sync.service.pull import PullReport, pull_deals
from brevo_sync.service.push import PushReport, push_outbox


@dataclass
class SyncReport:
    pull: PullReport
    push: PushReport | None

    @property
    def sweep_alerts(self) -> int | None:
        return self.pull.sweep.total if self.pull.sweep is not None else None

    @property
    def requests_total(self) -> int:
        return self.pull.requests_total + (self.push.requests_total if self.push else 0)


def sync_all(ctx: ServiceContext, *, full: bool = False) -> SyncReport:
    pulled = pull_deals(ctx, full=full)
    ctx.stop.check()
    return SyncReport(pulled, push_outbox(ctx))
