"""The serve process's background work, after the webhooks have answered.

Three threads, started and stopped with the app (its lifespan):
- inbox:    drains the inbox (`process_inbox`): woken by every accepted order or
            subscription, and once a second for rows whose retry time has come.
- hints:    `HintPuller`: an early incremental pull, debounced, for Brevo's webhooks.
- renewals: `queue_renewals` at start and once a day (seed 000's renewal deals; one that is
            due when its subscription arrives is queued by the inbox already).
Each loop survives its own failures (logged, retried); a stop ends them at a safe point.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import structlog
from fastapi import FastAPI

from brevo_sync.bootstrap import Container
from brevo_sync.errors import Interrupted
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.hints import HintPuller
from brevo_sync.service.inbox import process_inbox
from brevo_sync.service.renewals import queue_renewals

log = structlog.get_logger(__name__)

INBOX_POLL_SECONDS = 1.0
# The worker shares the process (and so the interpreter, and on SQLite the write lock) with
# the webhooks: answering comes first. While they arrive fast (`BUSY_RATE` or more in the last
# second) it takes `BUSY_BATCH` rows every `BUSY_INTERVAL_SECONDS` only (short transactions:
# on SQLite a webhook waits behind them for the write lock), and the backlog once the burst
# is over. Nothing is urgent about it: the deals it queues leave at Brevo's pace (about 100
# requests an hour), and every delivery is safe in the inbox meanwhile.
BUSY_RATE = 100
BUSY_INTERVAL_SECONDS = 5.0
BUSY_BATCH = 2
BATCH = 20
RENEWALS_EVERY = timedelta(days=1)
RENEWALS_RETRY = timedelta(hours=1)  # after a failed scan (no pipelines yet, ...)
JOIN_SECONDS = 10.0
SWITCH_INTERVAL_SECONDS = 0.0005  # see run_workers


class InboxWorker:
    def __init__(self, ctx: ServiceContext, *, max_attempts: int) -> None:
        self._ctx = ctx
        self._max_attempts = max_attempts
        self._wake = threading.Event()
        self._stop = threading.Event()
        # When the last `BUSY_RATE` deliveries arrived (monotonic seconds).
        self._arrivals: deque[float] = deque(maxlen=BUSY_RATE)
        self.processed = 0

    def wake(self) -> None:
        self._arrivals.append(time.monotonic())
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def busy(self) -> bool:
        """`BUSY_RATE` deliveries or more within the last second."""
        arrivals = self._arrivals
        if len(arrivals) < BUSY_RATE:
            return False
        try:
            return time.monotonic() - arrivals[0] < 1.0
        except IndexError:
            return False

    def run(self) -> None:
        last_batch = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            while self.busy() and time.monotonic() - last_batch < BUSY_INTERVAL_SECONDS:
                if self._stop.wait(0.25):
                    return
            claimed = 0
            limit = BUSY_BATCH if self.busy() else BATCH
            try:
                report = process_inbox(self._ctx, limit=limit, max_attempts=self._max_attempts)
                claimed = report.claimed
                self.processed += report.done
            except Interrupted:
                return
            except Exception:
                log.warning("inbox processing failed; trying again", exc_info=True)
            last_batch = time.monotonic()
            if claimed < limit:  # caught up: wait for news (or a retry falling due)
                self._wake.wait(INBOX_POLL_SECONDS)


class RenewalTimer:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        while not self._stop.is_set():
            wait = RENEWALS_EVERY
            try:
                report = queue_renewals(self._ctx)
                queued = report.queued.count("deal")
                if queued:
                    log.info("renewal deals queued", queued=queued)
            except Interrupted:
                return
            except Exception as exc:
                log.warning("renewal scan failed; trying again in an hour", reason=str(exc))
                wait = RENEWALS_RETRY
            self._stop.wait(wait.total_seconds())


class Workers:
    """The background threads of one serve process, over one container."""

    def __init__(self, container: Container) -> None:
        settings = container.settings
        ctx = container.context
        self._container = container
        self.inbox = InboxWorker(ctx, max_attempts=settings.inbox_max_attempts)
        self.hints = HintPuller(
            ctx,
            debounce_seconds=settings.hint_debounce_seconds,
            max_attempts=settings.inbox_max_attempts,
        )
        self.renewals = RenewalTimer(ctx)
        self._threads: list[threading.Thread] = []

    def delivered(self, kind: str) -> None:
        """A delivery of `kind` was accepted: wake whoever processes it."""
        if kind == "brevo_hint":
            self.hints.wake()
        else:
            self.inbox.wake()

    def start(self) -> Workers:
        jobs: list[tuple[str, Callable[[], None]]] = [
            ("brevo-sync-inbox", self.inbox.run),
            ("brevo-sync-hints", self.hints.run),
            ("brevo-sync-renewals", self.renewals.run),
        ]
        for name, target in jobs:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self.inbox.stop()
        self.hints.stop()
        self.renewals.stop()
        self._container.stop.request("the server is shutting down")  # a pull stops safely
        for thread in self._threads:
            thread.join(JOIN_SECONDS)
        self._threads.clear()


@asynccontextmanager
async def run_workers(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan: workers up before the first request, down after the last.

    Two settings of the interpreter serve the webhooks' latency (bench/webhook_bench.py):
    the event loop shares it with these threads and with the database writes, and a shorter
    switch interval than Python's 5 ms gives it back to the loop within half a millisecond;
    and what startup built lives as long as the process, so it is frozen out of the garbage
    collector's full scans (which otherwise paused every request for up to 100 ms)."""
    container: Container = app.state.container
    container.engine  # noqa: B018 - the schema is there before any thread or request needs it
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.collect()
    gc.freeze()
    workers = Workers(container).start()
    app.state.workers = workers
    try:
        yield
    finally:
        app.state.workers = None
        workers.stop()
        gc.unfreeze()
        sys.setswitchinterval(interval)
