"""Fetch the next page while the current one is written.

A page's request waits on the network and Brevo; writing it waits on the database. Doing both
at once roughly halves a long pull's wall time and spends no extra request: the next page is
asked for only after a full page proved there is one.

A daemon thread rather than an executor: a prefetch can sit in a budget wait for up to an hour,
and Ctrl-C must not wait for it (executor threads are joined at interpreter exit). For the
same reason every Brevo call of a use case runs through here: the waiting thread stays free to
notice a stop (`result(stop)`) within a fraction of a second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from brevo_sync.service.stop import StopToken

T = TypeVar("T")


class Prefetch(Generic[T]):
    """`Prefetch(fn)` starts `fn()` in the background; `result()` waits and returns or raises."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], T]) -> None:
        try:
            self._value = fn()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            self._done.set()

    def result(self, stop: StopToken | None = None) -> T:
        """The value (or the exception) of `fn()`; Interrupted when `stop` is asked first."""
        if stop is None:
            self._done.wait()
        else:
            stop.wait(self._done)
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def watched(stop: StopToken, fn: Callable[[], T]) -> T:
    """`fn()` (a Brevo call) in a worker thread, so that a stop is noticed while it waits."""
    return Prefetch(fn).result(stop)
