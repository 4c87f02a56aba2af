"""The daemon process: APScheduler's looks, the HTTP thread, signals and a bounded stop.

    daemon = Daemon(container, http=("127.0.0.1", 8080))
    code = daemon.run_forever()     # until SIGTERM / SIGINT

The first SIGTERM or SIGINT asks every running step to stop at its next safe point (the page
or outbox row in hand is committed, the run recorded, its claim released), stops looking for
new work and the HTTP server, and exits 0 once they are done, within
BREVO_SYNC_STOP_TIMEOUT_SECONDS. A second signal ends the process at once: the open
transactions roll back (SQLite's journal, PostgreSQL's dropped connection), a row a push had
marked `sending` is looked up by the next push, and claims expire for the other replicas.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from types import FrameType

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from brevo_sync.bootstrap import Container
from brevo_sync.domain.jobs import JobName
from brevo_sync.entrypoints.daemon.http import HttpThread, Wakeups
from brevo_sync.entrypoints.daemon.metrics import JobMetrics
from brevo_sync.entrypoints.daemon.schedule import daemon_options, look_trigger, ordered
from brevo_sync.logs import notice_line
from brevo_sync.service.daemon import DaemonJobs

log = structlog.get_logger(__name__)


class Daemon:
    def __init__(self, container: Container, *, http: tuple[str, int] | None = None) -> None:
        self.container = container
        self.options = daemon_options(container.settings)
        self._http_address = http
        self._http: HttpThread | None = None
        self._app = None
        registry = None
        if http is not None:
            from brevo_sync.entrypoints.web import create_app

            self._app = create_app(container, background=False)
            registry = self._app.state.metrics.registry
        self.metrics = JobMetrics(registry)
        self.jobs = DaemonJobs(
            container.context, container.job_context, self.options, observer=self.metrics
        )
        self._running = 0
        self._idle = threading.Condition()
        self._stopping = threading.Event()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(len(self.options.specs))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    # -- running -----------------------------------------------------------------------------

    def start(self) -> None:
        self.container.engine  # noqa: B018 - the schema is checked before anything runs
        if self.container.settings.log_level != "DEBUG":  # a line per look is noise
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        now = datetime.now(UTC)
        for spec in ordered(self.options.specs):
            self.scheduler.add_job(
                self._job,
                look_trigger(spec),
                args=[spec.name],
                id=spec.name,
                name=spec.name,
                next_run_time=now,  # look at once: what is due since the last run goes now
            )
        self.scheduler.start()
        if self._app is not None and self._http_address is not None:
            self._app.state.workers = Wakeups(self.hint, self.wake)
            self._http = HttpThread(self._app, *self._http_address)
            self._http.start()
        log.info(
            "daemon started",
            replica=self.options.replica,
            jobs={
                s.name: s.cron or s.interval.total_seconds() for s in self.options.specs.values()
            },
            poll=str(self.options.poll),
            http=self._http.where if self._http else None,
        )

    def _job(self, name: JobName) -> None:
        if self._stopping.is_set():
            return
        with self._idle:
            self._running += 1
        try:
            self.jobs.run(name)
        except Exception:  # the scheduler must go on whatever one look hits
            log.exception("job look failed", job=name)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def wake(self, name: str, at: datetime | None = None) -> None:
        """Look at job `name` now (or at `at`) rather than at its next look."""
        if self._stopping.is_set():
            return
        try:
            self.scheduler.modify_job(name, next_run_time=at or datetime.now(UTC))
        except Exception:  # the job is gone (shutting down): nothing to wake
            log.debug("could not wake the job", job=name, exc_info=True)

    def hint(self) -> None:
        """Brevo said deals changed: the pull is due after the debounce, here and on every
        replica (the slot is shared)."""
        self.jobs.request_early_pull()
        self.wake("pull", datetime.now(UTC) + self.options.hint_debounce + timedelta(seconds=0.05))

    # -- stopping -------------------------------------------------------------------------------

    def stop(self, reason: str, timeout: float) -> bool:
        """Stop at the next safe points; True when every step finished within `timeout`."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        self.container.stop.request(reason)
        self.scheduler.shutdown(wait=False)
        with self._idle:
            while self._running and time.monotonic() < deadline:
                self._idle.wait(min(0.1, max(0.0, deadline - time.monotonic())))
            finished = self._running == 0
        if self._http is not None:
            self._http.stop(max(0.1, min(3.0, deadline - time.monotonic())))
        return finished

    def run_forever(self) -> int:
        """Run until a signal; the exit code (0: stopped cleanly)."""
        stop = threading.Event()
        received: list[str] = []

        def handle(signum: int, _frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            received.append(name)
            if len(received) > 1:
                os.write(2, notice_line(f"{name} again: stopping at once", signal=name))
                os._exit(130)
            text = f"{name}: finishing the steps in hand ({name} again stops at once)"
            os.write(2, notice_line(text, signal=name))
            stop.set()

        previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            try:
                self.start()
            except BaseException:
                self.stop("the daemon could not start", 1.0)
                raise
            while not stop.wait(1.0):
                pass
            timeout = self.container.settings.stop_timeout_seconds
            started = time.monotonic()
            clean = self.stop(f"stopped by {received[0]}", timeout)
            log.info("daemon stopped", clean=clean, seconds=round(time.monotonic() - started, 3))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not clean:
            # A step did not reach a safe point in time: end now, as a second signal would.
            os.write(2, b"brevo-sync: a step did not stop in time; stopping at once\n")
            os._exit(1)
        return 0
