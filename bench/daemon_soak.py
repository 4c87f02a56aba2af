"""Soak: the daemon's jobs for a simulated week against the sandbox, with a deal changed in
Brevo every simulated minute, on a SQLite (or PostgreSQL) mirror. Memory and open file
handles must stay flat.

The clock is fast: one `ManualClock` is both the sandbox's and the jobs' (`ServiceContext.
clock`), advanced a minute per step; every step is a look at every job, as the scheduler's
looks would be (`DaemonJobs.run_due`), with real HTTP to the sandbox on loopback, real
recorded runs, a fresh gateway (connections) per job as `run` builds them, and the same
claims, budget admission and adaptive poll. APScheduler itself (real-time triggers) is the
one part not driven by the fast clock.

    python bench/daemon_soak.py                   # a simulated week: 10,080 steps (~10 min)
    python bench/daemon_soak.py --days 1          # a quick run
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
        samples: list[tuple[float, int, int, int]] = []
        started = time.monotonic()
        for step in range(steps):
            state.update_deal(ids[step % len(ids)], attributes={"amount": 1000 + step % 997})
            clock.advance(60)
            jobs.run_due()
            if step % 360 == 0 or step == steps - 1:  # every simulated 6 hours
                gc.collect()
                spent = int(state.stats.snapshot()["total"])
                samples.append((step / 1440, rss_kib(), open_fds(), spent))
                day, rss, fds, _ = samples[-1]
                print(f"day {day:5.2f}  rss {rss / 1024:7.1f} MiB  fds {fds:3d}  requests {spent}")
        container.close()
        elapsed = time.monotonic() - started

    warm = [s for s in samples if s[0] >= 1.0] or samples
    rss = [s[1] for s in warm]
    fds = [s[2] for s in warm]
    print(f"\n{steps} simulated minutes in {elapsed:.0f} s; Brevo requests {samples[-1][3]}")
    print(
        f"after day 1: rss {min(rss) / 1024:.1f}..{max(rss) / 1024:.1f} MiB "
        f"(growth {(rss[-1] - rss[0]) / 1024:+.1f} MiB), fds {min(fds)}..{max(fds)}"
    )
    flat = (rss[-1] - rss[0]) < 20 * 1024 and max(fds) - min(fds) <= 2
    print("RESULT:", "PASS (flat)" if flat else "FAIL (grows)")


if __name__ == "__main__":
    main()
