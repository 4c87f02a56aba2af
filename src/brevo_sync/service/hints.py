"""Brevo's CRM webhooks as hints: an early incremental pull, debounced.

A webhook from Brevo says that something changed, never what (it is unsigned, and there is no
deleted event): the pull is what reads the change. So every accepted hint is an inbox row
(kind `brevo_hint`) and a wake-up call; `HintPuller` waits until the hints have been quiet
for `debounce` (and at most `MAX_WAIT_DEBOUNCES` debounces after the first of a burst, so a
steady stream still pulls every few seconds), then runs one incremental pull and marks every
hint it covers done. A burst of 100 events costs one pull (one list request for up to a page
of changed deals), two when events keep coming while the first pull runs. One pull at a
time: the pull holds the mirror lock, and a pull that finds it busy (a push, a pull of another
process) is tried again after the debounce. A failed pull leaves its hints pending with the
reason; after `max_attempts` failures they are dead letters (the next pull that succeeds
covers their changes anyway).

`pull_for_hints` is the step (the daemon's schedule can call it); `HintPuller.run` the loop
the HTTP side runs in a thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from brevo_sync.domain.inbox import InboxFilter, InboxKind, retry_delay
from brevo_sync.errors import BrevoSyncError, Interrupted, MirrorBusy
from brevo_sync.service.context import ServiceContext
from brevo_sync.service.pull import PullReport, pull_deals

log = structlog.get_logger(__name__)

HINT: InboxKind = "brevo_hint"
# Without a wake-up call, look for pending hints (left by another process, or to retry) this often.
POLL_SECONDS = 30.0
# A burst that never pauses still gets a pull this many debounces after its first hint
# (2 s debounce: at most 5 s), so a change is in the mirror well within 10 s of its event.
MAX_WAIT_DEBOUNCES = 2.5

Pull = Callable[[ServiceContext], PullReport]
T = TypeVar("T")


def _incremental(ctx: ServiceContext) -> PullReport:
    return pull_deals(ctx, full=False)


@dataclass(frozen=True, slots=True)
class HintReport:
    hints: int = 0  # hint rows the pull covered (marked done)
    pulled: bool = False
    busy: bool = False  # the mirror was held by another run: nothing done, try again
    requests: int = 0  # Brevo requests the pull spent
    deals_written: int = 0
    error: str | None = None


def pull_for_hints(
    ctx: ServiceContext, *, max_attempts: int = 10, pull: Pull = _incremental
) -> HintReport:
    """One incremental pull for the pending hints (none pending: nothing is done)."""
    with ctx.uow() as uow:
        newest = uow.inbox.newest_pending(HINT)
    if newest is None:
        return HintReport()
    try:
        report = pull(ctx)
    except MirrorBusy:
        return HintReport(busy=True)
    except Interrupted:
        raise
    except BrevoSyncError as exc:
        _failed(ctx, newest, str(exc), max_attempts)
        return HintReport(error=str(exc))
    outcome = (
        f"pulled: {report.deals_written} deals written, {report.requests_total} requests, "
        f"cursor {report.cursor:%Y-%m-%d %H:%M:%S} UTC"
        if report.cursor
        else f"pulled: {report.deals_written} deals written, {report.requests_total} requests"
    )
    with ctx.uow() as uow:
        done = uow.inbox.finish_pending(HINT, up_to=newest, outcome=outcome, now=ctx.clock())
        uow.commit()
    return HintReport(
        hints=done,
        pulled=True,
        requests=report.requests_total,
        deals_written=report.deals_written,
    )


def _failed(ctx: ServiceContext, newest: int, error: str, max_attempts: int) -> None:
    now = ctx.clock()
    with ctx.uow() as uow:
        rows = uow.inbox.find(InboxFilter(states=("pending",), kinds=(HINT,), limit=None))
        for row in rows:
            if row.id > newest:
                continue
            attempts = row.attempts + 1
            retry_at = None if attempts >= max_attempts else now + retry_delay(attempts)
            uow.inbox.fail(row.id, error=error, retry_at=retry_at, attempt=True)
        uow.commit()


class HintPuller:
    """The debounced loop: `wake()` after each accepted hint; `run()` in a thread until
    `stop()`."""

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        debounce_seconds: float = 2.0,
        max_attempts: int = 10,
        poll_seconds: float = POLL_SECONDS,
        pull: Pull = _incremental,
    ) -> None:
        self._ctx = ctx
        self._debounce = debounce_seconds
        self._max_attempts = max_attempts
        self._poll = poll_seconds
        self._pull = pull
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_wake = time.monotonic()
        self.last: HintReport | None = None
        self.pulls = 0

    def wake(self) -> None:
        self._last_wake = time.monotonic()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _pending(self) -> bool:
        with self._ctx.uow() as uow:
            return uow.inbox.newest_pending(HINT) is not None

    def run(self) -> None:
        failures = 0
        self._wake.set()  # hints an earlier process left pending
        while not self._stop.is_set():
            woke = self._wake.wait(self._poll)
            if self._stop.is_set():
                return
            if not woke and not self._safe(self._pending, False):
                continue
            if self._settled():  # the rest of the burst arrives meanwhile
                return
            self._wake.clear()
            report = self._safe(self._step, HintReport(error="the pull could not run"))
            self.last = report
            if report.busy:
                self._wake.set()  # again after the debounce
            elif report.error:
                failures += 1
                log.warning("early pull for Brevo's webhooks failed", reason=report.error)
                if self._stop.wait(retry_delay(failures).total_seconds()):
                    return
            else:
                failures = 0

    def _settled(self) -> bool:
        """Wait for the hints to be quiet for the debounce (at most `MAX_WAIT_DEBOUNCES`
        debounces); True when a stop came first."""
        first = time.monotonic()
        latest = first + self._debounce * MAX_WAIT_DEBOUNCES
        while True:
            until = min(max(self._last_wake, first) + self._debounce, latest)
            remaining = until - time.monotonic()
            if remaining <= 0:
                return False
            if self._stop.wait(remaining):
                return True

    def _step(self) -> HintReport:
        started = time.monotonic()
        report = pull_for_hints(self._ctx, max_attempts=self._max_attempts, pull=self._pull)
        if report.pulled:
            self.pulls += 1
            log.info(
                "early pull for Brevo's webhooks",
                hints=report.hints,
                requests=report.requests,
                deals_written=report.deals_written,
                seconds=round(time.monotonic() - started, 3),
            )
        return report

    def _safe(self, step: Callable[[], T], fallback: T) -> T:
        """A failure of the database or a bug must not end the loop: logged, then the
        fallback."""
        try:
            return step()
        except Interrupted:
            self._stop.set()
            return fallback
        except Exception:
            log.warning("hint loop step failed", exc_info=True)
            return fallback
