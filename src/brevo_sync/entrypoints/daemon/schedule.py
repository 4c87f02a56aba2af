"""From the settings to the daemon's jobs and their APScheduler triggers.

APScheduler decides when a replica *looks* at a job: every min(interval, LOOK_MAX) for
interval jobs, so a job made due early (a webhook hint, another replica's deferral) is seen
soon. Whether it runs is the shared slot's business (`service/daemon.py`); a cron job's
slot is due at the crontab's next fire time.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from brevo_sync.config import Settings
from brevo_sync.domain.jobs import JOB_ORDER, JobName, JobSpec
from brevo_sync.domain.polling import PollPolicy
from brevo_sync.errors import ConfigError
from brevo_sync.service.daemon import DaemonOptions

# The longest a replica goes without looking at a job.
LOOK_MAX = timedelta(seconds=10)


def job_specs(s: Settings) -> dict[JobName, JobSpec]:
    def spec(name: JobName, seconds: float, cron: str | None = None) -> JobSpec:
        return JobSpec(name, timedelta(seconds=seconds), cron)

    return {
        "inbox": spec("inbox", s.inbox_interval_seconds),
        "renewals": spec("renewals", s.renewals_interval_seconds, s.renewals_cron),
        "push": spec("push", s.push_interval_seconds),
        "pull": spec("pull", s.pull_interval_seconds),
        "sweep": spec("sweep", s.sweep_interval_seconds),
        "reconcile": spec("reconcile", s.reconcile_interval_seconds, s.reconcile_cron),
        "prune": spec("prune", s.prune_interval_seconds),
    }


def poll_policy(s: Settings) -> PollPolicy:
    hinted = s.brevo_webhook_token is not None and bool(s.brevo_webhook_token.get_secret_value())
    return PollPolicy(
        base=timedelta(seconds=s.pull_interval_seconds),
        ceiling=timedelta(seconds=s.pull_max_interval_seconds),
        hinted=timedelta(seconds=s.pull_hinted_interval_seconds) if hinted else None,
    )


def replica_name() -> str:
    """Host and pid, for people reading `job_runs`, and a random tail: containers on the
    host's network share its hostname and, behind tini, all run as pid 7, and claims are
    told apart by this name alone."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def daemon_options(s: Settings) -> DaemonOptions:
    specs = job_specs(s)
    crons = {name: _cron(spec.cron) for name, spec in specs.items() if spec.cron}

    def next_fire(name: JobName, now: datetime) -> datetime | None:
        trigger = crons.get(name)
        return trigger.get_next_fire_time(None, now) if trigger is not None else None

    return DaemonOptions(
        specs=specs,
        poll=poll_policy(s),
        replica=replica_name(),
        claim_ttl=timedelta(seconds=s.job_claim_seconds),
        requests_per_hour=s.requests_per_hour,
        budget_reserve=s.budget_reserve_requests,
        reconcile_share=s.reconcile_budget_share,
        hint_debounce=timedelta(seconds=s.hint_debounce_seconds),
        inbox_max_attempts=s.inbox_max_attempts,
        history=timedelta(days=s.history_days),
        next_fire=next_fire,
    )


def _cron(expression: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(expression, timezone=UTC)
    except ValueError as exc:
        raise ConfigError(f"the crontab line {expression!r} cannot be read: {exc}") from None


def look_trigger(spec: JobSpec) -> IntervalTrigger:
    """How often this replica looks at the job (the job's own interval, at most LOOK_MAX; a
    pull as often as its shortest interval allows)."""
    every = min(spec.interval, LOOK_MAX)
    return IntervalTrigger(seconds=max(every.total_seconds(), 0.1), timezone=UTC)


def ordered(specs: dict[JobName, JobSpec]) -> list[JobSpec]:
    return [specs[name] for name in JOB_ORDER if name in specs]
