"""Soak: the daemon's jobs for a simulated week against the sandbox, with a deal changed in
Brevo every simulated minute, on a SQLite (or PostgreSQL) mirror. Memory and open file
handles must stay flat, and so must the mirror's own history (run records, the run log):
the daemon's prune job keeps `--history-days` of it.

The clock is fast: one `ManualClock` is both the sandbox's and the jobs' (`ServiceContext.
clock`), advanced a minute per step; every step is a look at every job, as the scheduler's
looks would be (`DaemonJobs.run_due`), with real HTTP to the sandbox on loopback, real
recorded runs, a fresh gateway (connections) per job as `run` builds them, and the same
claims, budget admission and adaptive poll. APScheduler itself (real-time triggers) is the
one part not driven by the fast clock.

    python bench/daemon_soak.py                   # a simulated week: 10,080 steps (~10 min)
    python bench/daemon_soak.py --days 1          # a quick run
    python bench/daemon_soak.py --history-days 90 # keep everything a week makes (no pruning)
    python bench/daemon_soak.py --database postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from brevo_sync.bootstrap import Container
from brevo_sync.config import load_settings
from brevo_sync.entrypoints.daemon.schedule import daemon_options
from brevo_sync.logs import configure_logging
from brevo_sync.sandbox import SandboxServer, SandboxState
from brevo_sync.sandbox.clock import ManualClock
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.daemon import DaemonJobs

API_KEY = "soak-key"
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--deals", type=int, default=300)
    parser.add_argument("--database", default=None, help="default: a SQLite file in a temp dir")
    parser.add_argument(
        "--history-days", type=float, default=2.0, help="BREVO_SYNC_HISTORY_DAYS (default 2)"
    )
    args = parser.parse_args()

    clock = ManualClock(START)
    state = SandboxState.seeded(seed=5, deals=args.deals, api_key=API_KEY, clock=clock)
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(state) as sandbox:
        database = args.database or f"sqlite:///{Path(tmp) / 'soak.db'}"
        settings = load_settings(
            api_key=API_KEY,
            base_url=sandbox.base_url,
            database_url=database,
            requests_per_hour=1_000_000,  # the budget is not what this measures
            history_days=args.history_days,
            log_level="WARNING",
        )
        configure_logging("WARNING", "json")
        container = Container(settings=settings)
        ctx: ServiceContext = replace(container.context, clock=clock)

        @contextmanager
        def job_context() -> Iterator[ServiceContext]:
            with container.job_context() as jctx:
                yield replace(jctx, clock=clock)

        jobs = DaemonJobs(ctx, job_context, daemon_options(settings))
        ids = [d["id"] for d in state.deals_snapshot()]
        steps = int(args.days * 24 * 60)
        samples: list[tuple[float, int, int, int, int]] = []
        started = time.monotonic()
        for step in range(steps):
            state.update_deal(ids[step % len(ids)], attributes={"amount": 1000 + step % 997})
            clock.advance(60)
            jobs.run_due()
            if step % 360 == 0 or step == steps - 1:  # every simulated 6 hours
                gc.collect()
                spent = int(state.stats.snapshot()["total"])
                rows = history_rows(container.engine)
                samples.append((step / 1440, rss_kib(), open_fds(), spent, rows))
                day, rss, fds, _, _ = samples[-1]
                print(
                    f"day {day:5.2f}  rss {rss / 1024:7.1f} MiB  fds {fds:3d}  "
                    f"requests {spent}  history rows {rows}"
                )
        made = history_made(container.engine)
        container.close()
        elapsed = time.monotonic() - started

    warm = [s for s in samples if s[0] >= 1.0] or samples
    rss = [s[1] for s in warm]
    fds = [s[2] for s in warm]
    # The prune job runs daily and keeps `history_days`: the rows the mirror keeps of itself
    # rise and fall (a saw), never above what history_days + 1 days make (a day of rows:
    # the count after the first day). Without pruning they grow by a day's rows every day.
    per_day = next((s[4] for s in samples if s[0] >= 1.0), samples[-1][4])
    ceiling = int((args.history_days + 1) * per_day * 1.05)
    most = max(s[4] for s in samples)
    print(f"\n{steps} simulated minutes in {elapsed:.0f} s; Brevo requests {samples[-1][3]}")
    print(
        f"after day 1: rss {min(rss) / 1024:.1f}..{max(rss) / 1024:.1f} MiB "
        f"(growth {(rss[-1] - rss[0]) / 1024:+.1f} MiB), fds {min(fds)}..{max(fds)}"
    )
    print(
        f"history rows: at most {most} (a day makes {per_day}; keeping "
        f"{args.history_days:g} days allows {ceiling}); without pruning: {made}"
    )
    flat = (rss[-1] - rss[0]) < 20 * 1024 and max(fds) - min(fds) <= 2 and most <= ceiling
    print("RESULT:", "PASS (flat)" if flat else "FAIL (grows)")


def history_rows(engine: sa.engine.Engine) -> int:
    """The rows the mirror keeps of itself: run records and the daemon's run log."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                sa.text("SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM job_runs)")
            )
            or 0
        )


def history_made(engine: sa.engine.Engine) -> int:
    """The rows there would be without pruning: every run record and daemon run made."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                sa.text(
                    "SELECT (SELECT coalesce(max(id), 0) FROM runs)"
                    " + (SELECT coalesce(sum(runs), 0) FROM job_slots)"
                )
            )
            or 0
        )


if __name__ == "__main__":
    main()
